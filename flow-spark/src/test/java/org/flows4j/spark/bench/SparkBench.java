package org.flows4j.spark.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.optim.Adam;
import org.flows4j.spark.DataParallelTrainer;
import org.flows4j.spark.FlowCheckpoint;
import org.flows4j.spark.FlowScorer;
import org.flows4j.spark.IndexedBatches;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.models.ModelRequest;
import org.flows4j.zoo.models.ModelSpec;
import org.flows4j.zoo.models.ZooModel;
import org.flows4j.zoo.train.Gradients;
import org.flows4j.zoo.train.RowScores;
import org.flows4j.zoo.train.Trainer;
import org.flows4j.zoo.train.TrainerConfig;
import org.flows4j.zoo.train.ZooCheckpoints;

/**
 * flow-spark against the library in one JVM, on the same cores (issue #16, item 8). One
 * process, the two sides interleaved round by round (and their order rotated) so that the
 * machine's noise hits both. Backend {@code cpu} (pure Java), float32, untrained zoo models
 * built from a fixed seed and saved as checkpoints ({@link ZooCheckpoints#save}).
 *
 * <ol>
 * <li><b>scoring</b>: rows/s over {@code --rows} rows per model. Spark {@code local[2]}:
 *     {@link FlowScorer#transform} then {@code sum(log_prob)}, which scores every row. One JVM:
 *     {@link RowScores#logProb} over batches of the scorer's batch size (what a Spark task
 *     runs), on 1 thread (one flow, a 1-thread backend), on 2 threads (two flows from the same
 *     checkpoint, as Spark's two task slots) and as one flow on a 2-thread backend. Rows are
 *     made on the fly from the row id ({@link Rows}) on both sides; the generation alone and
 *     Spark's row handling alone (the scorer's path with a sum in place of the flow) are
 *     measured too.</li>
 * <li><b>training</b>: {@link DataParallelTrainer} steps/s on {@code local[2]} (2 partitions)
 *     against {@link Trainer} in one JVM on the same model, batches ({@link IndexedBatches}),
 *     batch size and rows, with the per-step overhead, and the Spark step broken down with
 *     Spark's event timestamps (job, slowest task per stage, the driver's time outside the
 *     job) and a broadcast of the step's size timed alone.</li>
 * <li><b>scaling</b>: scoring rows/s on {@code local[1]}, {@code local[2]},
 *     {@code local-cluster[1,1,1024]} and {@code local-cluster[2,1,1024]}, and the training
 *     step against the partitions (2, 4, 8).</li>
 * </ol>
 *
 * <p>Run it with {@code flow-spark/bench/run-spark-bench.sh} (class path, JDK 17 flags,
 * {@code SPARK_TESTING} for local-cluster); {@code --help} lists the options.
 */
@SuppressWarnings("try") // memory scopes are opened for their close()
public final class SparkBench {

    private static final long MODEL_SEED = 11;
    private static final long TRAIN_SEED = 7;
    private static final Pattern COMMA = Pattern.compile(",");
    private static final ModelCase TRAIN_MODEL = ModelCase.of("realnvp:2d");

    private SparkBench() {}

    /** A model and the shape of its rows. */
    record ModelCase(String spec, Shape shape, org.flows4j.zoo.data.Dataset.Kind kind) {

        int dims() {
            return shape.size();
        }

        boolean images() {
            return kind == org.flows4j.zoo.data.Dataset.Kind.IMAGE_8BIT;
        }

        /** {@code realnvp:2d} (any {@code :2d}), {@code maf:tabular[@D]} (D features, default 8), {@code nice:*} (28x28 8-bit). */
        static ModelCase of(String text) {
            String[] parts = text.split("@", 2);
            String spec = parts[0].trim();
            if (spec.endsWith(":2d")) {
                return new ModelCase(spec, Shape.of(2), org.flows4j.zoo.data.Dataset.Kind.CONTINUOUS);
            }
            if (spec.equals("maf:tabular") || spec.equals("realnvp:tabular")) {
                int d = parts.length > 1 ? Integer.parseInt(parts[1].trim()) : 8;
                return new ModelCase(spec, Shape.of(d), org.flows4j.zoo.data.Dataset.Kind.CONTINUOUS);
            }
            if (spec.startsWith("nice:")) {
                return new ModelCase(spec, Shape.of(1, 28, 28), org.flows4j.zoo.data.Dataset.Kind.IMAGE_8BIT);
            }
            throw new IllegalArgumentException(
                    "model '" + text + "': this benchmark knows *:2d, maf:tabular[@D] and nice:*");
        }

        @Override
        public String toString() {
            return spec + (spec.equals("maf:tabular") ? "@" + dims() : "");
        }
    }

    /** The command line. */
    record Options(
            long rows,
            List<ModelCase> models,
            int rounds,
            Set<String> what,
            boolean quick,
            int batch,
            int partitions,
            int trainRows,
            int trainSteps,
            int trainBatch,
            List<Integer> trainPartitions,
            boolean cluster,
            long warmRows) {}

