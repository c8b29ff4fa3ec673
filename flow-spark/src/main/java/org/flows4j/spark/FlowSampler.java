package org.flows4j.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.zoo.train.RowScores;

/**
 * Draws samples of a flow into a DataFrame: {@code sample_id} (long, {@code 0..n-1}) and
 * {@code features} ({@code array<float>}, the sample flattened in the model's event order;
 * dequantized pixels in {@code [0, 256)} for image models).
 *
 * <p>Deterministic for a seed whatever the number of partitions: the samples are drawn in
 * blocks of {@code blockSize} ({@code sample_id / blockSize} is the block), block {@code k}
 * from {@link #blockRandom blockRandom(seed, k)}, and the partitions share
 * out whole blocks. Block {@code k} is what {@code flow.sample(size, source)} gives in one JVM
 * with that source. The checkpoint is broadcast once; each executor JVM builds its flow once
 * ({@link ExecutorFlows}).
 */
public final class FlowSampler {

    /** Samples per block unless told otherwise. */
    public static final int DEFAULT_BLOCK = 1024;

    private FlowSampler() {}

    /**
     * {@link #sample(SparkSession, FlowCheckpoint, long, long, int, String, double, int)} at temperature 1
     * in blocks of {@value #DEFAULT_BLOCK}, discovery's backend.
     *
     * @param spark the session the DataFrame belongs to
     * @param checkpoint the trained model, broadcast to the executors
     * @param n the number of samples, at least 0
     * @param seed the seed of the samples; the same seed gives the same samples
     * @param partitions the number of partitions of the result, at least 1
     * @return a DataFrame of {@link #schema()}, with {@code n} rows
     * @throws IllegalArgumentException if {@code n < 0} or {@code partitions < 1}
     */
    public static Dataset<Row> sample(
            SparkSession spark, FlowCheckpoint checkpoint, long n, long seed, int partitions) {
        return sample(spark, checkpoint, n, seed, partitions, "", 1.0, DEFAULT_BLOCK);
    }

    /**
     * {@code n} samples in {@code partitions} partitions, at {@code temperature} (the base
     * distribution's scale), drawn on {@code backend} (blank: discovery's choice).
     *
     * @param spark the session the DataFrame belongs to
     * @param checkpoint the trained model, broadcast to the executors
     * @param n the number of samples, at least 0
     * @param seed the seed of the samples; with the same seed and {@code blockSize}, the same samples
     *        whatever {@code partitions}
     * @param partitions the number of partitions of the result, at least 1; whole blocks are shared out
     *        among them
     * @param backend the executors' backend by name; blank: discovery's choice
     * @param temperature the scale of the base distribution, at least 0 (1: the model's distribution)
     * @param blockSize samples drawn from one random stream, at least 1; changing it changes the samples
     * @return a DataFrame of {@link #schema()}, with {@code n} rows ordered by {@code sample_id}; lazy,
     *         drawn when an action runs (the checkpoint is broadcast now)
     * @throws IllegalArgumentException if {@code n < 0}, {@code partitions < 1}, {@code blockSize < 1}
     *         or {@code temperature} is negative or NaN
     */
    public static Dataset<Row> sample(
            SparkSession spark,
            FlowCheckpoint checkpoint,
            long n,
            long seed,
            int partitions,
            String backend,
            double temperature,
            int blockSize) {
        if (n < 0 || partitions < 1 || blockSize < 1 || !(temperature >= 0)) {
            throw new IllegalArgumentException("need n >= 0, partitions >= 1, blockSize >= 1 and temperature >= 0; got "
                    + n + ", " + partitions + ", " + blockSize + ", " + temperature);
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<FlowCheckpoint> bc = jsc.broadcast(checkpoint);
        long blocks = (n + blockSize - 1) / blockSize;
        List<Long> ids = new ArrayList<>();
        for (long b = 0; b < blocks; b++) {
            ids.add(b);
        }
        JavaRDD<Long> blockIds = jsc.parallelize(ids, partitions);
        JavaRDD<Row> rows = blockIds.mapPartitions(
                it -> {
                    List<Row> out = new ArrayList<>();
                    if (!it.hasNext()) {
                        return out.iterator();
                    }
                    ExecutorFlows.Worker w = ExecutorFlows.borrow(bc.value(), backend, false);
                    try (Autodiff.NoGrad off = Autodiff.noGrad()) {
                        w.model.flow().setTraining(false);
                        while (it.hasNext()) {
                            long b = it.next();
                            int size = (int) Math.min(blockSize, n - b * blockSize);
                            float[] x;
                            try (MemoryScope scope = MemoryScope.open()) {
                                Tensor s = w.model.flow().sample(size, blockRandom(seed, b), temperature);
                                x = s.toFloatArray();
                            }
                            int d = x.length / size;
                            for (int i = 0; i < size; i++) {
                                float[] row = new float[d];
                                System.arraycopy(x, i * d, row, 0, d);
                                out.add(RowFactory.create(b * blockSize + i, row));
                            }
                        }
                    } finally {
                        w.model.flow().setTraining(true);
                        ExecutorFlows.release(w);
                    }
                    return out.iterator();
                },
                true);
        return spark.createDataFrame(rows, schema());
    }

    /**
     * The source of block {@code block}'s samples: the seed and the block mixed
     * ({@link RowScores#rowRandom} with the seed salted, so sampling and dequantization never
     * share a stream).
     *
     * @param seed the sampling seed
     * @param block the block's index, {@code sample_id / blockSize}
     * @return a new random source, the same for the same seed and block
     */
    public static RandomSource blockRandom(long seed, long block) {
        return RowScores.rowRandom(seed ^ 0x5DEECE66DL, block);
    }

    /**
     * {@code sample_id long, features array<float>}.
     *
     * @return the schema of the samples: both columns and the array's elements are non-null
     */
    public static StructType schema() {
        return new StructType()
                .add("sample_id", DataTypes.LongType, false)
                .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false);
    }
}
