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
import org.flows4j.layers.io.CheckpointInfo;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.ModelSpec;
import org.flows4j.zoo.models.ZooModel;
import org.flows4j.cli.plot.FlowPlots;
import org.flows4j.cli.plot.LossHistory;
import org.flows4j.zoo.train.EvalResult;
import org.flows4j.zoo.train.Evaluator;
import org.flows4j.zoo.train.TrainConfig;
import org.flows4j.zoo.train.TrainResult;
import org.flows4j.zoo.train.Trainer;
import org.flows4j.zoo.train.ZooCheckpoints;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flows4j train}: trains a zoo model on a data set, with a progress bar, a checkpoint
 * every epoch and on Ctrl-C, and {@code --resume} that continues a run exactly.
 */
@Command(name = "train", sortOptions = false, description = {
    "Train a model; checkpoints every epoch and on Ctrl-C; --resume continues exactly.",
    "Maximum likelihood with Adam, linear warmup and gradient clipping. Writes OUT/last.safetensors every "
            + "epoch, at the end and on Ctrl-C, and loss.png (train and validation curves); for 2-D data also "
            + "density.png and samples.png.",
    "--epochs and --steps are totals counted from the start: to continue a run, --resume it with a larger total."})
final class TrainCommand extends ZooCommand {

    /** The {@code --resume} value meaning "the checkpoint in the output directory". */
    static final String LAST = "OUT/" + Trainer.CHECKPOINT;

    private final Zoo zoo;

    @Option(names = {"-m", "--model"}, paramLabel = "M[:P]",
            description = "Model family and preset: realnvp:2d, glow:small, nice:paper... (see 'flows4j models'). "
                    + "With --resume: taken from the checkpoint.")
    String model;

    @Option(names = {"-d", "--data"}, paramLabel = "D",
            description = "Data set: two-moons, fashion-mnist, csv:FILE... (see 'flows4j datasets'). "
                    + "With --resume: taken from the checkpoint.")
    String data;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where the data set's files are (default: its own).")
    Path dataDir;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Length length;

    /** {@code --epochs} or {@code --steps}, not both. */
    static final class Length {
        @Option(names = "--epochs", paramLabel = "N", required = true,
                description = "Passes over the training split, in all (default: 1).")
        Integer epochs;

        @Option(names = "--steps", paramLabel = "N", required = true,
                description = "Optimizer steps in all, crossing epochs as needed.")
        Long steps;
    }

    @Option(names = "--batch", paramLabel = "B", defaultValue = "64", description = "Samples per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", paramLabel = "X", defaultValue = "1e-3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "200",
            description = "Steps of linear learning-rate warmup (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--seed", paramLabel = "S",
            description = "Seed of the initialization, batch order, noise and generated data (default: 0; "
                    + "with --resume: the checkpoint's).")
    Long seed;

    @Option(names = "--dtype", paramLabel = "float32|float64", converter = Runs.DTypeConverter.class,
            description = "Parameter precision (default: float32; with --resume: the checkpoint's).")
    DType dtype;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Where checkpoints and pictures go (default: flows4j-out, or the directory of --resume FILE).")
    Path out;

