package org.flows4j.cli;

import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.cli.plot.FlowPlots;
import org.flows4j.cli.plot.LossHistory;
import org.flows4j.layers.io.CheckpointInfo;
import org.flows4j.layers.optim.Adam;
import org.flows4j.layers.optim.LearningRateFactors;
import org.flows4j.layers.optim.LearningRateSchedule;
import org.flows4j.layers.optim.OptimizerConfig;
import org.flows4j.layers.optim.ScheduleConfig;
import org.flows4j.layers.optim.Sgd;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.Conditioning;
import org.flows4j.zoo.models.ModelSpec;
import org.flows4j.zoo.models.Recipe;
import org.flows4j.zoo.models.ZooModel;
import org.flows4j.zoo.train.ConfigMismatchException;
import org.flows4j.zoo.train.EvalResult;
import org.flows4j.zoo.train.StopReason;
import org.flows4j.zoo.train.TrainConfig;
import org.flows4j.zoo.train.TrainResult;
import org.flows4j.zoo.train.Trainer;
import org.flows4j.zoo.train.TrainerConfig;
import org.flows4j.zoo.train.ZooBatches;
import org.flows4j.zoo.train.ZooCheckpoints;
import org.flows4j.zoo.train.ZooTrainer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flows4j train}: trains a zoo model on a data set, with a progress bar, a checkpoint
 * every epoch and on Ctrl-C, and {@code --resume} that continues a run exactly.
 */
@Command(
        name = "train",
        sortOptions = false,
        description = {
            "Train a model; checkpoints every epoch and on Ctrl-C; --resume continues exactly.",
            "Maximum likelihood with Adam or SGD, a learning-rate schedule, gradient clipping and optionally a moving "
                    + "average of the weights (EMA). Writes OUT/last.safetensors every epoch, at the end and on Ctrl-C, and "
                    + "loss.png (train and validation curves); for 2-D data also density.png and samples.png.",
            "--epochs, --steps and --minutes are totals counted from the start: to continue a run, --resume it with a "
                    + "larger total. "
                    + "A resumed run keeps its optimizer, schedule, clipping, EMA and batch size (left out, they are taken "
                    + "from the checkpoint; given otherwise, the resume is refused)."
        })
final class TrainCommand extends ZooCommand {

    /** The {@code --resume} value meaning "the checkpoint in the output directory". */
    static final String LAST = "OUT/" + ZooTrainer.CHECKPOINT;

    private final Zoo zoo;

    @Option(
            names = {"-m", "--model"},
            paramLabel = "M[:P]",
            description = "Model family and preset: realnvp:2d, glow:small, nice:paper... (see 'flows4j models'). "
                    + "With --resume: taken from the checkpoint.")
    String model;