    static Options parse(String[] args) {
        boolean quick = Arrays.asList(args).contains("--quick");
        long rows = quick ? 20_000 : 1_000_000;
        String models = "realnvp:2d,nice:small";
        int rounds = quick ? 2 : 3;
        String what = "scoring,training,scaling";
        int batch = 1024;
        int partitions = 2;
        int trainRows = quick ? 10_000 : 100_000;
        int trainSteps = quick ? 15 : 200;
        int trainBatch = 512;
        String trainPartitions = "2,4,8";
        boolean cluster = true;
        long warmRows = -1;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--quick" -> {}
                case "--no-cluster" -> cluster = false;
                case "--rows" -> rows = Long.parseLong(value(args, ++i, a).replace("_", ""));
                case "--models" -> models = value(args, ++i, a);
                case "--rounds" -> rounds = Integer.parseInt(value(args, ++i, a));
                case "--what" -> what = value(args, ++i, a);
                case "--batch" -> batch = Integer.parseInt(value(args, ++i, a));
                case "--partitions" -> partitions = Integer.parseInt(value(args, ++i, a));
                case "--train-rows" ->
                    trainRows = Integer.parseInt(value(args, ++i, a).replace("_", ""));
                case "--train-steps" -> trainSteps = Integer.parseInt(value(args, ++i, a));
                case "--train-batch" -> trainBatch = Integer.parseInt(value(args, ++i, a));
                case "--train-partitions" -> trainPartitions = value(args, ++i, a);
                case "--warm-rows" ->
                    warmRows = Long.parseLong(value(args, ++i, a).replace("_", ""));
                case "--help", "-h" -> {
                    System.out.println(usage());
                    System.exit(0);
                }
                default -> throw new IllegalArgumentException("unknown option '" + a + "'\n" + usage());
            }
        }
        List<ModelCase> cases = new ArrayList<>();
        for (String m : COMMA.splitAsStream(models).toList()) {
            if (!m.isBlank()) {
                cases.add(ModelCase.of(m));
            }
        }
        Set<String> parts = new LinkedHashSet<>();
        for (String w : COMMA.splitAsStream(what).toList()) {
            String p = w.trim();
            if (!Set.of("scoring", "training", "scaling").contains(p)) {
                throw new IllegalArgumentException("--what takes scoring, training, scaling; got '" + p + "'");
            }
            parts.add(p);
        }
        List<Integer> tp = COMMA.splitAsStream(trainPartitions)
                .map(s -> Integer.valueOf(s.trim()))
                .toList();
        if (warmRows < 0) {
            warmRows = quick ? Math.min(rows, 5_000) : Math.min(rows, Math.max(rows / 10, 20_000));
        }
        if (rows < 1 || rounds < 1 || batch < 1 || partitions < 1 || trainSteps < 4 || trainRows < trainBatch) {
            throw new IllegalArgumentException("rows, rounds, batch, partitions >= 1, train-steps >= 4, "
                    + "train-rows >= train-batch\n" + usage());
        }
        return new Options(
                rows,
                cases,
                rounds,
                parts,
                quick,
                batch,
                partitions,
                trainRows,
                trainSteps,
                trainBatch,
                tp,
                cluster,
                warmRows);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value\n" + usage());
        }
        return args[i];
    }

    static String usage() {
        return """
                usage: run-spark-bench.sh [options]
                  --rows N              rows scored per measurement (default 1,000,000; --quick 20,000)
                  --models a,b          realnvp:2d, maf:2d, nsf:2d, maf:tabular[@D], nice:small, nice:paper
                                        (default realnvp:2d,nice:small)
                  --rounds N            interleaved rounds; medians are reported (default 3; --quick 2)
                  --what a,b            scoring,training,scaling (default all three)
                  --batch N             scoring batch size, both sides (default 1024, FlowScorer's)
                  --partitions N        partitions of the scored rows (default 2: one per local[2] slot)
                  --train-rows N        rows cached for training (default 100,000; --quick 10,000)
                  --train-steps N       steps per training measurement (default 200; --quick 15)
                  --train-batch N       global batch size (default 512)
                  --train-partitions l  partitions for the step-time growth (default 2,4,8)
                  --warm-rows N         rows of each warm-up run (default max(rows/10, 20,000); --quick 5,000)
                  --no-cluster          skip local-cluster in the scaling part
                  --quick               small sizes for a smoke run""";
    }

    /** Runs the benchmark; see {@link #usage()}. */
    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("SparkBench: " + e.getMessage());
            System.exit(2);
            return;
        }
        long begun = System.nanoTime();
        System.out.println("# flows4j SparkBench (issue #16 item 8)");
        System.out.println();
        System.out.println("- command: `SparkBench " + String.join(" ", args) + "`");
        System.out.println("- cpu: " + cpuModel() + ", " + Runtime.getRuntime().availableProcessors()
                + " processors visible to the JVM; load average at start " + loadAverage());
        System.out.println("- java " + System.getProperty("java.version") + ", max heap "
                + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB; backend cpu (pure Java), float32; models "
                + o.models() + " untrained (seed " + MODEL_SEED + ")");
        System.out.println("- rounds " + o.rounds() + " (medians over rounds; min..max in brackets), sides interleaved"
                + " and their order rotated every round; warm-up runs of "
                + String.format(Locale.ROOT, "%,d", o.warmRows()) + " rows not counted");
        Path tmp = Files.createTempDirectory("flows4j-spark-bench");
        Map<ModelCase, FlowCheckpoint> checkpoints = new LinkedHashMap<>();
        for (ModelCase m : o.models()) {
            checkpoints.put(m, checkpoint(m, tmp));
        }
        SparkSession spark = null;
        try {
            if (!o.what().isEmpty()) {
                spark = start("local[2]", tmp);
                System.out.println("- Spark " + spark.version() + ", master local[2]");
                System.out.println();
            }
            if (o.what().contains("scoring")) {
                scoring(spark, o, checkpoints);
            }
            if (o.what().contains("training")) {
                training(spark, o);
            }
            if (spark != null && o.what().contains("scaling")) {
                trainingPartitions(spark, o);
            }
            if (spark != null) {
                stop(spark);
                spark = null;
            }
            if (o.what().contains("scaling")) {
                scoringScaling(o, checkpoints, tmp);
            }
        } finally {
            if (spark != null) {
                stop(spark);
            }
        }
        System.out.printf(
                Locale.ROOT,
                "total %.0f s; load average at end %s%n",
                (System.nanoTime() - begun) / 1e9,
                loadAverage());
    }

    // ---------------------------------------------------------------------------------------
    // Part 1: scoring

    /** One scoring side: runs over rows [0, n) and returns {sum of log_prob, rows}. */
    @FunctionalInterface
    private interface Side {
        double[] run(long n) throws Exception;
    }

    private static void scoring(SparkSession spark, Options o, Map<ModelCase, FlowCheckpoint> checkpoints)
            throws Exception {
        System.out.println("## 1. Scoring rows/s, " + String.format(Locale.ROOT, "%,d", o.rows()) + " rows, batch "
                + o.batch() + ", Spark local[2] against one JVM on the same cores");
        System.out.println();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        Table table = new Table("model", "side", "rows/s", "ms per 1k rows", "vs one JVM, 2 threads");
        Table checks =
                new Table("model", "sum log_prob, Spark", "sum log_prob, one JVM", "relative difference", "rows");
        try {
            for (ModelCase m : o.models()) {
                FlowCheckpoint ckpt = checkpoints.get(m);
                FlowScorer scorer = FlowScorer.of(ckpt).withBackend("cpu").withBatchSize(o.batch());
                if (m.images()) {
                    scorer = scorer.withIdCol("id"); // the row id seeds the noise; no counting pass
                }
                long seed = scorer.seed();
                FlowScorer s = scorer;
                try (Local one = new Local(ckpt, 1);
                        Local a = new Local(ckpt, 1);
                        Local b = new Local(ckpt, 1);
                        Local wide = new Local(ckpt, 2)) {
                    Map<String, Side> sides = new LinkedHashMap<>();
                    sides.put("Spark local[2], FlowScorer", n -> sparkScore(spark, s, m, n, o.partitions()));
                    sides.put("Spark local[2], rows only (no flow)", n -> sparkRowsOnly(spark, m, n, o.partitions()));
                    sides.put("one JVM, 1 thread", n -> one.score(m, 0, n, o.batch(), seed));
                    sides.put("one JVM, 2 threads (2 flows)", n -> {
                        long half = Rows.bounds(n, 2)[1];
                        Future<double[]> f0 = pool.submit(() -> a.score(m, 0, half, o.batch(), seed));
                        Future<double[]> f1 = pool.submit(() -> b.score(m, half, n, o.batch(), seed));
                        double[] r0 = get(f0);
                        double[] r1 = get(f1);
                        return new double[] {r0[0] + r1[0], r0[1] + r1[1]};
                    });
                    sides.put("one JVM, 1 flow on a 2-thread backend", n -> wide.score(m, 0, n, o.batch(), seed));
                    sides.put("generation only, 1 thread", n -> generate(m, n, o.batch()));
                    Map<String, List<Double>> rates =
                            measure("scoring " + m, sides, o.rows(), o.warmRows(), o.rounds());
                    String ref = "one JVM, 2 threads (2 flows)";
                    for (String side : sides.keySet()) {
                        List<Double> r = rates.get(side);
                        table.row(
                                m.toString(),
                                side,
                                spread(r, "%,.0f"),
                                String.format(Locale.ROOT, "%.3f", 1000 / median(r) * 1000),
                                side.equals(ref) || side.startsWith("generation")
                                        ? ""
                                        : ratioSpread(r, rates.get(ref)));
                    }
                    double[] sparkSum = sparkScore(spark, s, m, o.rows(), o.partitions());
                    double[] jvmSum = sides.get(ref).run(o.rows());
                    checks.row(
                            m.toString(),
                            String.format(Locale.ROOT, "%.6e", sparkSum[0]),
                            String.format(Locale.ROOT, "%.6e", jvmSum[0]),
                            String.format(
                                    Locale.ROOT,
                                    "%.1e",
                                    Math.abs(sparkSum[0] - jvmSum[0]) / Math.max(1e-300, Math.abs(jvmSum[0]))),
                            String.format(Locale.ROOT, "%,.0f / %,.0f", sparkSum[1], jvmSum[1]));
                }
            }
        } finally {
            pool.shutdownNow();
        }
        table.print();
        System.out.println();
        System.out.println(
                "\"vs one JVM, 2 threads\": the median of the per-round ratios (target of issue #16: >= 0.80)."
                        + " \"rows only\": the scorer's path (rows made, read into doubles, a score column added, summed) with"
                        + " the flow left out. Same rows on both sides (ids 0..n-1 made from the id), so the sums must agree:");
        System.out.println();
        checks.print();
        System.out.println();
    }

    private static double[] get(Future<double[]> f) throws Exception {
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception c ? c : e;
        }
    }

    /** FlowScorer's output, summed: every row is scored. Returns {sum, rows}. */
    static double[] sparkScore(SparkSession spark, FlowScorer scorer, ModelCase m, long n, int partitions) {
        Dataset<Row> df = Rows.frame(spark, n, partitions, m.dims(), m.images());
        Row r = scorer.transform(df).agg(sum(col("log_prob")), count(lit(1))).first();
        return new double[] {r.getDouble(0), r.getLong(1)};
    }

    /**
     * The scorer's path without the flow: rows made, their features read as FeatureReader reads
     * an array column (boxed elements), a double column added, the DataFrame rebuilt and summed.
     */
    static double[] sparkRowsOnly(SparkSession spark, ModelCase m, long n, int partitions) {
        Dataset<Row> df = Rows.frame(spark, n, partitions, m.dims(), m.images());
        StructType out = df.schema().add("log_prob", DataTypes.DoubleType, true);
        // As FlowScorer reads and writes them: Spark's internal rows, the array never boxed.
        JavaRDD<InternalRow> rows = df.queryExecution().toRdd().toJavaRDD().map(r -> {
            ArrayData v = r.getArray(1);
            double s = 0;
            for (int i = 0; i < v.numElements(); i++) {
                s += v.getFloat(i);
            }
            return (InternalRow) new JoinedRow(r.copy(), new GenericInternalRow(new Object[] {s}));
        });
        Row r = ((org.apache.spark.sql.classic.SparkSession) spark)
                .internalCreateDataFrame(rows.rdd(), out, false)
                .agg(sum(col("log_prob")), count(lit(1)))
                .first();
        return new double[] {r.getDouble(0), r.getLong(1)};
    }

    /** The rows alone, made into batches as the single-JVM side makes them. Returns {checksum, rows}. */
    static double[] generate(ModelCase m, long n, int batch) {
        int dims = m.dims();
        double[] x = new double[batch * dims];
        double check = 0;
        for (long start = 0; start < n; start += batch) {
            int rows = (int) Math.min(batch, n - start);
            for (int i = 0; i < rows; i++) {
                Rows.fill(start + i, dims, m.images(), x, i * dims);
            }
            check += x[0] + x[rows * dims - 1];
        }
        return new double[] {check, n};
    }

    /** A flow built from a checkpoint in this JVM, on its own cpu backend of {@code threads} threads. */
    static final class Local implements AutoCloseable {

        private static volatile Zoo zoo;

        final Backend backend;
        final ZooModel model;

        Local(FlowCheckpoint checkpoint, int threads) {
            backend = Backends.create("cpu", BackendOptions.defaults().withThreads(threads));
            model = ZooCheckpoints.load(checkpoint.localFile(), zoo(), backend);
        }

        private static Zoo zoo() {
            Zoo z = zoo;
            if (z == null) {
                synchronized (Local.class) {
                    if (zoo == null) {
                        zoo = Zoo.discover();
                    }
                    z = zoo;
                }
            }
            return z;
        }

        /** Rows [from, to) in batches, as a Spark task scores its partition. Returns {sum of log_prob, rows}. */
        double[] score(ModelCase m, long from, long to, int batch, long seed) {
            int dims = m.dims();
            int[] event = m.shape().dims();
            double[] x = new double[batch * dims];
            long[] ids = new long[batch];
            double total = 0;
            for (long start = from; start < to; start += batch) {
                int rows = (int) Math.min(batch, to - start);
                for (int i = 0; i < rows; i++) {
                    Rows.fill(start + i, dims, m.images(), x, i * dims);
                    ids[i] = start + i;
                }
                int[] shape = new int[event.length + 1];
                shape[0] = rows;
                System.arraycopy(event, 0, shape, 1, event.length);
                try (MemoryScope scope = MemoryScope.open()) {
                    double[] data = rows == batch ? x : Arrays.copyOf(x, rows * dims);
                    Tensor t = Tensor.of(backend, model.dtype(), data, Shape.of(shape));
                    double[] lp = RowScores.logProb(model, t, seed, rows == batch ? ids : Arrays.copyOf(ids, rows));
                    for (double v : lp) {
                        total += v;
                    }
                }
            }
            return new double[] {total, to - from};
        }

        @Override
        public void close() {
            backend.close();
        }
    }

    /**
     * Warms every side up once on {@code warm} rows, then runs {@code rounds} rounds of every
     * side on {@code n} rows, the order rotated by one each round. Returns rows/s by side.
     */
    private static Map<String, List<Double>> measure(
            String what, Map<String, Side> sides, long n, long warm, int rounds) throws Exception {
        List<String> names = new ArrayList<>(sides.keySet());
        for (String name : names) {
            double t = seconds(() -> sides.get(name).run(warm));
            progress("%s: warm-up %s, %,d rows in %.1f s", what, name, warm, t);
        }
        Map<String, List<Double>> rates = new LinkedHashMap<>();
        names.forEach(k -> rates.put(k, new ArrayList<>()));
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < names.size(); k++) {
                String name = names.get((k + r) % names.size());
                double t = seconds(() -> {
                    double[] out = sides.get(name).run(n);
                    if (out[1] != n) {
                        throw new IllegalStateException(name + " saw " + out[1] + " rows, not " + n);
                    }
                });
                rates.get(name).add(n / t);
                progress("%s: round %d/%d %s: %,.0f rows/s (%.1f s)", what, r + 1, rounds, name, n / t, t);
            }
        }
        return rates;
    }

    // ---------------------------------------------------------------------------------------
    // Part 2: training

    /** One Spark training run's per-step times (ms, means over the measured steps). */
    record SparkSteps(double step, double job, double tasks, double stages, double taskCount, double firstLoss) {

        double rate() {
            return 1000 / step;
        }
    }

    /** One single-JVM training run's per-step times (ms, means over the measured steps). */
    record JvmSteps(double step, double batch, double gradients, double apply, double firstLoss) {

        double rate() {
            return 1000 / step;
        }
    }

    private static TrainerConfig trainerConfig(int steps, int batch) {
        return TrainerConfig.builder()
                .optimizer(Adam.builder().learningRate(1e-3).build())
                .batchSize(batch)
                .steps(steps)
                .seed(TRAIN_SEED)
                .build();
    }

    /** Steps not counted at the start of every run (executor flows built, first-step JIT). */
    private static int skipped(int steps) {
        return Math.min(5, steps / 4);
    }

    private static void training(SparkSession spark, Options o) {
        System.out.println("## 2. Training steps/s, " + TRAIN_MODEL + ", batch " + o.trainBatch() + ", "
                + String.format(Locale.ROOT, "%,d", o.trainRows()) + " rows cached, " + o.trainSteps()
                + " steps per run (the first " + skipped(o.trainSteps()) + " not counted), Adam, float32");
        System.out.println();
        StepTimes times = new StepTimes();
        spark.sparkContext().addSparkListener(times);
        try {
            trainingRounds(spark, o, times);
        } finally {
            spark.sparkContext().removeSparkListener(times);
        }
    }

    private static void trainingRounds(SparkSession spark, Options o, StepTimes times) {
        DataSplit split = split(o.trainRows());
        Map<String, List<Double>> ms = new LinkedHashMap<>();
        List<SparkSteps> sparkRuns = new ArrayList<>();
        List<JvmSteps> jvm1 = new ArrayList<>();
        List<JvmSteps> jvm2 = new ArrayList<>();
        List<Double> broadcast = new ArrayList<>();
        int[] paramSizes = parameterSizes();
        progress(
                "training: %s has %,d parameters in %d tensors",
                TRAIN_MODEL, Arrays.stream(paramSizes).sum(), paramSizes.length);
        int warmSteps = Math.max(8, Math.min(o.trainSteps(), 40));
        sparkTrain(spark, times, o.trainRows(), 2, warmSteps, o.trainBatch());
        jvmTrain(split, warmSteps, o.trainBatch(), 1);
        jvmTrain(split, warmSteps, o.trainBatch(), 2);
        broadcastMs(spark, paramSizes, o.trainBatch(), 20);
        progress("training: warmed up (%d steps each)", warmSteps);
        List<String> order = List.of("spark", "jvm1", "jvm2", "broadcast");
        for (int r = 0; r < o.rounds(); r++) {
            for (int k = 0; k < order.size(); k++) {
                switch (order.get((k + r) % order.size())) {
                    case "spark" -> {
                        SparkSteps s = sparkTrain(spark, times, o.trainRows(), 2, o.trainSteps(), o.trainBatch());
                        sparkRuns.add(s);
                        progress("training: round %d/%d Spark local[2]: %.2f ms/step", r + 1, o.rounds(), s.step());
                    }
                    case "jvm1" -> {
                        JvmSteps j = jvmTrain(split, o.trainSteps(), o.trainBatch(), 1);
                        jvm1.add(j);
                        progress("training: round %d/%d one JVM 1 thread: %.2f ms/step", r + 1, o.rounds(), j.step());
                    }
                    case "jvm2" -> {
                        JvmSteps j = jvmTrain(split, o.trainSteps(), o.trainBatch(), 2);
                        jvm2.add(j);
                        progress("training: round %d/%d one JVM 2 threads: %.2f ms/step", r + 1, o.rounds(), j.step());
                    }
                    default -> broadcast.add(broadcastMs(spark, paramSizes, o.trainBatch(), 50));
                }
            }
        }
        ms.put("spark", sparkRuns.stream().map(SparkSteps::step).toList());
        Table t = new Table("side", "steps/s", "ms/step", "overhead vs this side, ms/step", "first loss");
        t.row(
                "Spark local[2], DataParallelTrainer (2 partitions)",
                spread(rates(ms.get("spark")), "%.1f"),
                spread(ms.get("spark"), "%.2f"),
                "",
                String.format(Locale.ROOT, "%.6f", sparkRuns.get(0).firstLoss()));
        for (Map.Entry<String, List<JvmSteps>> e : List.of(
                Map.entry("one JVM, Trainer, 1-thread backend", jvm1),
                Map.entry("one JVM, Trainer, 2-thread backend", jvm2))) {
            List<Double> steps = e.getValue().stream().map(JvmSteps::step).toList();
            List<Double> overhead = new ArrayList<>();
            for (int r = 0; r < steps.size(); r++) {
                overhead.add(ms.get("spark").get(r) - steps.get(r));
            }
            t.row(
                    e.getKey(),
                    spread(rates(steps), "%.1f"),
                    spread(steps, "%.2f"),
                    spread(overhead, "%.2f"),
                    String.format(Locale.ROOT, "%.6f", e.getValue().get(0).firstLoss()));
        }
        t.print();
        System.out.println();
        System.out.println("Overhead = 1/spark_rate - 1/jvm_rate, per round, median [min..max]. Same model (seed "
                + TRAIN_SEED + "), batches (IndexedBatches) and rows on both sides, so the first losses agree to"
                + " float32 rounding.");
        System.out.println();
        Table parts = new Table(
                "where a step goes (ms, median over rounds)",
                "Spark local[2]",
                "one JVM 1 thread",
                "one JVM 2 threads");
        parts.row(
                "whole step", med(sparkRuns, SparkSteps::step), medJ(jvm1, JvmSteps::step), medJ(jvm2, JvmSteps::step));
        parts.row("Spark job (submit to end, scheduler clock)", med(sparkRuns, SparkSteps::job), "", "");
        parts.row("  slowest task per stage, summed over the job's stages", med(sparkRuns, SparkSteps::tasks), "", "");
        parts.row(
                "  job outside its tasks (scheduling, closures, results)",
                med(sparkRuns, s -> s.job() - s.tasks()),
                "",
                "");
        parts.row(
                "driver outside the job (parameters out, broadcast, apply)",
                med(sparkRuns, s -> s.step() - s.job()),
                "",
                "");
        parts.row("broadcast of a step's size, create + unpersist, alone", spread(broadcast, "%.2f"), "", "");
        parts.row(
                "stages / tasks per job",
                med(sparkRuns, SparkSteps::stages) + " / " + med(sparkRuns, SparkSteps::taskCount),
                "",
                "");
        parts.row("batch gathered", "", medJ(jvm1, JvmSteps::batch), medJ(jvm2, JvmSteps::batch));
        parts.row(
                "loss and gradients (computeGradients)",
                "",
                medJ(jvm1, JvmSteps::gradients),
                medJ(jvm2, JvmSteps::gradients));
        parts.row("applyGradients (Adam)", "", medJ(jvm1, JvmSteps::apply), medJ(jvm2, JvmSteps::apply));
        parts.print();
        System.out.println();
    }

    private static String med(List<SparkSteps> runs, java.util.function.ToDoubleFunction<SparkSteps> f) {
        return String.format(
                Locale.ROOT, "%.2f", median(runs.stream().map(f::applyAsDouble).toList()));
    }

    private static String medJ(List<JvmSteps> runs, java.util.function.ToDoubleFunction<JvmSteps> f) {
        return String.format(
                Locale.ROOT, "%.2f", median(runs.stream().map(f::applyAsDouble).toList()));
    }

    private static List<Double> rates(List<Double> msPerStep) {
        return msPerStep.stream().map(v -> 1000 / v).toList();
    }

    /** The training rows (the same as the DataFrame's) in one JVM. */
    private static DataSplit split(int n) {
        int dims = TRAIN_MODEL.dims();
        double[] x = new double[n * dims];
        for (int i = 0; i < n; i++) {
            Rows.fill(i, dims, false, x, i * dims);
        }
        float[] f = new float[x.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) x[i];
        }
        return new DataSplit(TRAIN_MODEL.shape(), f, null);
    }

    private static int[] parameterSizes() {
        try (Backend backend = Backends.create("cpu")) {
            ZooModel model = build(TRAIN_MODEL, backend, TRAIN_SEED);
            return model.flow().parameters().values().stream()
                    .mapToInt(p -> p.value().size())
                    .toArray();
        }
    }

    /** Builds a model as DataParallelTrainer and {@code flows4j train} build it: from the run's seed. */
    static ZooModel build(ModelCase m, Backend backend, long seed) {
        Zoo zoo = Zoo.discover();
        ModelSpec spec = zoo.complete(ModelSpec.parse(m.spec()));
        return zoo.model(spec)
                .build(new ModelRequest(
                        spec.preset(),
                        m.shape(),
                        m.kind(),
                        BuildContext.of(backend, DType.FLOAT32, RandomSource.seeded(seed)),
                        Map.of()));
    }

    /** A DataParallelTrainer run; the step times from its listener and Spark's events. */
    static SparkSteps sparkTrain(SparkSession spark, StepTimes times, int rows, int partitions, int steps, int batch) {
        Dataset<Row> df = Rows.frame(spark, rows, partitions, TRAIN_MODEL.dims(), false);
        List<Double> stepMs = new ArrayList<>();
        DataParallelTrainer.Config c = DataParallelTrainer.Config.of(TRAIN_MODEL.spec(), trainerConfig(steps, batch))
                .withBackend("cpu")
                .withListener((s, l, millis) -> stepMs.add(millis));
        DataParallelTrainer.Result result = new DataParallelTrainer(c).fit(df);
        StepTimes.drain(spark.sparkContext());
        List<Integer> ids = times.jobIds();
        List<Integer> stepJobs = ids.subList(ids.size() - steps, ids.size());
        int skip = skipped(steps);
        double step = 0;
        double job = 0;
        double tasks = 0;
        double stages = 0;
        double taskCount = 0;
        for (int i = skip; i < steps; i++) {
            StepTimes.Job j = times.job(stepJobs.get(i));
            step += stepMs.get(i);
            job += j.end() - j.start();
            stages += j.stages().size();
            for (int st : j.stages()) {
                tasks += times.slowestTask(st);
                taskCount += times.tasks(st);
            }
        }
        int k = steps - skip;
        return new SparkSteps(step / k, job / k, tasks / k, stages / k, taskCount / k, result.losses()[0]);
    }

    /** Trainer in this JVM on the same batches (IndexedBatches), timing every step's parts. */
    static JvmSteps jvmTrain(DataSplit split, int steps, int batch, int threads) {
        TrainerConfig tc = trainerConfig(steps, batch);
        try (Backend backend = Backends.create("cpu", BackendOptions.defaults().withThreads(threads))) {
            ZooModel model = build(TRAIN_MODEL, backend, TRAIN_SEED);
            Trainer trainer = new Trainer(model.flow(), tc);
            IndexedBatches source = IndexedBatches.of(split, TRAIN_MODEL.kind(), backend, DType.FLOAT32, batch);
            trainer.initialize(source);
            int skip = skipped(steps);
            double whole = 0;
            double gather = 0;
            double gradients = 0;
            double apply = 0;
            double first = Double.NaN;
            for (int s = 0; s < steps; s++) {
                long t0 = System.nanoTime();
                long t1;
                long t2;
                try (MemoryScope scope = MemoryScope.open()) {
                    Tensor x = source.batch(tc.seed(), s);
                    t1 = System.nanoTime();
                    Gradients g = trainer.computeGradients(x);
                    t2 = System.nanoTime();
                    trainer.applyGradients(g);
                    if (s == 0) {
                        first = g.loss();
                    }
                }
                long t3 = System.nanoTime();
                if (s >= skip) {
                    whole += (t3 - t0) / 1e6;
                    gather += (t1 - t0) / 1e6;
                    gradients += (t2 - t1) / 1e6;
                    apply += (t3 - t2) / 1e6;
                }
            }
            int k = steps - skip;
            return new JvmSteps(whole / k, gather / k, gradients / k, apply / k, first);
        }
    }

    /** The driver's cost of a step's broadcast alone (parameters and batch ids), create + unpersist, mean ms. */
    static double broadcastMs(SparkSession spark, int[] paramSizes, int batch, int reps) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        double[][] params = new double[paramSizes.length][];
        for (int i = 0; i < params.length; i++) {
            params[i] = new double[paramSizes[i]];
        }
        Object[] payload = {params, new long[batch]};
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            Broadcast<Object[]> b = jsc.broadcast(payload);
            b.unpersist(false);
        }
        return (System.nanoTime() - t0) / 1e6 / reps;
    }

    // ---------------------------------------------------------------------------------------
    // Part 3: scaling

    private static void trainingPartitions(SparkSession spark, Options o) {
        System.out.println("## 3a. Training step time against partitions, Spark local[2], " + TRAIN_MODEL + ", batch "
                + o.trainBatch() + ", treeAggregate depth 2");
        System.out.println();
        StepTimes times = new StepTimes();
        spark.sparkContext().addSparkListener(times);
        try {
            partitionRounds(spark, o, times);
        } finally {
            spark.sparkContext().removeSparkListener(times);
        }
    }

    private static void partitionRounds(SparkSession spark, Options o, StepTimes times) {
        List<Integer> ps = o.trainPartitions();
        Map<Integer, List<SparkSteps>> runs = new LinkedHashMap<>();
        for (int p : ps) {
            runs.put(p, new ArrayList<>());
            sparkTrain(spark, times, o.trainRows(), p, Math.max(8, Math.min(o.trainSteps(), 40)), o.trainBatch());
        }
        for (int r = 0; r < o.rounds(); r++) {
            for (int k = 0; k < ps.size(); k++) {
                int p = ps.get((k + r) % ps.size());
                SparkSteps s = sparkTrain(spark, times, o.trainRows(), p, o.trainSteps(), o.trainBatch());
                runs.get(p).add(s);
                progress(
                        "training partitions: round %d/%d, %d partitions: %.2f ms/step",
                        r + 1, o.rounds(), p, s.step());
            }
        }
        Table t = new Table(
                "partitions",
                "ms/step",
                "steps/s",
                "job ms",
                "slowest tasks ms",
                "job outside tasks ms",
                "driver outside job ms",
                "stages / tasks per job");
        for (Map.Entry<Integer, List<SparkSteps>> e : runs.entrySet()) {
            List<SparkSteps> l = e.getValue();
            t.row(
                    String.valueOf(e.getKey()),
                    spread(l.stream().map(SparkSteps::step).toList(), "%.2f"),
                    spread(rates(l.stream().map(SparkSteps::step).toList()), "%.1f"),
                    med(l, SparkSteps::job),
                    med(l, SparkSteps::tasks),
                    med(l, s -> s.job() - s.tasks()),
                    med(l, s -> s.step() - s.job()),
                    med(l, SparkSteps::stages) + " / " + med(l, SparkSteps::taskCount));
        }
        t.print();
        System.out.println();
    }

    private static void scoringScaling(Options o, Map<ModelCase, FlowCheckpoint> checkpoints, Path tmp) {
        List<String> masters = new ArrayList<>(List.of("local[1]", "local[2]"));
        if (o.cluster()) {
            if (System.getenv("SPARK_TESTING") == null) {
                System.out.println("(local-cluster skipped: SPARK_TESTING is not set; run-spark-bench.sh sets it)");
            } else {
                masters.add("local-cluster[1,1,1024]");
                masters.add("local-cluster[2,1,1024]");
            }
        }
        System.out.println("## 3b. Scoring rows/s against executors, " + String.format(Locale.ROOT, "%,d", o.rows())
                + " rows in " + o.partitions() + " partitions, FlowScorer, a fresh Spark context per master and round");
        System.out.println();
        Map<String, Map<ModelCase, List<Double>>> rates = new LinkedHashMap<>();
        Map<String, String> failures = new LinkedHashMap<>();
        for (String master : masters) {
            Map<ModelCase, List<Double>> byModel = new LinkedHashMap<>();
            o.models().forEach(m -> byModel.put(m, new ArrayList<>()));
            rates.put(master, byModel);
        }
        for (int r = 0; r < o.rounds(); r++) {
            for (int k = 0; k < masters.size(); k++) {
                String master = masters.get((k + r) % masters.size());
                if (failures.containsKey(master)) {
                    continue;
                }
                SparkSession spark = null;
                try {
                    long t0 = System.nanoTime();
                    spark = start(master, tmp);
                    progress(
                            "scaling: %s started in %.1f s, %d executor(s) besides the driver",
                            master,
                            (System.nanoTime() - t0) / 1e9,
                            spark.sparkContext().getExecutorMemoryStatus().size() - 1);
                    for (ModelCase m : o.models()) {
                        FlowScorer scorer = FlowScorer.of(checkpoints.get(m))
                                .withBackend("cpu")
                                .withBatchSize(o.batch());
                        if (m.images()) {
                            scorer = scorer.withIdCol("id");
                        }
                        FlowScorer s = scorer;
                        SparkSession session = spark;
                        double warm = seconds(() -> sparkScore(session, s, m, o.warmRows(), o.partitions()));
                        double t = seconds(() -> {
                            double[] out = sparkScore(session, s, m, o.rows(), o.partitions());
                            if (out[1] != o.rows()) {
                                throw new IllegalStateException(master + " scored " + out[1] + " rows");
                            }
                        });
                        rates.get(master).get(m).add(o.rows() / t);
                        progress(
                                "scaling: round %d/%d %s %s: %,.0f rows/s (%.1f s; warm-up %.1f s)",
                                r + 1, o.rounds(), master, m, o.rows() / t, t, warm);
                    }
                } catch (Exception e) {
                    failures.put(master, e.toString());
                    progress("scaling: %s failed: %s", master, e);
                } finally {
                    if (spark != null) {
                        stop(spark);
                    }
                }
            }
        }
        Table t = new Table("model", "master", "rows/s", "vs local[1]");
        for (ModelCase m : o.models()) {
            List<Double> base = rates.get("local[1]").get(m);
            for (String master : masters) {
                List<Double> l = rates.get(master).get(m);
                if (l.isEmpty()) {
                    t.row(m.toString(), master, "failed", "");
                } else {
                    t.row(
                            m.toString(),
                            master,
                            spread(l, "%,.0f"),
                            master.equals("local[1]") || base.isEmpty()
                                    ? ""
                                    : ratioSpread(l, base.subList(0, Math.min(base.size(), l.size()))));
                }
            }
        }
        t.print();
        System.out.println();
        failures.forEach((m, e) -> System.out.println("- " + m + " failed: " + e));
        if (!failures.isEmpty()) {
            System.out.println();
        }
    }

    // ---------------------------------------------------------------------------------------
    // Spark sessions, checkpoints, statistics, output

    static SparkSession start(String master, Path tmp) throws IOException {
        SparkSession.Builder b = SparkSession.builder()
                .master(master)
                .appName("flows4j-spark-bench")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config(
                        "spark.sql.warehouse.dir",
                        Files.createTempDirectory(tmp, "warehouse").toString())
                .config(
                        "spark.local.dir",
                        Files.createTempDirectory(tmp, "local").toString());
        if (master.startsWith("local-cluster")) {
            String absolute = Pattern.compile(Pattern.quote(File.pathSeparator))
                    .splitAsStream(System.getProperty("java.class.path"))
                    .map(p -> Path.of(p).toAbsolutePath().toString())
                    .collect(Collectors.joining(File.pathSeparator));
            b = b.config("spark.executor.extraClassPath", absolute)
                    .config("spark.executorEnv.SPARK_SCALA_VERSION", "2.13")
                    .config("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1")
                    .config(
                            "spark.executor.extraJavaOptions",
                            "-Dlog4j2.configurationFile=log4j2-flows4j-spark.properties"
                                    + " --add-modules jdk.incubator.vector");
        }
        SparkSession spark = b.getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        if (master.startsWith("local-cluster")) {
            // Wait until every executor JVM has registered, so no measurement waits for one.
            int executors = Integer.parseInt(master.substring(master.indexOf('[') + 1, master.indexOf(','))
                    .trim());
            long deadline = System.nanoTime() + 300_000_000_000L;
            while (spark.sparkContext().getExecutorMemoryStatus().size() < executors + 1) {
                if (System.nanoTime() > deadline) {
                    stop(spark);
                    throw new IllegalStateException(master + ": executors did not register within 300 s");
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
            }
        }
        return spark;
    }

    static void stop(SparkSession spark) {
        spark.stop();
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
    }

    /** An untrained zoo model from {@link #MODEL_SEED}, saved as the library saves checkpoints. */
    static FlowCheckpoint checkpoint(ModelCase m, Path dir) {
        try (Backend backend = Backends.create("cpu")) {
            ZooModel model = build(m, backend, MODEL_SEED);
            Path file = dir.resolve(m.toString().replaceAll("[^A-Za-z0-9]", "_") + ".safetensors");
            Trainer trainer = new Trainer(
                    model.flow(), TrainerConfig.builder().seed(MODEL_SEED).build());
            ZooCheckpoints.save(file, model, trainer, "bench", 0, MODEL_SEED);
            return FlowCheckpoint.read(file);
        }
    }

    @FunctionalInterface
    private interface Work {
        void run() throws Exception;
    }

    private static double seconds(Work w) throws Exception {
        long t0 = System.nanoTime();
        w.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    static double median(List<Double> v) {
        if (v.isEmpty()) {
            return Double.NaN;
        }
        double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** The median, then [min..max] when there are several values. */
    static String spread(List<Double> v, String format) {
        String m = String.format(Locale.ROOT, format, median(v));
        if (v.size() < 2) {
            return m;
        }
        double lo = v.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        double hi = v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        return m + " [" + String.format(Locale.ROOT, format, lo) + ".." + String.format(Locale.ROOT, format, hi) + "]";
    }

    /** The per-round ratios a/b: median [min..max]. */
    static String ratioSpread(List<Double> a, List<Double> b) {
        List<Double> r = new ArrayList<>();
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            r.add(a.get(i) / b.get(i));
        }
        return spread(r, "%.2f");
    }

    /** A progress line on stderr (the tables go to stdout), with the UTC time. */
    private static void progress(String format, Object... args) {
        String now =
                java.time.LocalTime.now(java.time.ZoneOffset.UTC).withNano(0).toString();
        System.err.println("[bench " + now + "] " + String.format(Locale.ROOT, format, args));
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | UncheckedIOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
        return "unknown";
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg"), StandardCharsets.UTF_8)
                    .trim()
                    .split(" ", -1);
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** A Markdown table with aligned columns. */
    static final class Table {

        private final List<String[]> rows = new ArrayList<>();

        Table(String... header) {
            rows.add(header);
        }

        void row(String... cells) {
            rows.add(cells);
        }

        void print() {
            int cols = rows.get(0).length;
            int[] w = new int[cols];
            for (String[] r : rows) {
                for (int c = 0; c < cols; c++) {
                    w[c] = Math.max(w[c], r[c].length());
                }
            }
            for (int i = 0; i < rows.size(); i++) {
                StringBuilder sb = new StringBuilder("|");
                for (int c = 0; c < cols; c++) {
                    sb.append(' ')
                            .append(String.format(Locale.ROOT, "%-" + w[c] + "s", rows.get(i)[c]))
                            .append(" |");
                }
                System.out.println(sb);
                if (i == 0) {
                    StringBuilder sep = new StringBuilder("|");
                    for (int c = 0; c < cols; c++) {
                        sep.append(' ').append("-".repeat(w[c])).append(" |");
                    }
                    System.out.println(sep);
                }
            }
        }
    }
}