    @Option(names = "--resume", arity = "0..1", paramLabel = "FILE", fallbackValue = LAST,
            description = "Continue from a checkpoint exactly (parameters, optimizer, step, random state); "
                    + "FILE defaults to " + LAST + ".")
    String resume;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
            description = "Use at most N training samples (default: all).")
    int limit;

    @Option(names = {"-O", "--option"}, paramLabel = "KEY=VALUE",
            description = "Override a preset's setting, e.g. -O coupling=additive (new runs only).")
    Map<String, String> options = new LinkedHashMap<>();

    @Option(names = "--no-plots", negatable = false,
            description = "Do not write loss.png, nor density.png and samples.png for 2-D data.")
    boolean noPlots;

    @Inject
    TrainCommand(Terminal terminal, Zoo zoo) {
        super(terminal);
        this.zoo = zoo;
    }

    @Override
    Report execute() {
        if (batch < 1 || warmup < 0 || !(lr > 0) || limit < 0) {
            throw new UsageException("--batch must be >= 1, --warmup >= 0, --lr > 0 and --limit >= 0; got " + batch
                    + ", " + warmup + ", " + lr + ", " + limit);
        }
        if (length != null && ((length.epochs != null && length.epochs < 1) || (length.steps != null && length.steps < 1))) {
            throw new UsageException("--epochs and --steps must be at least 1");
        }
        return resume != null ? resumeRun() : freshRun();
    }

    private Report freshRun() {
        if (model == null) {
            throw new UsageException("missing required option '--model=M[:P]' (or --resume)");
        }
        if (data == null) {
            throw new UsageException("missing required option '--data=D' (or --resume)");
        }
        ModelSpec spec = Runs.modelSpec(zoo, model);
        long s = seed != null ? seed : 0;
        Path dir = out != null ? out : Path.of("flows4j-out");
        Dataset dataset = Runs.loadData(zoo, data, dataDir, s, limit);
        Backend backend = closeAfterReport(common.openBackend());
        ZooModel zooModel = Runs.build(zoo, spec, dataset, backend, dtype != null ? dtype : DType.FLOAT32, s, options);
        return run(backend, zooModel, dataset, config(dir, s), null);
    }

    private Report resumeRun() {
        Path from = resume.equals(LAST) ? (out != null ? out : Path.of("flows4j-out")).resolve(Trainer.CHECKPOINT)
                : Path.of(resume);
        if (!Files.isRegularFile(from)) {
            throw new IllegalStateException("cannot resume: no checkpoint at " + from);
        }
        CheckpointInfo info = ZooCheckpoints.info(from);
        String saved = info.metadata().modelSpec();
        if (model != null && !Runs.modelSpec(zoo, model).toString().equals(saved)) {
            throw new UsageException("--model " + model + " differs from the checkpoint's " + saved
                    + "; leave --model out when resuming");
        }
        if (dtype != null && dtype != info.metadata().dtype()) {
            throw new UsageException("--dtype " + dtype.label() + " differs from the checkpoint's "
                    + info.metadata().dtype().label());
        }
        if (!options.isEmpty()) {
            throw new UsageException("--option applies to new runs only; a resumed model keeps the checkpoint's settings");
        }
        String savedSeed = info.metadata().extra().get("seed");
        long runSeed = savedSeed != null ? Long.parseLong(savedSeed) : 0;
        if (seed != null && savedSeed != null && seed != runSeed) {
            throw new UsageException("--seed " + seed + " differs from the run's seed " + runSeed
                    + ", which fixes its batch order; leave --seed out when resuming");
        }
        String dataSpec = data != null ? data : ZooCheckpoints.dataSpec(info);
        if (dataSpec == null) {
            throw new UsageException("the checkpoint does not say what it was trained on: give --data");
        }
        Path dir = out != null ? out : from.toAbsolutePath().getParent();
        Dataset dataset = Runs.loadData(zoo, dataSpec, dataDir, runSeed, limit);
        Backend backend = closeAfterReport(common.openBackend());
        ZooModel zooModel = ZooCheckpoints.rebuild(from, zoo, backend);
        return run(backend, zooModel, dataset, config(dir, runSeed), from);
    }

    private TrainConfig config(Path dir, long s) {
        TrainConfig c = TrainConfig.defaults(dir).withSeed(s).withBatchSize(batch).withLearningRate(lr)
                .withWarmupSteps(warmup);
        if (length != null && length.steps != null) {
            c = c.withSteps(length.steps);
        } else if (length != null && length.epochs != null) {
            c = c.withEpochs(length.epochs);
        }
        return c;
    }

    private Report run(Backend backend, ZooModel zooModel, Dataset dataset, TrainConfig config, Path from) {
        ProgressBar bar = new ProgressBar(terminal, common.verbose);
        LossHistory history = new LossHistory(bar);
        Trainer trainer = new Trainer(zooModel, dataset, config, history);
        long startStep = 0;
        if (from != null) {
            startStep = ZooCheckpoints.info(from).metadata().step();
            if (startStep >= trainer.totalSteps()) {
                throw new UsageException("the checkpoint is at step " + startStep + " and this run is planned for "
                        + trainer.totalSteps() + " steps in all: give a larger --steps or --epochs (totals, counted "
                        + "from the start)");
            }
        }
        closeAfterReport(new StopGuard(trainer, terminal));
        long started = System.nanoTime();
        TrainResult result;
        try {
            result = from != null ? trainer.resume(from) : trainer.train();
        } finally {
            bar.finish();
        }
        double seconds = (System.nanoTime() - started) / 1e9;

        Report r = new Report();
        Runs.putModel(r, "train", backend, zooModel, dataset.name());
        r.line(String.format(Locale.ROOT, "%s on %s: step %d of %d (%d epochs done)%s in %s on %s (%s)", zooModel.spec(),
                dataset.name(), result.steps(), trainer.totalSteps(), result.epochs(),
                from != null ? ", resumed at step " + startStep : "", Runs.seconds(seconds), backend.name(),
                zooModel.dtype().label()));
        EvalResult validation = result.validation();
        if (validation == null && !result.stopped()) {
            // No epoch ended (a short --steps run): evaluate once, as the trainer would have.
            validation = Evaluator.evaluate(zooModel, dataset.validation().size() > 0
                    ? dataset.validation().head(10_000) : dataset.train().head(10_000), config.evalBatchSize(),
                    RandomSource.seeded(config.seed() + 1));
        }
        if (validation != null) {
            Runs.putEval(r, "validation", validation);
            r.line("validation NLL: " + ProgressBar.describe(validation));
            if (validation != result.validation()) {
                history.recordValidation(result.steps(), validation.nllNats());
            }
        }
        Map<String, Object> files = new LinkedHashMap<>();
        files.put("checkpoint", result.checkpoint());
        if (!noPlots && !history.isEmpty()) {
            Path loss = Runs.lossPicture(zooModel, dataset, history, config.outDir(), from != null ? startStep : 0);
            files.put("loss", loss);
            r.line("wrote " + loss + "  (training loss and validation NLL by step)");
        }
        if (!result.stopped() && !noPlots && FlowPlots.supports(zooModel)) {
            Map<String, Path> pictures = Runs.pictures(zooModel, dataset, config.outDir(), config.seed() + 3);
            files.putAll(pictures);
            r.line("wrote " + pictures.get("density") + " and " + pictures.get("samples"));
        }
        r.line("wrote " + result.checkpoint() + (result.stopped() ? "  (stopped early; continue with: flows4j train "
                + "--resume " + result.checkpoint() + " and the same options)" : ""));
        r.put("steps", result.steps());
        r.put("total_steps", trainer.totalSteps());
        r.put("epochs", result.epochs());
        r.put("resumed_from_step", from != null ? startStep : null);
        r.put("train_seconds", Runs.round(seconds, 3));
        r.put("stopped", result.stopped());
        r.put("checkpoint", result.checkpoint());
        r.put("files", files);
        return r;
    }
}
