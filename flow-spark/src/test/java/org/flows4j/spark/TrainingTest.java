package org.flows4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.layers.io.CheckpointInfo;
import org.flows4j.layers.optim.Adam;
import org.flows4j.testing.Tolerance;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.InMemoryDataset;
import org.flows4j.zoo.models.ZooModel;
import org.flows4j.zoo.train.BatchSource;
import org.flows4j.zoo.train.FitListener;
import org.flows4j.zoo.train.Trainer;
import org.flows4j.zoo.train.TrainerConfig;
import org.flows4j.zoo.train.ZooBatches;
import org.flows4j.zoo.train.ZooCheckpoints;
import org.junit.jupiter.api.Test;

/** Data-parallel training in {@code local[2]}: the losses of one JVM, the library's checkpoints, resume. */
@SuppressWarnings("try")
class TrainingTest {

    private static TrainerConfig config(int steps, int batch) {
        return TrainerConfig.builder()
                .optimizer(Adam.builder().learningRate(3e-3).build())
                .clipNorm(50)
                .batchSize(batch)
                .steps(steps)
                .seed(5)
                .build();
    }

    /** The losses of {@code Trainer.fit} in one JVM, the model built as the Spark run builds it. */
    private static double[] oneJvm(
            String spec,
            Shape shape,
            org.flows4j.zoo.data.Dataset.Kind kind,
            TrainerConfig tc,
            java.util.function.Function<Backend, BatchSource> source) {
        try (Backend backend = Backends.create("cpu");
                MemoryScope scope = MemoryScope.open()) {
            ZooModel model = SparkTesting.build(backend, spec, shape, kind, DType.FLOAT64, tc.seed());
            Trainer trainer = new Trainer(model.flow(), tc);
            List<Double> losses = new ArrayList<>();
            trainer.fit(source.apply(backend), new FitListener() {
                @Override
                public void onStep(long step, double loss, double stepsPerSecond) {
                    losses.add(loss);
                }

                @Override
                public void onCheckpointDue(long step) {}
            });
            return losses.stream().mapToDouble(Double::doubleValue).toArray();
        }
    }

    @Test
    void continuous_data_trains_as_flows4j_train_does_and_resumes(@org.junit.jupiter.api.io.TempDir Path dir) {
        SparkSession spark = SparkTesting.local();
        DataSplit moons = SparkTesting.moons(600);
        TrainerConfig tc = config(6, 100);
        InMemoryDataset data = new InMemoryDataset(
                "two-moons",
                org.flows4j.zoo.data.Dataset.Kind.CONTINUOUS,
                Shape.of(2),
                moons,
                moons.head(1),
                moons.head(1),
                List.of());
        double[] expected = oneJvm(
                "realnvp:2d",
                Shape.of(2),
                org.flows4j.zoo.data.Dataset.Kind.CONTINUOUS,
                tc,
                b -> ZooBatches.training(
                        data, org.flows4j.layers.BuildContext.of(b, DType.FLOAT64, RandomSource.seeded(5)), 100));

        Dataset<Row> df = spark.createDataFrame(SparkTesting.arrayRows(moons), SparkTesting.arraySchema())
                .coalesce(3);
        Path ckpt = dir.resolve("spark.safetensors");
        DataParallelTrainer.Config c = DataParallelTrainer.Config.of("realnvp:2d", tc)
                .withDtype(DType.FLOAT64)
                .withBackend("cpu")
                .withDataName("two-moons")
                .withCheckpointFile(ckpt);
        double[] losses = new DataParallelTrainer(c).fit(df).losses();
        // Float64, sums over shards in another order: FLOAT64's tolerance.
        Tolerance.FLOAT64.assertAllclose("losses of 6 steps against ZooBatches in one JVM", losses, expected);

        // The checkpoint is the library's: it rebuilds with ZooCheckpoints, and a run resumed
        // from step 4 takes the same last two steps.
        CheckpointInfo info = ZooCheckpoints.info(ckpt);
        assertEquals(6, info.metadata().step());
        assertEquals("two-moons", ZooCheckpoints.dataSpec(info));
        Path four = dir.resolve("four.safetensors");
        new DataParallelTrainer(c.withTrainer(config(4, 100)).withCheckpointFile(four)).fit(df);
        double[] rest = new DataParallelTrainer(
                        c.withTrainer(tc).withResumeFrom(four).withCheckpointFile(null))
                .fit(df.coalesce(1))
                .losses(); // ids follow the order: coalesce keeps it
        Tolerance.FLOAT64.assertAllclose("resumed steps 5 and 6", rest, Arrays.copyOfRange(expected, 4, 6));
    }

    @Test
    void image_data_draws_noise_per_row_and_matches_indexed_batches_in_one_jvm() {
        SparkSession spark = SparkTesting.local();
        Shape shape = Shape.of(1, 4, 4);
        int n = 200;
        float[] pixels = new float[n * 16];
        RandomSource r = RandomSource.seeded(3);
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = r.nextInt(256);
        }
        DataSplit images = new DataSplit(shape, pixels, null);
        TrainerConfig tc = config(3, 64);
        org.flows4j.zoo.data.Dataset.Kind kind = org.flows4j.zoo.data.Dataset.Kind.IMAGE_8BIT;
        double[] expected =
                oneJvm("nice:small", shape, kind, tc, b -> IndexedBatches.of(images, kind, b, DType.FLOAT64, 64));
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(RowFactory.create((long) i, images.sample(i)));
        }
        Dataset<Row> df =
                spark.createDataFrame(rows, SparkTesting.arraySchema()).coalesce(2);
        double[] losses = new DataParallelTrainer(DataParallelTrainer.Config.of("nice:small", tc)
                        .withImages(shape)
                        .withDtype(DType.FLOAT64)
                        .withBackend("cpu"))
                .fit(df)
                .losses();
        Tolerance.FLOAT64.assertAllclose("losses of 3 steps", losses, expected);
        assertTrue(losses[0] > 0, "pixel-space NLL is positive");
    }
}
