package org.flows4j.spark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;

/**
 * The {@code spark-submit} entry point (the shaded jar's {@code Main-Class}): trains a zoo
 * model on, and scores, any Spark source Spark reads (Parquet, CSV, JSON, ORC).
 *
 * <pre>
 * spark-submit --master local-cluster[2,1,1024] flow-spark-VERSION-all.jar train \
 *     --input data.parquet --model realnvp:2d --steps 500 --batch 256 --checkpoint model.safetensors
 * spark-submit ... flow-spark-VERSION-all.jar score --input data.csv --checkpoint model.safetensors \
 *     --output scored.parquet
 * spark-submit ... flow-spark-VERSION-all.jar sample --checkpoint model.safetensors --n 100000 --output s.parquet
 * </pre>
 *
 * <p>Features: {@code --features COL} (an array or vector column), else {@code --input-cols
 * a,b,c}, else every numeric column of the input. The format is {@code --format} or the
 * input's extension ({@code .parquet}, {@code .csv} with a header row and inferred types,
 * {@code .json}, {@code .orc}). Prints one summary line per command; exit status 0, 1 on
 * failure, 2 on a usage error.
 */
public final class SparkMain {

    private SparkMain() {}

    /**
     * Runs a command; see the class comment.
     *
     * @param args the command and its options, as {@code spark-submit} passes them after the jar
     */
    public static void main(String[] args) {
        int status;
        try {
            status = run(args);
        } catch (UsageError e) {
            System.err.println("flows4j-spark: " + e.getMessage());
            System.err.println(usage());
            status = 2;
        }
        if (status != 0) {
            System.exit(status);
        }
    }

