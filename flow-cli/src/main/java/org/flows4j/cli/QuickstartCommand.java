package org.flows4j.cli;

import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.random.RandomSource;
import org.flows4j.cli.plot.LossHistory;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.ModelSpec;
import org.flows4j.zoo.models.ZooModel;
import org.flows4j.zoo.train.EvalResult;
import org.flows4j.zoo.train.Evaluator;
import org.flows4j.zoo.train.TrainConfig;
import org.flows4j.zoo.train.TrainResult;
import org.flows4j.zoo.train.ZooCheckpoints;
import org.flows4j.zoo.train.ZooTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flows4j quickstart}: RealNVP ({@code realnvp:2d}) on two moons, in float32 on the
 * default backend, in well under a minute; prints the held-out NLL and writes the pictures and
 * the checkpoint.
 */
@Command(
        name = "quickstart",
        sortOptions = false,
        description = {
            "Train realnvp:2d on two moons in under a minute; write pictures and a checkpoint.",
            "Seed 0, float32, the default backend. Prints the held-out NLL (test split) and writes density.png, "
                    + "samples.png, loss.png and last.safetensors to --out."
        })
final class QuickstartCommand extends ZooCommand {

    /** Steps of the default run: measured to reach a good NLL in well under a minute on 2 cores. */
    static final long DEFAULT_STEPS = 2500;

    static final String MODEL = "realnvp:2d";
    static final String DATA = "two-moons";
    static final int BATCH = 256;
    static final double LEARNING_RATE = 5e-3;
    static final int EVAL_BATCH = 1000;

    /** The command's name, recorded in its checkpoints so that a second quickstart may replace them. */
    static final String NAME = "quickstart";

    private final Zoo zoo;

    @Option(
            names = "--steps",
            paramLabel = "N",
            defaultValue = "" + DEFAULT_STEPS,
            description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
    long steps;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            defaultValue = "flows4j-out",
            description = "Where the pictures and the checkpoint go (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(
            names = "--force",
            negatable = false,
            description = "Replace a checkpoint in --out that another command (train) wrote; an earlier quickstart's "
                    + "output is replaced without it.")
    boolean force;

    @Option(
            names = "--seed",
            paramLabel = "S",
            defaultValue = "0",
            description = "Seed of the data, the initialization and the batch order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Inject
    QuickstartCommand(Terminal terminal, Zoo zoo) {
        super(terminal);
        this.zoo = zoo;
    }

    /** Whether an earlier quickstart wrote {@code file} (an unreadable file is not known to be one). */
    private static boolean writtenByQuickstart(Path file) {
        try {
            return NAME.equals(ZooCheckpoints.info(file).metadata().extra().get(Runs.COMMAND_KEY));
        } catch (RuntimeException unreadable) {
            return false;
        }
    }

    @Override
    Report execute() {
        if (steps < 1) {
            throw new UsageException("--steps must be at least 1, got " + steps);
        }
        ModelSpec spec = Runs.modelSpec(zoo, MODEL);
        Dataset data = Runs.loadData(zoo, DATA, null, seed, 0);
        Runs.openRunDirectory(this, out);
        Path existing = out.resolve(ZooTrainer.CHECKPOINT);
        if (Files.exists(existing) && !force && !writtenByQuickstart(existing)) {
            throw new UsageException(existing + " holds a checkpoint that quickstart did not write"
                    + Runs.describeCheckpoint(existing) + ", which quickstart would replace: give another --out, or "
                    + "--force to replace it");
        }
        Backend backend = closeAfterReport(common.openBackend());
        ZooModel model = Runs.build(zoo, spec, data, backend, DType.FLOAT32, seed, Map.of());
        TrainConfig config = TrainConfig.defaults(out)
                .withSeed(seed)
                .withSteps(steps)
                .withBatchSize(BATCH)
                .withLearningRate(LEARNING_RATE)
                .withWarmupSteps((int) Math.min(200, Math.max(1, steps / 10)));
        ProgressBar bar = new ProgressBar(terminal, common.verbose);
        LossHistory history = new LossHistory(bar);
        ZooTrainer trainer = new ZooTrainer(model, data, config, history).checkpointMetadata(Runs.COMMAND_KEY, NAME);
        closeAfterReport(new StopGuard(trainer, terminal));
        long started = System.nanoTime();
        TrainResult result;
        try {
            result = trainer.train();
        } finally {
            bar.finish();
        }
        double seconds = (System.nanoTime() - started) / 1e9;

        Report r = new Report();
        Runs.putModel(r, "quickstart", backend, model, data.name());
        r.line(String.format(
                Locale.ROOT,
                "%s on %s: %d steps in %s on %s (float32)",
                model.spec(),
                data.name(),
                result.steps(),
                Runs.seconds(seconds),
                backend.name()));
        Map<String, Object> files = new LinkedHashMap<>();
        if (!result.stopped()) {
            EvalResult test = Evaluator.evaluate(model, data.test(), EVAL_BATCH, RandomSource.seeded(seed + 2));
            Runs.putEval(r, "test", test);
            r.line(String.format(
                    Locale.ROOT, "held-out NLL: %.4f nats per example (test split, n=%d)", test.nllNats(), test.n()));
            files.putAll(Runs.pictures(model, data, out, seed + 3));
            r.line("wrote " + files.get("density") + "  (heat map of log p(x) with the test points)");
            r.line("wrote " + files.get("samples") + "  (the test points beside as many model samples)");
            if (!history.isEmpty()) {
                files.put("loss", Runs.lossPicture(model, data, history, out, 0));
                r.line("wrote " + files.get("loss") + "  (training loss and validation NLL by step)");
            }
        } else {
            r.line("stopped early at step " + result.steps() + "; no evaluation or pictures");
        }
        files.put("checkpoint", result.checkpoint());
        r.line("wrote " + result.checkpoint() + "  (evaluate: flows4j eval --checkpoint " + result.checkpoint() + ")");
        r.put("steps", result.steps());
        r.put("epochs", result.epochs());
        r.put("train_seconds", Runs.round(seconds, 3));
        r.put("stopped", result.stopped());
        r.put("checkpoint", result.checkpoint());
        r.put("files", files);
        return r;
    }
}
