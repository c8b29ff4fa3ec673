package org.flows4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.optim.Adam;
import org.flows4j.testing.Tolerance;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.models.ZooModel;
import org.flows4j.zoo.train.RowScores;
import org.flows4j.zoo.train.Trainer;
import org.flows4j.zoo.train.TrainerConfig;
import org.flows4j.zoo.train.ZooCheckpoints;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The one end-to-end test with real executor JVMs: {@code local-cluster[2,1,1024]} (two
 * workers, one core and 1 GiB each), started from the Maven class path alone. It scores and
 * trains a few steps and checks both against a single JVM.
 */
@SuppressWarnings("try")
class LocalClusterTest {

    private static SparkSession spark;

    @BeforeAll
    static void start() {
        SparkTesting.stopLocal(); // one SparkContext per JVM
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String absolute = List.of(classPath.split(File.pathSeparator)).stream()
                .map(p -> Path.of(p).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
        spark = SparkSession.builder()
                .master("local-cluster[2,1,1024]")
                .appName("flows4j-local-cluster")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.ui.enabled", "false")
                .config("spark.executor.extraClassPath", absolute)
                .config("spark.executorEnv.SPARK_SCALA_VERSION", "2.13")
                .config("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1")
                .config(
                        "spark.executor.extraJavaOptions",
                        "-Dlog4j2.configurationFile=log4j2-flows4j-spark.properties --add-modules jdk.incubator.vector")
                .config(
                        "spark.sql.warehouse.dir",
                        SparkTesting.tempDir("warehouse").toString())
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    @Test
    void scores_and_trains_on_real_executors_as_in_one_jvm() {
        DataSplit moons = SparkTesting.moons(800);
        Dataset<Row> df = spark.createDataFrame(SparkTesting.arrayRows(moons), SparkTesting.arraySchema())
                .repartition(4);
        TrainerConfig tc = TrainerConfig.builder()
                .optimizer(Adam.builder().learningRate(3e-3).build())
                .batchSize(128)
                .steps(3)
                .seed(4)
                .build();

        // Train 3 steps on the executors; the driver's model and a one-JVM run must agree.
        DataParallelTrainer.Result result = new DataParallelTrainer(DataParallelTrainer.Config.of("realnvp:2d", tc)
                        .withDtype(DType.FLOAT64)
                        .withBackend("cpu"))
                .fit(df.orderBy("id").coalesce(2));
        double[] expected;
        try (Backend backend = Backends.create("cpu");
                MemoryScope scope = MemoryScope.open()) {
            ZooModel model = SparkTesting.build(
                    backend, "realnvp:2d", Shape.of(2), org.flows4j.zoo.data.Dataset.Kind.CONTINUOUS, DType.FLOAT64, 4);
            Trainer trainer = new Trainer(model.flow(), tc);
            expected = new double[3];
            for (int s = 0; s < 3; s++) {
                long[] ids = IndexedBatches.ids(4, s, moons.size(), 128);
                int[] idx = new int[ids.length];
                for (int i = 0; i < idx.length; i++) {
                    idx[i] = (int) ids[i];
                }
                expected[s] = trainer.trainStep(moons.batch(backend, DType.FLOAT64, idx));
            }
        }
        Tolerance.FLOAT64.assertAllclose("losses on 2 executor JVMs", result.losses(), expected);

        // Score with the trained checkpoint on the executors, against the library in this JVM.
        List<Row> scored = FlowScorer.of(result.checkpoint())
                .withBackend("cpu")
                .transform(df)
                .orderBy("id")
                .select("log_prob")
                .collectAsList();
        double[] got = new double[scored.size()];
        for (int i = 0; i < got.length; i++) {
            got[i] = scored.get(i).getDouble(0);
        }
        double[] want;
        try (Backend backend = Backends.create("cpu");
                MemoryScope scope = MemoryScope.open()) {
            ZooModel model = ZooCheckpoints.load(result.checkpoint().localFile(), Zoo.discover(), backend);
            Tensor x = moons.range(backend, DType.FLOAT64, 0, moons.size());
            want = RowScores.logProb(model, x, 0, new long[moons.size()]);
        }
        assertEquals(800, got.length);
        Tolerance.FLOAT64.assertAllclose("log_prob on 2 executor JVMs", got, want);
        assertEquals(3, spark.sparkContext().getExecutorMemoryStatus().size(), "the driver and 2 executor JVMs");
    }
}
