package org.flows4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.flows4j.layers.io.CheckpointInfo;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.train.ZooCheckpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spark ML conventions: the estimator and model in a Pipeline, saved and loaded, with the library's checkpoint inside. */
class PipelineTest {

    private static double[] scores(Dataset<Row> scored) {
        return scored.orderBy("id").select("log_prob").collectAsList().stream()
                .mapToDouble(r -> r.getDouble(0))
                .toArray();
    }

    @Test
    void estimator_and_model_work_in_a_pipeline_and_survive_save_and_load(@TempDir Path dir) throws Exception {
        SparkSession spark = SparkTesting.local();
        DataSplit moons = SparkTesting.moons(300);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < moons.size(); i++) {
            float[] x = moons.sample(i);
            rows.add(RowFactory.create((long) i, (double) x[0], (double) x[1]));
        }
        Dataset<Row> df = spark.createDataFrame(
                rows,
                new StructType()
                        .add("id", DataTypes.LongType)
                        .add("a", DataTypes.DoubleType)
                        .add("b", DataTypes.DoubleType));

        VectorAssembler assembler =
                new VectorAssembler().setInputCols(new String[] {"a", "b"}).setOutputCol("xy");
        FlowDensityEstimator flow = new FlowDensityEstimator()
                .setModel("realnvp:2d")
                .setFeaturesCol("xy")
                .setSteps(4)
                .setBatchSize(64)
                .setLearningRate(3e-3)
                .setBackend("cpu");
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {assembler, flow});
        PipelineModel fitted = pipeline.fit(df);
        double[] before = scores(fitted.transform(df));
        assertEquals(300, before.length);

        FlowDensityModel model = (FlowDensityModel) fitted.stages()[1];
        assertEquals("xy", model.getFeaturesCol());
        assertEquals(flow, model.parent());
        CheckpointInfo info = model.checkpoint().info();
        assertEquals(4, info.metadata().step(), "the checkpoint holds the trained step");
        assertEquals("realnvp:2d", info.metadata().modelSpec());

        // Saved and loaded: the same scores, and the library's checkpoint file in the directory.
        String path = dir.resolve("pipeline").toString();
        fitted.write().overwrite().save(path);
        PipelineModel loaded = PipelineModel.load(path);
        assertArrayEquals(before, scores(loaded.transform(df)));
        Path inside;
        try (Stream<Path> files = Files.walk(dir)) {
            inside = files.filter(p -> p.getFileName().toString().equals(FlowDensityModel.CHECKPOINT_FILE))
                    .findFirst()
                    .orElseThrow();
        }
        assertEquals(4, ZooCheckpoints.info(inside).metadata().step(), "flows4j eval can open it");

        // The unfitted pipeline saves too (MLWritable estimator).
        String est = dir.resolve("estimator").toString();
        flow.write().overwrite().save(est);
        FlowDensityEstimator back = FlowDensityEstimator.load(est);
        assertEquals(4L, (Long) back.getOrDefault(back.steps()));
        assertEquals("xy", back.getFeaturesCol());

        // A model trained elsewhere (flows4j train) scores through the same Model.
        FlowDensityModel outside =
                FlowDensityModel.of(FlowCheckpoint.read(inside)).setFeaturesCol("xy");
        assertArrayEquals(before, scores(outside.transform(assembler.transform(df))));
        assertTrue(model.explainParams().contains("featuresCol"));
    }
}
