package org.flows4j.cli;

import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.Locale;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.random.RandomSource;
import org.flows4j.layers.io.CheckpointInfo;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.ZooModel;
import org.flows4j.zoo.train.EvalResult;
import org.flows4j.zoo.train.Evaluator;
import org.flows4j.zoo.train.ZooCheckpoints;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flows4j eval}: the held-out NLL of a checkpoint, the model rebuilt from its metadata. */
@Command(
        name = "eval",
        sortOptions = false,
        description = {
            "Evaluate a checkpoint: held-out NLL in nats (and bits/dim for images).",
            "The model, its settings and (unless --data is given) the data set come from the checkpoint."
        })
final class EvalCommand extends ZooCommand {

    private final Zoo zoo;

    @Option(
            names = {"-c", "--checkpoint"},
            paramLabel = "F",
            required = true,
            description = "The checkpoint to evaluate.")
    Path checkpoint;

    @Option(
            names = {"-d", "--data"},
            paramLabel = "D",
            description = "Data set (default: the one it was trained on).")
    String data;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            description = "Where the data set's files are (default: its own).")
    Path dataDir;

    @Option(
            names = "--split",
            paramLabel = "test|validation|train",
            defaultValue = "test",
            description = "Which split (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(
            names = "--batch",
            paramLabel = "B",
            defaultValue = "256",
            description = "Samples per batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "Evaluate the first N samples only.")
    int limit;

    @Option(
            names = "--raw-weights",
            negatable = false,
            description = "Evaluate the trained weights even when the checkpoint holds moving averages (EMA), "
                    + "which are used by default.")
    boolean rawWeights;

    @Option(
            names = "--seed",
            paramLabel = "S",
            description = "Seed of generated data and of dequantization noise (default: the training run's).")
    Long seed;

    @Option(
            names = "--per-sample",
            paramLabel = "FILE",
            description =
                    "Also write every sample's score to FILE (CSV: index, log_prob, bits_per_dim for images, "
                            + "the values), as flow-spark scores rows; image noise is drawn per row from the seed + 2 and the index.")
    Path perSample;

    @Inject
    EvalCommand(Terminal terminal, Zoo zoo) {
        super(terminal);
        this.zoo = zoo;
    }

    @Override
    Report execute() {
        if (batch < 1 || limit < 0) {
            throw new UsageException("--batch must be >= 1 and --limit >= 0; got " + batch + " and " + limit);
        }
        if (!split.equals("test") && !split.equals("validation") && !split.equals("train")) {
            throw new UsageException("--split is test, validation or train; got '" + split + "'");
        }
        Runs.requireCheckpointFile(checkpoint, "flows4j eval");
        CheckpointInfo info = ZooCheckpoints.info(checkpoint);
        String dataSpec = data != null ? data : ZooCheckpoints.dataSpec(info);
        if (dataSpec == null) {
            throw new UsageException("the checkpoint does not say what it was trained on: give --data");
        }
        String savedSeed = info.metadata().extra().get("seed");
        long s = seed != null ? seed : savedSeed != null ? Long.parseLong(savedSeed) : 0;
        Dataset dataset = Runs.loadData(zoo, dataSpec, dataDir, s, 0);
        Backend backend = closeAfterReport(common.openBackend());
        long started = System.nanoTime();
        ZooModel model = ZooCheckpoints.load(checkpoint, zoo, backend, rawWeights);
        if (!model.eventShape().equals(dataset.eventShape())) {
            throw new UsageException("the model " + model.spec() + " in " + checkpoint + " was built for samples of "
                    + "shape " + model.eventShape() + " but " + dataset.name() + " has samples of shape "
                    + dataset.eventShape() + ": give the data set it was trained on with --data");
        }
        DataSplit chosen = switch (split) {
            case "validation" -> dataset.validation();
            case "train" -> dataset.train();
            default -> dataset.test();
        };
        if (limit > 0) {
            chosen = chosen.head(limit);
        }
        if (chosen.size() == 0) {
            throw new IllegalStateException("the " + split + " split of " + dataset.name() + " is empty");
        }
        EvalResult result = Evaluator.evaluate(model, chosen, batch, RandomSource.seeded(s + 2));
        if (!Double.isFinite(result.nllNats())) {
            throw new IllegalStateException("the NLL of " + checkpoint + " on the " + split + " split of "
                    + dataset.name() + " is " + result.nllNats() + ", not a number of nats: the model's log-density is "
                    + "not finite" + Runs.nonFiniteWeights(model));
        }
        if (perSample != null) {
            PerSampleFile.write(perSample, model, chosen, batch, s + 2);
        }
        double seconds = (System.nanoTime() - started) / 1e9;

        Report r = new Report();
        Runs.putModel(r, "eval", backend, model, dataset.name());
        Runs.putEval(r, split, result);
        r.put("checkpoint", checkpoint);
        r.put("step", info.metadata().step());
        r.put("weights", ZooCheckpoints.weights(info, rawWeights));
        r.put("seconds", Runs.round(seconds, 3));
        r.line(String.format(
                Locale.ROOT,
                "%s (step %d%s) on %s, %s split, %s (%s):",
                model.spec(),
                info.metadata().step(),
                info.hasAverages() && !rawWeights ? ", averaged weights" : "",
                dataset.name(),
                split,
                backend.name(),
                model.dtype().label()));
        r.line("NLL: " + ProgressBar.describe(result));
        if (perSample != null) {
            r.put("per_sample", perSample);
            r.put("noise_seed", s + 2);
            r.line("per-sample scores: " + perSample + " (" + chosen.size() + " rows, noise seed " + (s + 2) + ")");
        }
        return r;
    }
}
