package org.flows4j.zoo.train;

import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.bijectors.Dequantization;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.Conditioning;

/**
 * The batches of a data set's training split, as a {@link BatchSource}: epoch {@code e} visits
 * the split in a permutation drawn from the seed and {@code e} alone, in whole batches (the
 * remainder of each epoch is left out), and 8-bit images are dequantized with noise drawn from
 * the seed and the step alone.
 */
public final class ZooBatches implements BatchSource {

    /** The initialization batch holds at least this many samples (when the split has them). */
    static final int MIN_INITIALIZATION = 256;

    private final DataSplit train;
    private final Conditioning conditioning;
    private final Backend backend;
    private final DType dtype;
    private final boolean images;
    private final int batchSize;
    private final int stepsPerEpoch;
    private int[] order;
    private long orderSeed;
    private int orderEpoch = -1;

    /**
     * Batches of {@code batchSize} samples of {@code data}'s training split, made on the
     * context's backend in its dtype; 8-bit images are dequantized (their noise is drawn from the
     * run's seed and the step, never from the context's random source).
     *
     * @param data the data set whose training split is batched; 8-bit images are dequantized
     * @param ctx where batches are made: its backend and dtype (its random source is not used)
     * @param batchSize samples per batch, at least 1; a split smaller than that gives batches of the whole
     *     split
     * @return a new batch source; it caches the current epoch's order, so one instance is for one thread
     * @throws IllegalArgumentException if the training split is empty or {@code batchSize < 1}
     */
    public static ZooBatches training(Dataset data, BuildContext ctx, int batchSize) {
        return conditional(data, ctx, batchSize, Conditioning.none());
    }

    /**
     * Batches as {@link #training}, and each batch's context from {@code conditioning}: one-hot
     * labels or context columns of the same samples ({@link #context}).
     *
     * @param data the data set whose training split is batched; 8-bit images are dequantized
     * @param ctx where batches are made: its backend and dtype (its random source is not used)
     * @param batchSize samples per batch, at least 1; a split smaller than that gives batches of the whole
     *     split
     * @param conditioning what each batch's {@link #context} is made of; {@link Conditioning#none()} for none
     * @return a new batch source; it caches the current epoch's order, so one instance is for one thread
     * @throws IllegalArgumentException if the training split is empty or {@code batchSize < 1}
     * @throws NullPointerException if {@code conditioning} is null
     */
    public static ZooBatches conditional(Dataset data, BuildContext ctx, int batchSize, Conditioning conditioning) {
        return new ZooBatches(
                data.train(),
                ctx.backend(),
                ctx.dtype(),
                data.kind() == Dataset.Kind.IMAGE_8BIT,
                batchSize,
                java.util.Objects.requireNonNull(conditioning, "conditioning"));
    }

    private ZooBatches(
            DataSplit train, Backend backend, DType dtype, boolean images, int batchSize, Conditioning conditioning) {
        if (train.size() == 0) {
            throw new IllegalArgumentException("the training split is empty");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        this.train = train;
        this.conditioning = conditioning;
        this.backend = backend;
        this.dtype = dtype;
        this.images = images;
        this.batchSize = batchSize;
        this.stepsPerEpoch = stepsPerEpoch(train.size(), batchSize);
    }

    /**
     * Steps per epoch of a training split of {@code trainSize} samples in batches of {@code batchSize}:
     * whole batches (the remainder is left out), at least 1.
     *
     * @param trainSize samples in the training split
     * @param batchSize samples per batch, at least 1
     * @return {@code max(1, trainSize / batchSize)}
     */
    public static int stepsPerEpoch(int trainSize, int batchSize) {
        return Math.max(1, trainSize / batchSize);
    }

    /**
     * Steps per epoch: whole batches of the training split (at least 1).
     *
     * @return {@code max(1, train.size() / batchSize)}
     */
    public int stepsPerEpoch() {
        return stepsPerEpoch;
    }

    @Override
    public Tensor batch(long seed, long step) {
        int epoch = (int) (step / stepsPerEpoch) + 1;
        int within = (int) (step % stepsPerEpoch);
        return take(order(seed, epoch), within * batchSize, Math.min(batchSize, train.size()), noise(seed, step));
    }

    /** The context of {@link #batch}'s samples under the conditioning, or null when unconditional. */
    @Override
    public Tensor context(long seed, long step) {
        if (!conditioning.isConditional()) {
            return null;
        }
        int epoch = (int) (step / stepsPerEpoch) + 1;
        int within = (int) (step % stepsPerEpoch);
        int n = Math.min(batchSize, train.size());
        int[] idx = new int[n];
        System.arraycopy(order(seed, epoch), within * batchSize, idx, 0, n);
        return conditioning.context(train, idx, backend, dtype);
    }

    /** The first {@code max(batch, 256)} samples of the first epoch (fewer if the split is smaller). */
    @Override
    public Tensor initializationBatch(long seed) {
        int n = Math.min(train.size(), Math.max(batchSize, MIN_INITIALIZATION));
        return take(order(seed, 1), 0, n, noise(seed, -1));
    }

    private Tensor take(int[] permutation, int from, int n, RandomSource noise) {
        int[] idx = new int[n];
        System.arraycopy(permutation, from, idx, 0, n);
        Tensor x = train.batch(backend, dtype, idx);
        return images ? Dequantization.apply(x, noise) : x;
    }

    /** The batch order of an epoch: a function of the seed and the epoch alone (kept for the epoch's steps). */
    private int[] order(long seed, int epoch) {
        if (order == null || orderEpoch != epoch || orderSeed != seed) {
            order = RandomSource.seeded(seed * 0x9E3779B97F4A7C15L + epoch).permutation(train.size());
            orderEpoch = epoch;
            orderSeed = seed;
        }
        return order;
    }

    /** The dequantization noise of a step: a function of the seed and the step alone. */
    private static RandomSource noise(long seed, long step) {
        return RandomSource.seeded(seed * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL * (step + 2));
    }
}
