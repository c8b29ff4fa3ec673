package org.flows4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.testing.Tolerance;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.models.ZooModel;
import org.flows4j.zoo.train.RowScores;
import org.flows4j.zoo.train.ZooCheckpoints;
import org.junit.jupiter.api.Test;

/** Scoring in {@code local[2]}: equal to the library in one JVM row for row, whatever the partitioning and input type. */
@SuppressWarnings("try")
class ScoringTest {

    /** The same rows scored in one JVM, by the function the scorer calls. */
    private static double[] reference(FlowCheckpoint ckpt, DataSplit rows, long seed) {
        try (Backend backend = Backends.create("cpu");
                MemoryScope scope = MemoryScope.open()) {
            ZooModel model = ZooCheckpoints.load(ckpt.localFile(), Zoo.discover(), backend);
            long[] ids = new long[rows.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = i;
            }
            Tensor x = rows.range(backend, model.dtype(), 0, rows.size());
            return RowScores.logProb(model, x, seed, ids);
        }
    }

    /** A fresh {@code nice:small} for 8-bit images of {@code shape} (run seed 5, step 0), as a checkpoint. */
    private static FlowCheckpoint niceSmall(Shape shape) {
        try (Backend backend = Backends.create("cpu")) {
            return SparkTesting.checkpoint(
                    backend, "nice:small", shape, org.flows4j.zoo.data.Dataset.Kind.IMAGE_8BIT, DType.FLOAT64, 5);
        }
    }

    private static double[] column(Dataset<Row> scored, String col) {
        List<Row> rows = scored.orderBy("id").select(col).collectAsList();
        double[] out = new double[rows.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = rows.get(i).getDouble(0);
        }
        return out;
    }

    @Test
    void log_prob_equals_one_jvm_for_arrays_vectors_and_columns_whatever_the_partitions() {
        SparkSession spark = SparkTesting.local();
        DataSplit moons = SparkTesting.moons(1000);
        FlowCheckpoint ckpt;
        try (Backend backend = Backends.create("cpu")) {
            ckpt = SparkTesting.checkpoint(
                    backend, "realnvp:2d", Shape.of(2), org.flows4j.zoo.data.Dataset.Kind.CONTINUOUS, DType.FLOAT32, 3);
        }
        double[] expected = reference(ckpt, moons, 0);
        // Float32 batches of different sizes may round differently (GEMM blocking): FLOAT32's tolerance.
        Tolerance tol = Tolerance.FLOAT32;

        Dataset<Row> arrays = spark.createDataFrame(SparkTesting.arrayRows(moons), SparkTesting.arraySchema());
        FlowScorer scorer = FlowScorer.of(ckpt).withBackend("cpu").withBatchSize(128);
        for (int partitions : new int[] {1, 3, 7}) {
            Dataset<Row> scored = scorer.transform(arrays.repartition(partitions));
            assertEquals(List.of("id", "features", "log_prob"), List.of(scored.columns()), "no bits/dim for 2-D data");
            tol.assertAllclose(partitions + " partitions", column(scored, "log_prob"), expected);
        }

        // Rows that a user's function made (a typed map): Spark hands the scorer the function's
        // own objects, the features a float[] rather than Spark's Seq.
        float[][] samples = new float[moons.size()][];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = moons.sample(i);
        }
        Dataset<Row> mapped = spark.range(moons.size())
                .map(
                        (MapFunction<Long, Row>) id -> RowFactory.create(id, samples[id.intValue()]),
                        Encoders.row(SparkTesting.arraySchema()));
        tol.assertAllclose("rows made by a typed map", column(scorer.transform(mapped), "log_prob"), expected);

