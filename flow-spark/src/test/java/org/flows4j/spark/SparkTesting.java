package org.flows4j.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.random.RandomSource;
import org.flows4j.layers.BuildContext;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.DataRequest;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.ModelRequest;
import org.flows4j.zoo.models.ModelSpec;
import org.flows4j.zoo.models.ZooModel;
import org.flows4j.zoo.train.Trainer;
import org.flows4j.zoo.train.TrainerConfig;
import org.flows4j.zoo.train.ZooCheckpoints;

/**
 * What the Spark tests share: one {@code local[2]} session for the whole test JVM (a Spark
 * context costs seconds to start), loopback only, and small models and data.
 */
final class SparkTesting {

    private static SparkSession session;

    private SparkTesting() {}

    /** The shared {@code local[2]} session, on 127.0.0.1 only. */
    static synchronized SparkSession local() {
        if (session == null || session.sparkContext().isStopped()) {
            session = SparkSession.builder()
                    .master("local[2]")
                    .appName("flows4j-spark-tests")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "2")
                    .config("spark.sql.warehouse.dir", tempDir("warehouse").toString())
                    .config("spark.local.dir", tempDir("local").toString())
                    .getOrCreate();
            session.sparkContext().setLogLevel("WARN");
        }
        return session;
    }

    /** Stops the shared session (the local-cluster test needs the JVM to itself). */
    static synchronized void stopLocal() {
        if (session != null) {
            session.stop();
            session = null;
            SparkSession.clearActiveSession();
            SparkSession.clearDefaultSession();
        }
    }

    static Path tempDir(String name) {
        try {
            return Files.createTempDirectory("flows4j-spark-" + name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first {@code n} training samples of two moons (seed 42). */
    static DataSplit moons(int n) {
        Dataset d = Zoo.builtIn().dataset(new DataRequest("two-moons", null, 42, 0));
        return d.train().head(n);
    }

    /** Rows {@code (id long, features array<float>)} of a split. */
    static List<Row> arrayRows(DataSplit split) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < split.size(); i++) {
            float[] x = split.sample(i);
            rows.add(RowFactory.create((long) i, x));
        }
        return rows;
    }

    static StructType arraySchema() {
        return new StructType()
                .add("id", DataTypes.LongType, false)
                .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), true);
    }

    /** A zoo model built from {@code seed}, as {@code flows4j train} builds it, saved as a checkpoint (step 0). */
    static FlowCheckpoint checkpoint(
            Backend backend, String spec, Shape shape, Dataset.Kind kind, DType dtype, long seed) {
        ZooModel model = build(backend, spec, shape, kind, dtype, seed);
        if (!model.flow().isInitialized()) {
            // data-dependent layers (NICE's scaling, actnorm) start from a batch like the data
            int[] dims = new int[shape.rank() + 1];
            dims[0] = 64;
            System.arraycopy(shape.dims(), 0, dims, 1, shape.rank());
            RandomSource r = RandomSource.seeded(seed + 100);
            model.flow()
                    .initialize(
                            kind == Dataset.Kind.IMAGE_8BIT
                                    ? r.uniform(backend, dtype, Shape.of(dims), 0, 256)
                                    : r.normal(backend, dtype, Shape.of(dims), 0, 1));
        }
        Path file = tempDir("ckpt").resolve("model.safetensors");
        Trainer trainer =
                new Trainer(model.flow(), TrainerConfig.builder().seed(seed).build());
        ZooCheckpoints.save(file, model, trainer, "two-moons", 0, seed);
        return FlowCheckpoint.read(file);
    }

    static ZooModel build(Backend backend, String spec, Shape shape, Dataset.Kind kind, DType dtype, long seed) {
        Zoo zoo = Zoo.builtIn();
        ModelSpec s = zoo.complete(ModelSpec.parse(spec));
        return zoo.model(s)
                .build(new ModelRequest(
                        s.preset(), shape, kind, BuildContext.of(backend, dtype, RandomSource.seeded(seed)), Map.of()));
    }
}