    @Option(
            names = {"-d", "--data"},
            paramLabel = "D",
            description = "Data set: two-moons, fashion-mnist, csv:FILE... (see 'flows4j datasets'). "
                    + "With --resume: taken from the checkpoint.")
    String data;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            description = "Where the data set's files are (default: its own).")
    Path dataDir;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Length length;

    /** {@code --epochs}, {@code --steps} or {@code --minutes}, one of them. */
    static final class Length {
        @Option(
                names = "--epochs",
                paramLabel = "N",
                required = true,
                description = "Passes over the training split, in all (default: 1).")
        Integer epochs;

        @Option(
                names = "--steps",
                paramLabel = "N",
                required = true,
                description = "Optimizer steps in all, crossing epochs as needed.")
        Long steps;

        @Option(
                names = "--minutes",
                paramLabel = "M",
                required = true,
                description = "Train for M minutes of training time in all (decimals allowed, e.g. 0.5), so that runs "
                        + "compare at equal time: only the training steps count, not evaluation or checkpoints; the "
                        + "run stops at the first step after it, writes its checkpoint, then evaluates. A cosine "
                        + "schedule decays over the minutes (its warmup stays in steps). Not reproducible bit for "
                        + "bit: how many steps fit depends on the machine.")
        Double minutes;
    }

    @Option(
            names = "--eval-every-minutes",
            paramLabel = "M",
            description = "Evaluate the validation split every M minutes of training time, for the loss curve "
                    + "(default: with --minutes a tenth of it; without, after every epoch).")
    Double evalEveryMinutes;

    @Option(
            names = "--batch",
            paramLabel = "B",
            description = "Samples per step (default: the model's recipe, " + Recipe.DEFAULT_BATCH_SIZE
                    + " for most; with --resume: the checkpoint's).")
    Integer batch;

    @Option(
            names = "--optimizer",
            paramLabel = "adam|sgd",
            description = "Adam (beta1 0.9, beta2 0.999) or SGD with Nesterov momentum 0.9 (default: adam; with "
                    + "--resume: the checkpoint's).")
    String optimizer;

    @Option(
            names = "--lr",
            paramLabel = "X",
            description = "Peak learning rate (default: the model's recipe, " + Recipe.DEFAULT_LR
                    + " for most; with --resume: the checkpoint's).")
    Double lr;

    @Option(
            names = "--lr-factor",
            paramLabel = "PATTERN=F",
            description = "Multiply the learning rate of the parameters whose names match PATTERN by F: names "
                    + "are the checkpoint's tensor names without 'model.', such as bijector.6.logScale, and '*' "
                    + "stands for any characters. Repeat for more patterns (the first match decides); 'none' for no "
                    + "factor (default: the model's recipe, none for most; with --resume: the checkpoint's).")
    List<String> lrFactors;

    @Option(
            names = "--lr-schedule",
            paramLabel = "constant|warmup|cosine",
            description = "Learning rate by step: constant; warmup (linear over --warmup steps, then constant); "
                    + "cosine (linear warmup, then a half cosine to 0 at the last step) (default: the model's recipe, "
                    + "warmup for most; with --resume: the checkpoint's).")
    String lrSchedule;

    @Option(
            names = "--warmup",
            paramLabel = "N",
            description = "Steps of linear learning-rate warmup (default: the model's recipe, "
                    + Recipe.DEFAULT_WARMUP_STEPS + " for most; with --resume: the checkpoint's).")
    Integer warmup;

    @Option(
            names = "--clip",
            paramLabel = "NORM",
            description = "Clip the global gradient norm to NORM; 0 turns clipping off (default: the model's recipe, "
                    + Recipe.DEFAULT_CLIP_NORM + " for most; with --resume: the checkpoint's).")
    Double clip;

    @Option(
            names = "--ema",
            paramLabel = "DECAY",
            description = "Keep a moving average of the weights with this decay, e.g. 0.999, saved in the checkpoint "
                    + "and used by validation, eval and the picture commands; 0 turns it off (default: the model's "
                    + "recipe, 0 for most; with --resume: the checkpoint's).")
    Double ema;

    @Option(
            names = "--seed",
            paramLabel = "S",
            description = "Seed of the initialization, batch order, noise and generated data (default: 0; "
                    + "with --resume: the checkpoint's).")
    Long seed;

    @Option(
            names = "--dtype",
            paramLabel = "float32|float64",
            converter = Runs.DTypeConverter.class,
            description = "Parameter precision (default: float32; with --resume: the checkpoint's).")
    DType dtype;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description =
                    "Where checkpoints and pictures go (default: flows4j-out, or the directory of --resume FILE).")
    Path out;

    @Option(
            names = "--resume",
            arity = "0..1",
            paramLabel = "FILE",
            fallbackValue = LAST,
            description = "Continue from a checkpoint exactly (parameters, optimizer, step, random state); "
                    + "FILE defaults to " + LAST + ".")
    String resume;

    @Option(
            names = "--limit",
            paramLabel = "N",
            defaultValue = "0",
            description = "Use at most N training samples (default: all).")
    int limit;

    @Option(
            names = {"-O", "--option"},
            paramLabel = "KEY=VALUE",
            description = "Override a preset's setting, e.g. -O coupling=additive (new runs only).")
    Map<String, String> options = new LinkedHashMap<>();

    @Option(
            names = "--condition",
            paramLabel = "none|label|context",
            description = "Train a conditional model (a -cond preset, see 'flows4j models') on the data's class "
                    + "labels (one-hot) or its context columns (csv:PATH;context=COLUMN,...); default none.")
    String condition;

    @Option(
            names = "--force",
            negatable = false,
            description = "Let a new run replace the checkpoint already in --out (without it, a new run refuses to; "
                    + "continue that run with --resume, or give another --out).")
    boolean force;

    @Option(
            names = "--no-plots",
            negatable = false,
            description = "Do not write loss.png, nor density.png and samples.png for 2-D data.")
    boolean noPlots;

    static final double SGD_MOMENTUM = 0.9;

    @Inject
    TrainCommand(Terminal terminal, Zoo zoo) {
        super(terminal);
        this.zoo = zoo;
    }

    @Override
    Report execute() {
        if (batch != null && batch < 1) {
            throw new UsageException("--batch must be >= 1; got " + batch);
        }
        if (warmup != null && warmup < 0) {
            throw new UsageException("--warmup must be >= 0; got " + warmup);
        }
        if (lr != null && (!(lr > 0) || lr.isInfinite())) {
            throw new UsageException("--lr must be finite and > 0; got " + lr);
        }
        if (limit < 0) {
            throw new UsageException("--limit must be >= 0; got " + limit);
        }
        if (optimizer != null && !optimizer.equals("adam") && !optimizer.equals("sgd")) {
            throw new UsageException("--optimizer is adam or sgd; got '" + optimizer + "'");
        }
        if (lrSchedule != null
                && !lrSchedule.equals("constant")
                && !lrSchedule.equals("warmup")
                && !lrSchedule.equals("cosine")) {
            throw new UsageException("--lr-schedule is constant, warmup or cosine; got '" + lrSchedule + "'");
        }
        if (clip != null && (!(clip >= 0) || clip.isInfinite())) {
            throw new UsageException("--clip must be finite and >= 0 (0 turns clipping off); got " + clip);
        }
        if (ema != null && !(ema >= 0 && ema < 1)) {
            throw new UsageException("--ema must be in [0, 1) (0 turns the moving average off); got " + ema);
        }
        if (length != null
                && ((length.epochs != null && length.epochs < 1) || (length.steps != null && length.steps < 1))) {
            throw new UsageException("--epochs and --steps must be at least 1");
        }
        if (length != null && length.minutes != null && minutes(length.minutes) == null) {
            throw new UsageException(
                    "--minutes must be a finite number of minutes, at least 0.00002 (1 ms); got " + length.minutes);
        }
        if (evalEveryMinutes != null && minutes(evalEveryMinutes) == null) {
            throw new UsageException("--eval-every-minutes must be a finite number of minutes, at least 0.00002 "
                    + "(1 ms); got " + evalEveryMinutes);
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
        Runs.openRunDirectory(this, dir);
        Path existing = dir.resolve(ZooTrainer.CHECKPOINT);
        if (Files.exists(existing) && !force) {
            throw new UsageException(existing + " already holds a checkpoint" + Runs.describeCheckpoint(existing)
                    + "; continue it with 'flows4j train --resume " + existing + "', replace it with --force, or give "
                    + "another --out");
        }
        Backend backend = closeAfterReport(common.openBackend());
        Conditioning conditioning;
        try {
            conditioning = condition == null
                    ? Conditioning.none()
                    : Conditioning.of(Conditioning.Source.parse(condition), dataset);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + e.getMessage(), e);
        }
        ZooModel zooModel = Runs.build(
                zoo, spec, dataset, backend, dtype != null ? dtype : DType.FLOAT32, s, options, conditioning);
        Recipe recipe = fitToRun(zoo.model(spec).recipe(spec.preset()), dataset);
        return run(backend, zooModel, dataset, config(dir, s, Map.of(), null, recipe), null);
    }

    private Report resumeRun() {
        Path from = resume.equals(LAST)
                ? (out != null ? out : Path.of("flows4j-out")).resolve(ZooTrainer.CHECKPOINT)
                : Path.of(resume);
        // The directory this run writes is locked before the checkpoint is read: a live run there
        // could otherwise replace it between the read and the resume.
        Path runDir = out != null ? out : from.toAbsolutePath().getParent();
        Runs.openRunDirectory(this, runDir);
        Runs.requireCheckpointFile(from, "cannot resume");
        Path target = runDir.resolve(ZooTrainer.CHECKPOINT);
        if (Files.exists(target) && !force && !Runs.sameFile(target, from)) {
            throw new UsageException(target + " already holds another checkpoint" + Runs.describeCheckpoint(target)
                    + "; resuming " + from + " into " + runDir + " would replace it: give another --out, or --force");
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
            throw new UsageException(
                    "--option applies to new runs only; a resumed model keeps the checkpoint's settings");
        }
        String savedSeed = info.metadata().extra().get("seed");
        long runSeed = savedSeed != null ? Long.parseLong(savedSeed) : 0;
        if (seed != null && savedSeed != null && seed != runSeed) {
            throw new UsageException("--seed " + seed + " differs from the run's seed " + runSeed
                    + ", which fixes its batch order; leave --seed out when resuming");
        }
        if (info.formatVersion() < Trainer.RESUMABLE_FORMAT) {
            throw new IllegalStateException("cannot resume " + from + ": it was written in checkpoint format version "
                    + info.formatVersion() + ", which does not record the training settings, so training cannot "
                    + "continue from it exactly; it can still be evaluated and sampled, or start a new run");
        }
        String savedData = ZooCheckpoints.dataSpec(info);
        if (data != null && savedData != null && !data.equals(savedData)) {
            throw new UsageException("--data " + data + " differs from the checkpoint's " + savedData
                    + ", which fixes the run's batches; leave --data out when resuming");
        }
        String dataSpec = data != null ? data : savedData;
        if (dataSpec == null) {
            throw new UsageException("the checkpoint does not say what it was trained on: give --data");
        }
        Map<String, String> savedSettings = Trainer.savedConfig(info);
        boolean timed = TrainerConfig.LENGTH_TIME.equals(savedSettings.get(TrainerConfig.LENGTH));
        Duration savedBudget = Trainer.savedBudget(info).orElse(null);
        if (timed && length != null && length.minutes == null) {
            throw new UsageException("the run in " + from + " was trained for a time budget (--minutes "
                    + (savedBudget != null ? minutesText(savedBudget) : "?") + "): resume it with --minutes (a total "
                    + "across the resumed runs) or without --steps/--epochs");
        }
        if (!timed && length != null && length.minutes != null) {
            throw new UsageException("the run in " + from + " was trained by steps, not for a time budget: --minutes "
                    + "cannot continue it; give --steps or --epochs (totals), or start a new run");
        }
        if (timed && savedBudget == null && (length == null || length.minutes == null)) {
            throw new UsageException("the checkpoint does not say its time budget: give --minutes");
        }
        Path dir = runDir;
        Dataset dataset = Runs.loadData(zoo, dataSpec, dataDir, runSeed, limit);
        Backend backend = closeAfterReport(common.openBackend());
        ZooModel zooModel = ZooCheckpoints.rebuild(from, zoo, backend);
        // A checkpoint in the resumable format records every setting; the recipe only fills gaps.
        Recipe recipe = zoo.model(zooModel.spec()).recipe(zooModel.spec().preset());
        return run(
                backend,
                zooModel,
                dataset,
                config(dir, runSeed, savedSettings, timed ? savedBudget : null, recipe),
                from);
    }

    /**
     * The recipe with its cosine warmup shortened to a tenth of the run where the run, counted in
     * steps, is no longer than the warmup (a short trial of a preset whose recipe warms up for
     * longer); a run for a time budget, or a warmup given as a flag, is left as it is.
     */
    private Recipe fitToRun(Recipe recipe, Dataset dataset) {
        if (recipe.schedule() != Recipe.Schedule.COSINE
                || warmup != null
                || (length != null && length.minutes != null)) {
            return recipe;
        }
        int b = batch != null ? batch : recipe.batchSize();
        long runSteps = length != null && length.steps != null
                ? length.steps
                : (long) (length != null && length.epochs != null ? length.epochs : 1)
                        * ZooBatches.stepsPerEpoch(dataset.train().size(), Math.max(1, b));
        if (runSteps > recipe.warmupSteps()) {
            return recipe;
        }
        return recipe.withWarmupSteps((int) (runSteps / 10));
    }

    /**
     * The run's settings: the flags given, else (resuming) the checkpoint's, else the model's recipe.
     *
     * @param saved the checkpoint's training settings ({@link TrainerConfig#describe()} keys), empty for a new run
     * @param savedBudget the time budget of the run resumed, used when no length is given, or null
     * @param recipe the model preset's recipe ({@link Recipe#DEFAULT} for most)
     */
    private TrainConfig config(Path dir, long s, Map<String, String> saved, Duration savedBudget, Recipe recipe) {
        int b = batch != null ? batch : savedInt(saved, TrainerConfig.BATCH_SIZE, recipe.batchSize());
        String o = optimizer != null ? optimizer : saved.getOrDefault("optimizer", "adam");
        String kind = lrSchedule != null
                ? lrSchedule
                : saved.getOrDefault("schedule", recipe.schedule().option());
        double peak = lr != null ? lr : savedDouble(saved, "schedule.lr", recipe.lr());
        int w = warmup != null ? warmup : savedInt(saved, "schedule.warmup_steps", recipe.warmupSteps());
        double c = clip != null ? clip : savedDouble(saved, TrainerConfig.CLIP_NORM, recipe.clipNorm());
        double e = ema != null ? ema : savedDouble(saved, TrainerConfig.EMA_DECAY, recipe.emaDecay());
        ScheduleConfig schedule = switch (kind) {
            case "constant" -> new ScheduleConfig.Constant(peak);
            case "cosine" -> new ScheduleConfig.WarmupCosine(peak, w, 0, 0); // decays over the whole run
            case "warmup" -> new ScheduleConfig.LinearWarmup(peak, Math.max(1, w));
            default ->
                throw new UsageException(
                        "--lr-schedule is constant, warmup or cosine; the checkpoint says '" + kind + "'");
        };
        LearningRateFactors factors = learningRateFactors(saved, recipe);
        OptimizerConfig opt = switch (o) {
            case "adam" ->
                Adam.builder().schedule(schedule).learningRateFactors(factors).build();
            case "sgd" ->
                Sgd.builder()
                        .schedule(schedule)
                        .momentum(SGD_MOMENTUM)
                        .nesterov(true)
                        .learningRateFactors(factors)
                        .build();
            default -> throw new UsageException("--optimizer is adam or sgd; the checkpoint says '" + o + "'");
        };
        TrainConfig c0 = TrainConfig.defaults(dir)
                .withSeed(s)
                .withBatchSize(b)
                .withOptimizer(opt)
                .withClipNorm(c)
                .withEmaDecay(e);
        TrainConfig c1 = c0;
        if (length != null && length.steps != null) {
            c1 = c0.withSteps(length.steps);
        } else if (length != null && length.epochs != null) {
            c1 = c0.withEpochs(length.epochs);
        } else if (length != null && length.minutes != null) {
            c1 = c0.withBudget(minutes(length.minutes));
        } else if (savedBudget != null) {
            c1 = c0.withBudget(savedBudget);
        }
        return evalEveryMinutes != null ? c1.withEvalEvery(minutes(evalEveryMinutes)) : c1;
    }

    /**
     * The flags' factors if given ({@code none}: no factor), else a resumed run's (none if its
     * checkpoint names none, whatever today's recipe says), else the recipe's.
     */
    private LearningRateFactors learningRateFactors(Map<String, String> saved, Recipe recipe) {
        try {
            if (lrFactors != null && !lrFactors.isEmpty()) {
                LearningRateFactors given =
                        lrFactors.size() == 1 && lrFactors.get(0).strip().equalsIgnoreCase("none")
                                ? LearningRateFactors.NONE
                                : LearningRateFactors.parse(lrFactors);
                if (!saved.isEmpty()) {
                    checkOrder(given, LearningRateFactors.fromDescription(saved));
                }
                return given;
            }
            return saved.isEmpty() ? recipe.learningRateFactors() : LearningRateFactors.fromDescription(saved);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--lr-factor: " + e.getMessage(), e);
        }
    }

    /**
     * Refuses a resume's factors that are the checkpoint's in another order: the first matching
     * pattern decides, so where patterns overlap the order is part of the setting, and the
     * comparison of settings by key that catches every other change cannot see it.
     */
    private static void checkOrder(LearningRateFactors given, LearningRateFactors saved) {
        if (given.asMap().equals(saved.asMap()) && !given.equals(saved)) {
            throw new UsageException("--lr-factor: the checkpoint's patterns are in the order "
                    + String.join(", ", saved.asMap().keySet())
                    + ", and the first that matches a parameter decides its factor: give them in that order, or"
                    + " leave --lr-factor out to keep them");
        }
    }

    /** The schedule's warmup steps, 0 for one without warmup, null for a custom one. */
    private static Long warmupSteps(LearningRateSchedule schedule) {
        if (schedule instanceof ScheduleConfig.LinearWarmup w) {
            return w.warmupSteps();
        }
        if (schedule instanceof ScheduleConfig.WarmupCosine w) {
            return w.warmupSteps();
        }
        return schedule instanceof ScheduleConfig ? 0L : null;
    }

    /** {@code m} minutes to the millisecond, or null if that is not a positive, finite time. */
    static Duration minutes(double m) {
        if (!(m > 0) || Double.isInfinite(m) || m * 60_000 >= Long.MAX_VALUE / 1e6) {
            return null;
        }
        long ms = Math.round(m * 60_000);
        return ms >= 1 ? Duration.ofMillis(ms) : null;
    }

    /** A duration as minutes for messages: {@code 1.5}, {@code 0.25}. */
    static String minutesText(Duration d) {
        return new java.math.BigDecimal(d.toMillis())
                .divide(java.math.BigDecimal.valueOf(60_000), 6, java.math.RoundingMode.HALF_UP)
                .stripTrailingZeros()
                .toPlainString();
    }

    private static int savedInt(Map<String, String> saved, String key, int fallback) {
        String v = saved.get(key);
        try {
            return v != null ? Integer.parseInt(v) : fallback;
        } catch (NumberFormatException e) {
            return fallback; // the trainer's comparison then names the setting
        }
    }

    private static double savedDouble(Map<String, String> saved, String key, double fallback) {
        String v = saved.get(key);
        try {
            return v != null ? Double.parseDouble(v) : fallback;
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** The flag that sets a training setting, for messages. */
    static String flag(String setting) {
        return switch (setting) {
            case "optimizer" -> "--optimizer";
            case "schedule" -> "--lr-schedule";
            case "schedule.lr" -> "--lr";
            case "schedule.warmup_steps" -> "--warmup";
            case "schedule.total_steps" -> "--steps/--epochs (the cosine schedule's length)";
            case TrainerConfig.SCHEDULE_BUDGET_MS -> "--minutes (the cosine schedule's length)";
            case TrainerConfig.LENGTH -> "--minutes or --steps/--epochs (what limits the run)";
            case TrainerConfig.CLIP_NORM -> "--clip";
            case TrainerConfig.EMA_DECAY -> "--ema";
            case TrainerConfig.BATCH_SIZE -> "--batch";
            case TrainerConfig.SEED -> "--seed";
            default ->
                setting.startsWith(LearningRateFactors.KEY_PREFIX)
                        ? "--lr-factor " + setting.substring(LearningRateFactors.KEY_PREFIX.length())
                        : setting;
        };
    }

    private ZooTrainer trainer(ZooModel zooModel, Dataset dataset, TrainConfig config, LossHistory history) {
        if (config.batchSize() > dataset.train().size()) {
            throw new UsageException("--batch " + config.batchSize() + " is larger than the training split of "
                    + dataset.name() + " (" + dataset.train().size() + " samples"
                    + (limit > 0 ? ", --limit " + limit : "")
                    + "): give --batch " + dataset.train().size() + " or less");
        }
        try {
            return new ZooTrainer(zooModel, dataset, config, history).checkpointMetadata(Runs.COMMAND_KEY, "train");
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("cosine schedule")) {
                throw new UsageException(
                        "--lr-schedule cosine needs --warmup below the run's total steps: " + e.getMessage());
            }
            if (e.getMessage() != null && e.getMessage().contains("learning-rate factor pattern")) {
                throw new UsageException("--lr-factor: " + e.getMessage(), e);
            }
            throw e;
        }
    }

    private Report run(Backend backend, ZooModel zooModel, Dataset dataset, TrainConfig config, Path from) {
        ProgressBar bar = new ProgressBar(terminal, common.verbose);
        LossHistory history = new LossHistory(bar);
        ZooTrainer trainer = trainer(zooModel, dataset, config, history);
        long startStep = 0;
        if (from != null) {
            CheckpointInfo fromInfo = ZooCheckpoints.info(from);
            startStep = fromInfo.metadata().step();
            Duration used = Trainer.savedTrainingTime(fromInfo);
            if (config.hasBudget() && used.compareTo(config.budget()) >= 0) {
                throw new UsageException("the checkpoint has used " + minutesText(used) + " minutes of training time "
                        + "and this run's budget is " + minutesText(config.budget()) + " minutes in all: give a larger "
                        + "--minutes (a total, counted from the start)");
            }
            if (!config.hasBudget() && startStep >= trainer.totalSteps()) {
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
        } catch (ConfigMismatchException e) {
            StringBuilder m = new StringBuilder("cannot resume " + from + " with other training settings: ");
            for (int i = 0; i < e.differences().size(); i++) {
                ConfigMismatchException.Difference d = e.differences().get(i);
                m.append(i == 0 ? "" : "; ")
                        .append(flag(d.setting()))
                        .append(" (")
                        .append(d.setting())
                        .append(") was ")
                        .append(d.saved())
                        .append(", now ")
                        .append(d.requested());
            }
            throw new UsageException(m + "; leave these out to continue with the checkpoint's");
        } finally {
            bar.finish();
        }
        double seconds = (System.nanoTime() - started) / 1e9;

        Report r = new Report();
        Runs.putModel(r, "train", backend, zooModel, dataset.name());
        String progress = config.hasBudget()
                ? String.format(
                        Locale.ROOT,
                        "step %d after %s of training (budget %s)",
                        result.steps(),
                        Runs.seconds(result.trainingTime().toNanos() / 1e9),
                        Runs.seconds(config.budget().toNanos() / 1e9))
                : String.format(Locale.ROOT, "step %d of %d", result.steps(), trainer.totalSteps());
        r.line(String.format(
                Locale.ROOT,
                "%s on %s: %s (%d epochs done)%s in %s on %s (%s)",
                zooModel.spec(),
                dataset.name(),
                progress,
                result.epochs(),
                from != null ? ", resumed at step " + startStep : "",
                Runs.seconds(seconds),
                backend.name(),
                zooModel.dtype().label()));
        EvalResult validation = result.validation();
        boolean evaluatedHere = false;
        if (validation == null && !result.stopped()) {
            // No epoch ended (a short --steps run): evaluate once, as the trainer would have.
            validation = trainer.validate();
            evaluatedHere = true;
        }
        if (validation != null) {
            Runs.putEval(r, "validation", validation);
            r.line("validation NLL: " + ProgressBar.describe(validation));
            if (evaluatedHere) {
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
            Map<String, Path> pictures;
            try (Trainer.AveragedWeights averaged = trainer.trainer().averagedWeights()) {
                pictures = Runs.pictures(zooModel, dataset, config.outDir(), config.seed() + 3);
            }
            files.putAll(pictures);
            r.line("wrote " + pictures.get("density") + " and " + pictures.get("samples"));
        }
        r.line("wrote " + result.checkpoint()
                + (result.stopped()
                        ? "  (stopped early; continue with: flows4j train " + "--resume " + result.checkpoint()
                                + " and the same options)"
                        : ""));
        r.put("steps", result.steps());
        r.put("total_steps", config.hasBudget() ? null : trainer.totalSteps());
        r.put("budget_seconds", config.hasBudget() ? Runs.round(config.budget().toMillis() / 1e3, 3) : null);
        r.put("training_seconds", Runs.round(result.trainingTime().toNanos() / 1e9, 3));
        r.put(
                "stop_reason",
                result.reason() == StopReason.BUDGET_SPENT
                        ? "budget"
                        : result.reason() == StopReason.STOP_REQUESTED ? "stopped" : "steps");
        TrainerConfig settings = trainer.trainer().config();
        r.put("optimizer", settings.optimizer().name());
        r.put("lr_schedule", settings.optimizer().schedule() instanceof ScheduleConfig sc ? sc.name() : "custom");
        r.put("lr", settings.optimizer().schedule() instanceof ScheduleConfig sc ? sc.peak() : null);
        r.put("batch", settings.batchSize());
        r.put("warmup", warmupSteps(settings.optimizer().schedule()));
        r.put("clip", settings.clipNorm());
        r.put("ema", settings.emaDecay());
        r.put("lr_factors", settings.optimizer().learningRateFactors().asMap());
        r.put("epochs", result.epochs());
        List<Map<String, Object>> curve = new ArrayList<>();
        for (LossHistory.Evaluation e : history.evaluations()) {
            Map<String, Object> point = new LinkedHashMap<>();
            point.put("step", e.step());
            point.put(
                    "training_seconds",
                    e.trainingTime() != null ? Runs.round(e.trainingTime().toNanos() / 1e9, 3) : null);
            point.put("nll_nats", e.result().nllNats());
            point.put("bits_per_dim", e.result().hasBitsPerDim() ? e.result().bitsPerDim() : null);
            curve.add(point);
        }
        r.put("validation_curve", curve);
        r.put("resumed_from_step", from != null ? startStep : null);
        r.put("train_seconds", Runs.round(seconds, 3));
        r.put("stopped", result.stopped());
        r.put("checkpoint", result.checkpoint());
        r.put("files", files);
        return r;
    }
}