        List<Row> vectors = new ArrayList<>();
        List<Row> columns = new ArrayList<>();
        for (int i = 0; i < moons.size(); i++) {
            float[] x = moons.sample(i);
            vectors.add(RowFactory.create((long) i, Vectors.dense(x[0], x[1])));
            columns.add(RowFactory.create((long) i, (double) x[0], x[1]));
        }
        Dataset<Row> vec = spark.createDataFrame(
                vectors, new StructType().add("id", DataTypes.LongType).add("v", new VectorUDT()));
        tol.assertAllclose(
                "vector column",
                column(scorer.withFeaturesCol("v").withOutputCol("lp").transform(vec), "lp"),
                expected);
        Dataset<Row> cols = spark.createDataFrame(
                columns,
                new StructType()
                        .add("id", DataTypes.LongType)
                        .add("a", DataTypes.DoubleType)
                        .add("b", DataTypes.FloatType));
        tol.assertAllclose(
                "numeric columns", column(scorer.withInputCols("a", "b").transform(cols), "log_prob"), expected);
    }

    @Test
    void null_features_get_null_scores_and_bad_columns_are_named() {
        SparkSession spark = SparkTesting.local();
        FlowCheckpoint ckpt;
        try (Backend backend = Backends.create("cpu")) {
            ckpt = SparkTesting.checkpoint(
                    backend, "realnvp:2d", Shape.of(2), org.flows4j.zoo.data.Dataset.Kind.CONTINUOUS, DType.FLOAT32, 3);
        }
        List<Row> rows = List.of(RowFactory.create(0L, new float[] {0.5f, 0.25f}), RowFactory.create(1L, null));
        Dataset<Row> df = spark.createDataFrame(rows, SparkTesting.arraySchema());
        List<Row> out = FlowScorer.of(ckpt).transform(df).orderBy("id").collectAsList();
        assertTrue(Double.isFinite(out.get(0).getDouble(2)));
        assertNull(out.get(1).get(2));

        IllegalArgumentException missing = assertThrows(
                IllegalArgumentException.class,
                () -> FlowScorer.of(ckpt).withFeaturesCol("nope").transform(df));
        assertTrue(missing.getMessage().contains("'nope'"), missing.getMessage());
        IllegalArgumentException type = assertThrows(
                IllegalArgumentException.class,
                () -> FlowScorer.of(ckpt).withFeaturesCol("id").transform(df));
        assertTrue(type.getMessage().contains("'id'"), type.getMessage());
    }

    @Test
    void image_models_draw_noise_by_row_id_so_scores_match_whatever_the_partitioning() {
        SparkSession spark = SparkTesting.local();
        Shape shape = Shape.of(1, 4, 4);
        FlowCheckpoint ckpt = niceSmall(shape);
        int n = 60;
        float[] pixels = new float[n * 16];
        RandomSource r = RandomSource.seeded(9);
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = r.nextInt(256);
        }
        DataSplit images = new DataSplit(shape, pixels, null);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(RowFactory.create((long) i, images.sample(i)));
        }
        Dataset<Row> df = spark.createDataFrame(rows, SparkTesting.arraySchema());
        FlowScorer scorer = FlowScorer.of(ckpt).withBatchSize(16);
        long seed = scorer.seed();
        assertEquals(5 + 2, seed, "the checkpoint's run seed + 2, as flows4j eval draws it");
        double[] expected = reference(ckpt, images, seed);
        for (int partitions : new int[] {1, 4}) {
            // Without an id column the id is the row's index in the DataFrame's order.
            Dataset<Row> scored = scorer.transform(df.coalesce(partitions));
            Tolerance.FLOAT64.assertAllclose(
                    "row index ids, " + partitions + " partitions", column(scored, "log_prob"), expected);
            double[] bits = column(scored, "bits_per_dim");
            assertEquals(-expected[0] / (16 * Math.log(2)), bits[0], 1e-12);
            // With an id column, any order of the rows.
            Dataset<Row> shuffled = df.repartition(partitions);
            Tolerance.FLOAT64.assertAllclose(
                    "id column, " + partitions + " partitions",
                    column(scorer.withIdCol("id").transform(shuffled), "log_prob"),
                    expected);
        }
    }

    @Test
    void a_null_id_is_refused_naming_the_column_and_the_row_on_both_row_paths() {
        SparkSession spark = SparkTesting.local();
        FlowCheckpoint ckpt = niceSmall(Shape.of(1, 2, 2));
        float[] pixels = {1, 2, 3, 4};
        // Spark's internal rows (a float array) and external rows (an ML vector)
        Dataset<Row> arrays = spark.createDataFrame(
                List.of(RowFactory.create(7L, pixels), RowFactory.create(null, pixels)),
                new StructType()
                        .add("key", DataTypes.LongType, true)
                        .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), true));
        Dataset<Row> vectors = spark.createDataFrame(
                List.of(
                        RowFactory.create(7L, Vectors.dense(1, 2, 3, 4)),
                        RowFactory.create(null, Vectors.dense(1, 2, 3, 4))),
                new StructType().add("key", DataTypes.LongType, true).add("features", new VectorUDT()));
        FlowScorer scorer = FlowScorer.of(ckpt).withIdCol("key");
        for (Dataset<Row> df : List.of(arrays.coalesce(1), vectors.coalesce(1))) {
            Exception e =
                    assertThrows(Exception.class, () -> scorer.transform(df).collectAsList());
            Throwable cause = e;
            while (cause != null && !(cause instanceof IllegalArgumentException)) {
                cause = cause.getCause();
            }
            assertTrue(cause != null, "no IllegalArgumentException under " + e);
            assertTrue(
                    cause.getMessage().contains("the id column 'key' is null in row 1 (counting from 0)"),
                    cause.getMessage());
        }
    }

    @Test
    void each_executor_jvm_builds_a_checkpoint_once_not_per_partition() {
        SparkSession spark = SparkTesting.local();
        DataSplit moons = SparkTesting.moons(400);
        FlowCheckpoint ckpt;
        try (Backend backend = Backends.create("cpu")) {
            ckpt = SparkTesting.checkpoint(
                    backend,
                    "realnvp:2d",
                    Shape.of(2),
                    org.flows4j.zoo.data.Dataset.Kind.CONTINUOUS,
                    DType.FLOAT32,
                    77);
        }
        Dataset<Row> df = spark.createDataFrame(SparkTesting.arrayRows(moons), SparkTesting.arraySchema())
                .repartition(16);
        int before = ExecutorFlows.BUILT.get();
        FlowScorer scorer = FlowScorer.of(ckpt).withBackend("cpu");
        scorer.transform(df).count();
        scorer.transform(df).count();
        int built = ExecutorFlows.BUILT.get() - before;
        // local[2]: the driver's schema check and at most one per concurrent task, never 16 or 32.
        assertTrue(built >= 1 && built <= 3, "built " + built + " flows for 32 partitions");
        assertArrayEquals(
                new String[] {"id", "features", "log_prob"},
                scorer.transform(df).columns());
    }
}