    static int run(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.println(usage());
            return 0;
        }
        String command = args[0];
        Map<String, String> o = options(args);
        SparkSession spark =
                SparkSession.builder().appName("flows4j " + command).getOrCreate();
        spark.sparkContext().setLogLevel(o.getOrDefault("log-level", "WARN"));
        try {
            switch (command) {
                case "train" -> train(spark, o);
                case "score" -> score(spark, o);
                case "sample" -> sample(spark, o);
                default -> throw new UsageError("unknown command '" + command + "'; train, score or sample");
            }
            return 0;
        } finally {
            spark.stop();
        }
    }

    private static void train(SparkSession spark, Map<String, String> o) {
        Dataset<Row> data = read(spark, o);
        String checkpoint = required(o, "checkpoint");
        FlowDensityEstimator est = new FlowDensityEstimator()
                .setModel(o.getOrDefault("model", "realnvp:2d"))
                .setSteps(Long.parseLong(o.getOrDefault("steps", "1000")))
                .setBatchSize(Integer.parseInt(o.getOrDefault("batch", "256")))
                .setLearningRate(Double.parseDouble(o.getOrDefault("lr", "1e-3")))
                .setClipNorm(Double.parseDouble(o.getOrDefault("clip", "100")))
                .setEmaDecay(Double.parseDouble(o.getOrDefault("ema", "0")))
                .setSeed(Long.parseLong(o.getOrDefault("seed", "0")))
                .setDtype(o.getOrDefault("dtype", "float32"))
                .setImageShape(o.getOrDefault("image-shape", ""))
                .setBackend(o.getOrDefault("backend", ""))
                .setCheckpointPath(checkpoint);
        features(est, data, o);
        DataParallelTrainer.Config c = est.trainConfig()
                .withDataName(o.getOrDefault("data-name", dataName(o)))
                .withListener((step, loss, ms) -> {
                    if (step % Math.max(1, Long.parseLong(o.getOrDefault("log-every", "100"))) == 0) {
                        System.out.printf(Locale.ROOT, "step %d loss %.4f (%.0f ms)%n", step, loss, ms);
                    }
                });
        if (o.containsKey("resume")) {
            c = c.withResumeFrom(Path.of(o.get("resume")));
        }
        DataParallelTrainer.Result r = new DataParallelTrainer(c).fit(data);
        double last = r.losses().length > 0 ? r.losses()[r.losses().length - 1] : Double.NaN;
        System.out.printf(
                Locale.ROOT,
                "trained %s on %d rows: %d steps in %.1f s (%.2f steps/s), last loss %.4f, " + "checkpoint %s%n",
                est.getOrDefault(est.model()),
                r.rows(),
                r.losses().length,
                r.seconds(),
                r.losses().length / Math.max(1e-9, r.seconds()),
                last,
                checkpoint);
    }

    private static void score(SparkSession spark, Map<String, String> o) {
        Dataset<Row> data = read(spark, o);
        FlowDensityModel model = FlowDensityModel.of(FlowCheckpoint.read(Path.of(required(o, "checkpoint"))))
                .setBackend(o.getOrDefault("backend", ""))
                .setScoreBatchSize(Integer.parseInt(o.getOrDefault("batch", "1024")))
                .setOutputCol(o.getOrDefault("output-col", "log_prob"));
        if (o.containsKey("id-col")) {
            model.setIdCol(o.get("id-col"));
        }
        String[] cols = featureColumns(data, o);
        if (cols == null) {
            model.setFeaturesCol(o.get("features"));
        } else {
            model.setInputCols(cols);
        }
        long started = System.nanoTime();
        Dataset<Row> scored = model.transform(data);
        String output = o.get("output");
        long rows;
        double mean;
        if (output != null) {
            String format = o.getOrDefault("output-format", "parquet");
            scored.write()
                    .mode("overwrite")
                    .format(format)
                    .option("header", "true")
                    .save(output);
            Row agg = spark.read()
                    .format(format)
                    .option("header", "true")
                    .option("inferSchema", "true")
                    .load(output)
                    .agg(functions.count(functions.lit(1)), functions.avg(model.getOutputCol()))
                    .first();
            rows = agg.getLong(0);
            mean = agg.isNullAt(1) ? Double.NaN : agg.getDouble(1);
        } else {
            Row agg = scored.agg(functions.count(functions.lit(1)), functions.avg(model.getOutputCol()))
                    .first();
            rows = agg.getLong(0);
            mean = agg.isNullAt(1) ? Double.NaN : agg.getDouble(1);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf(
                Locale.ROOT,
                "scored %d rows in %.1f s (%.0f rows/s), mean log_prob %.4f nats%s%n",
                rows,
                seconds,
                rows / Math.max(1e-9, seconds),
                mean,
                output == null ? "" : ", written to " + output);
    }

    private static void sample(SparkSession spark, Map<String, String> o) {
        FlowCheckpoint ckpt = FlowCheckpoint.read(Path.of(required(o, "checkpoint")));
        long n = Long.parseLong(o.getOrDefault("n", "1000"));
        int partitions = Integer.parseInt(o.getOrDefault(
                "partitions", Integer.toString(spark.sparkContext().defaultParallelism())));
        Dataset<Row> s = FlowSampler.sample(
                spark,
                ckpt,
                n,
                Long.parseLong(o.getOrDefault("seed", "0")),
                partitions,
                o.getOrDefault("backend", ""),
                Double.parseDouble(o.getOrDefault("temperature", "1")),
                FlowSampler.DEFAULT_BLOCK);
        String output = required(o, "output");
        s.write().mode("overwrite").parquet(output);
        System.out.printf(Locale.ROOT, "sampled %d rows into %s%n", n, output);
    }

    private static void features(FlowDensityEstimator est, Dataset<Row> data, Map<String, String> o) {
        String[] cols = featureColumns(data, o);
        if (cols == null) {
            est.setFeaturesCol(o.get("features"));
        } else {
            est.setInputCols(cols);
        }
    }

    /** The numeric feature columns, or null when {@code --features} names an array/vector column. */
    private static String[] featureColumns(Dataset<Row> data, Map<String, String> o) {
        if (o.containsKey("features")) {
            return null;
        }
        if (o.containsKey("input-cols")) {
            return o.get("input-cols").split(",");
        }
        List<String> cols = new ArrayList<>();
        for (StructField f : data.schema().fields()) {
            if (f.dataType() instanceof NumericType && !f.name().equals(o.get("id-col"))) {
                cols.add(f.name());
            }
        }
        if (cols.isEmpty()) {
            throw new UsageError("the input has no numeric columns; name the features with --features or --input-cols");
        }
        return cols.toArray(new String[0]);
    }

    private static Dataset<Row> read(SparkSession spark, Map<String, String> o) {
        String input = required(o, "input");
        String format = o.getOrDefault("format", extension(input));
        DataFrameReader r = spark.read().format(format);
        if (format.equals("csv")) {
            r = r.option("header", o.getOrDefault("header", "true")).option("inferSchema", "true");
        }
        return r.load(input);
    }

    private static String extension(String path) {
        String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        int dot = p.lastIndexOf('.');
        String ext = dot < 0 ? "" : p.substring(dot + 1).toLowerCase(Locale.ROOT);
        return switch (ext) {
            case "csv", "json", "orc", "parquet" -> ext;
            default -> "parquet";
        };
    }

    private static String dataName(Map<String, String> o) {
        String input = o.get("input");
        return input.toLowerCase(Locale.ROOT).endsWith(".csv")
                ? "csv:" + Path.of(input).toAbsolutePath()
                : input;
    }

    private static String required(Map<String, String> o, String name) {
        String v = o.get(name);
        if (v == null) {
            throw new UsageError("--" + name + " is required");
        }
        return v;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || i + 1 >= args.length) {
                throw new UsageError("options are --name value pairs; got '" + a + "'");
            }
            o.put(a.substring(2), args[++i]);
        }
        return o;
    }

    static String usage() {
        return """
                usage: spark-submit [spark options] flow-spark-all.jar COMMAND [--option value]...
                  train  --input PATH --checkpoint FILE [--model realnvp:2d] [--steps 1000] [--batch 256] [--lr 1e-3]
                         [--clip 100] [--ema 0] [--seed 0] [--dtype float32] [--image-shape 1,28,28] [--resume FILE]
                  score  --input PATH --checkpoint FILE [--output PATH] [--output-format parquet|csv] [--output-col log_prob]
                         [--id-col COL] [--batch 1024]
                  sample --checkpoint FILE --output PATH [--n 1000] [--seed 0] [--temperature 1] [--partitions P]
                common: [--format parquet|csv|json|orc] [--features COL | --input-cols a,b,c] [--backend NAME]
                        [--log-level WARN]""";
    }

    /** A wrong command line: reported with the usage, exit status 2. */
    static final class UsageError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageError(String message) {
            super(message);
        }
    }
}
