package org.flows4j.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * A DataFrame's samples as one block per partition, with global row ids: the training data
 * of {@link DataParallelTrainer}, kept in executor memory for the whole run. Row {@code i} of
 * partition {@code p} has id {@code offsets[p] + i}, the index {@code zipWithIndex} would give
 * it, so ids follow the DataFrame's order whatever the partitioning.
 */
final class RowBlocks {

    private RowBlocks() {}

    /** A partition's samples: ids {@code first .. first + rows - 1}, features row-major. */
    // A partition's cached samples, read through its accessors: never compared or hashed.
    @SuppressWarnings("ArrayRecordComponent")
    record Block(long first, int rows, int dims, double[] values) implements Serializable {

        /** Whether {@code id} is in this block. */
        boolean holds(long id) {
            return id >= first && id < first + rows;
        }

        /** Copies row {@code id}'s features into {@code out} at {@code offset}. */
        void copy(long id, double[] out, int offset) {
            System.arraycopy(values, (int) (id - first) * dims, out, offset, dims);
        }
    }

    /** The id of each partition's first row (one job that counts every partition's rows). */
    static <T> long[] partitionOffsets(JavaRDD<T> rows) {
        List<long[]> counts = rows.mapPartitionsWithIndex(
                        (p, it) -> {
                            long n = 0;
                            while (it.hasNext()) {
                                it.next();
                                n++;
                            }
                            return Collections.singletonList(new long[] {p, n}).iterator();
                        },
                        true)
                .collect();
        long[] offsets = new long[rows.getNumPartitions()];
        long[] sizes = new long[offsets.length];
        for (long[] c : counts) {
            sizes[(int) c[0]] = c[1];
        }
        for (int p = 1; p < offsets.length; p++) {
            offsets[p] = offsets[p - 1] + sizes[p - 1];
        }
        return offsets;
    }

    /**
     * One block per partition, persisted in memory (materialized here: two jobs, one to count,
     * one to fill); rows with null features are refused, since the ids of a training run must
     * be dense.
     */
    static JavaRDD<Block> of(JavaRDD<Row> rows, FeatureReader reader, int dims) {
        long[] offsets = partitionOffsets(rows);
        JavaRDD<Block> blocks = rows.mapPartitionsWithIndex(
                (p, it) -> {
                    List<double[]> chunks = new ArrayList<>();
                    int n = 0;
                    double[] buf = new double[Math.max(dims, 1024 * dims)];
                    int filled = 0;
                    while (it.hasNext()) {
                        if (filled == buf.length) {
                            chunks.add(buf);
                            buf = new double[buf.length];
                            filled = 0;
                        }
                        long id = offsets[p] + n;
                        if (!reader.read(it.next(), buf, filled, dims)) {
                            throw new IllegalArgumentException(
                                    "row " + id + " has null features; training needs every row");
                        }
                        filled += dims;
                        n++;
                    }
                    double[] values = new double[n * dims];
                    int at = 0;
                    for (double[] c : chunks) {
                        System.arraycopy(c, 0, values, at, c.length);
                        at += c.length;
                    }
                    System.arraycopy(buf, 0, values, at, filled);
                    return Collections.singletonList(new Block(offsets[p], n, dims, values))
                            .iterator();
                },
                true);
        blocks.persist(StorageLevel.MEMORY_ONLY());
        blocks.count();
        return blocks;
    }

    /** The features of rows {@code ids} (in that order) gathered to the driver. */
    static double[] collect(JavaRDD<Block> blocks, long[] ids, int dims) {
        List<double[]> parts = blocks.map(b -> {
                    double[] out = new double[ids.length * (dims + 1)];
                    int found = 0;
                    for (int j = 0; j < ids.length; j++) {
                        if (b.holds(ids[j])) {
                            out[found * (dims + 1)] = j;
                            b.copy(ids[j], out, found * (dims + 1) + 1);
                            found++;
                        }
                    }
                    return java.util.Arrays.copyOf(out, found * (dims + 1));
                })
                .collect();
        double[] x = new double[ids.length * dims];
        for (double[] part : parts) {
            for (int at = 0; at < part.length; at += dims + 1) {
                System.arraycopy(part, at + 1, x, ((int) part[at]) * dims, dims);
            }
        }
        return x;
    }
}
