package org.flows4j.spark;

import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.train.BatchSource;
import org.flows4j.zoo.train.RowScores;

/**
 * The batches of a data-parallel run, defined by global row ids so that every executor can
 * take its own share of a step, and as a {@link BatchSource} over rows in one JVM, so that a
 * Spark run can be reproduced (and checked) without Spark.
 *
 * <p>Step {@code s} (0-based) of a run over {@code n} rows in batches of {@code b}: epoch
 * {@code e = s / max(1, n / b) + 1} visits the rows in the permutation
 * {@code RandomSource.seeded(seed * 0x9E3779B97F4A7C15 + e).permutation(n)}, and the step takes
 * its {@code min(b, n)} entries from {@code (s mod stepsPerEpoch) * b}: the order and the slices
 * of the zoo's {@code ZooBatches}, so that continuous data gets exactly the batches of
 * {@code flows4j train}. 8-bit images are dequantized per row: row {@code id}'s noise in step
 * {@code s} comes from {@code RowScores.rowRandom(noiseSeed(seed, s), id)}, a function of the
 * seed, the step and the row alone, where one stream per batch (as {@code ZooBatches} draws it)
 * could not be split between executors. The initialization batch (actnorm) is the first
 * {@code min(n, max(b, 256))} rows of epoch 1, with the noise of step -1.
 */
public final class IndexedBatches implements BatchSource {

    /** The initialization batch holds at least this many rows (when there are so many). */
    public static final int MIN_INITIALIZATION = 256;

    private final DataSplit rows;
    private final Backend backend;
    private final DType dtype;
    private final boolean images;
    private final int batchSize;

    private IndexedBatches(DataSplit rows, Backend backend, DType dtype, boolean images, int batchSize) {
        if (rows.size() == 0) {
            throw new IllegalArgumentException("no rows to train on");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        this.rows = rows;
        this.backend = backend;
        this.dtype = dtype;
        this.images = images;
        this.batchSize = batchSize;
    }

    /**
     * The batches of {@code rows} (row {@code i} has id {@code i}) on one JVM's backend.
     *
     * @param rows the training rows, at least one
     * @param kind {@code IMAGE_8BIT}: the rows are pixels in {@code 0..255}, dequantized per row;
     *        {@code CONTINUOUS}: the batches are the rows as they are
     * @param backend where the batches are made; not closed by this source
     * @param dtype the batches' dtype
     * @param batchSize rows per batch, at least 1
     * @return the batch source, whose batches are those of a data-parallel run with the same seed
     * @throws IllegalArgumentException if {@code rows} is empty or {@code batchSize < 1}
     */
    public static IndexedBatches of(DataSplit rows, Dataset.Kind kind, Backend backend, DType dtype, int batchSize) {
        return new IndexedBatches(rows, backend, dtype, kind == Dataset.Kind.IMAGE_8BIT, batchSize);
    }

    /**
     * Whole batches per epoch, at least 1.
     *
     * @param n the number of rows
     * @param batchSize rows per batch, at least 1
     * @return {@code max(1, n / batchSize)}: a last partial batch is dropped
     */
    public static long stepsPerEpoch(long n, int batchSize) {
        return Math.max(1, n / batchSize);
    }

    /**
     * The ids of step {@code step}'s batch, in batch order.
     *
     * @param seed the run's seed
     * @param step the step, 0-based
     * @param n the number of rows, at most {@link Integer#MAX_VALUE}
     * @param batchSize rows per batch, at least 1
     * @return {@code min(batchSize, n)} distinct row ids in {@code [0, n)}
     * @throws IllegalArgumentException if {@code n > Integer.MAX_VALUE}
     */
    public static long[] ids(long seed, long step, long n, int batchSize) {
        long spe = stepsPerEpoch(n, batchSize);
        int epoch = (int) (step / spe) + 1;
        int from = (int) (step % spe) * batchSize;
        return slice(order(seed, epoch, n), from, (int) Math.min(batchSize, n));
    }

    /**
     * The ids of the initialization batch.
     *
     * @param seed the run's seed
     * @param n the number of rows, at most {@link Integer#MAX_VALUE}
     * @param batchSize rows per batch of the run
     * @return the first {@code min(n, max(batchSize, 256))} row ids of epoch 1
     * @throws IllegalArgumentException if {@code n > Integer.MAX_VALUE}
     */
    public static long[] initializationIds(long seed, long n, int batchSize) {
        return slice(order(seed, 1, n), 0, (int) Math.min(n, Math.max(batchSize, MIN_INITIALIZATION)));
    }

    /**
     * The seed of step {@code step}'s dequantization noise (-1: the initialization batch).
     *
     * @param seed the run's seed
     * @param step the step, 0-based, or -1 for the initialization batch
     * @return the seed that {@code RowScores.rowRandom} mixes with each row's id
     */
    public static long noiseSeed(long seed, long step) {
        return seed * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL * (step + 2);
    }

    private static int[] order(long seed, int epoch, long n) {
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("at most " + Integer.MAX_VALUE + " rows, got " + n);
        }
        return RandomSource.seeded(seed * 0x9E3779B97F4A7C15L + epoch).permutation((int) n);
    }

    private static long[] slice(int[] order, int from, int count) {
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            out[i] = order[from + i];
        }
        return out;
    }

    @Override
    public Tensor batch(long seed, long step) {
        return take(ids(seed, step, rows.size(), batchSize), noiseSeed(seed, step));
    }

    @Override
    public Tensor initializationBatch(long seed) {
        return take(initializationIds(seed, rows.size(), batchSize), noiseSeed(seed, -1));
    }

    private Tensor take(long[] ids, long noise) {
        int[] idx = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            idx[i] = (int) ids[i];
        }
        Tensor x = rows.batch(backend, dtype, idx);
        return images ? RowScores.dequantize(x, noise, ids) : x;
    }
}
