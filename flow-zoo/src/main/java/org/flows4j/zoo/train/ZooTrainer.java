package org.flows4j.zoo.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.flows4j.api.random.RandomSource;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.io.CheckpointException;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.ZooModel;

/**
 * Trains a zoo model on a data set with a {@link Trainer}: the training split's batches
 * ({@link ZooBatches}: an epoch order from the seed, dequantized 8-bit images), validation
 * after every epoch (with the averaged weights when a moving average is kept), and a
 * checkpoint ({@code outDir/last.safetensors}, rebuildable by {@link ZooCheckpoints}) after
 * every epoch, at the end and when stopped on request. This is what {@code flows4j train} runs.
 *
 * <p><b>A time budget.</b> With {@link TrainConfig#budget()} the run ends at the first step
 * after that much training time (across resumed runs; validation, evaluation and checkpoints do
 * not count), writes its checkpoint, then evaluates the validation split. Instead of after every
 * epoch it evaluates every {@link TrainConfig#evalEvery()} of training time (by default a tenth
 * of the budget), for the curve; checkpoints are still written every epoch. How many steps fit
 * is up to the machine, so such a run is not reproducible bit for bit. A run by steps or epochs
 * given {@link TrainConfig#evalEvery()} likewise evaluates on that interval and at the end
 * instead of after every epoch.
 *
 * <p><b>Determinism.</b> Every batch is a function of the seed and the step, and every
 * checkpoint holds the whole training state, so a run resumed from one takes exactly the steps
 * the uninterrupted run would have taken. A resume with other training settings is refused
 * ({@link ConfigMismatchException}).
 *
 * <p><b>Failure.</b> A NaN or infinite loss or gradient norm stops training with a
 * {@link TrainingException} naming the step; nothing is written then, so the last good
 * checkpoint stays.
 *
 * <p>Single-threaded: call {@link #train()} or {@link #resume} once, on one thread;
 * {@link #requestStop()} may come from any thread (a shutdown hook).
 */
public final class ZooTrainer {

    /** The checkpoint file name inside the output directory. */
    public static final String CHECKPOINT = "last.safetensors";
    /** At most this many validation samples are evaluated per epoch. */
    public static final int MAX_VALIDATION = 10_000;

    private final ZooModel model;
    private final Dataset data;
    private final TrainConfig config;
    private final ProgressListener listener;
    private final ZooBatches batches;
    private final Trainer trainer;
    private final long totalSteps;
    private final Path checkpoint;
    private final boolean images;
    private final int dims;
    private final Map<String, String> checkpointExtra = new LinkedHashMap<>();
    /** The step of the last checkpoint this trainer wrote or resumed from, or -1. */
    private long lastGoodStep = -1;

    /**
     * A trainer of {@code model} on {@code data}; nothing runs until {@link #train()} or {@link #resume}.
     *
     * @param model the model to train, in place, built for {@code data}'s event shape
     * @param data the data set: batches from its training split, validation on its validation split
     * @param config the run's settings
     * @param listener told of every step, epoch, checkpoint and message; {@link ProgressListener#SILENT} for
     *     nothing
     * @throws IllegalArgumentException if the model's event shape is not the data's, the training split is
     *     empty, or the batch is larger than the training split
     */
    public ZooTrainer(ZooModel model, Dataset data, TrainConfig config, ProgressListener listener) {
        this(model, data, config, listener, System::nanoTime);
    }

    /** As the public constructor, reading the training time from {@code nanoTime} (for tests). */
    ZooTrainer(ZooModel model, Dataset data, TrainConfig config, ProgressListener listener, LongSupplier nanoTime) {
        if (!model.eventShape().equals(data.eventShape())) {
            throw new IllegalArgumentException("the model " + model.spec() + " was built for samples of shape "
                    + model.eventShape() + " but " + data.name() + " has samples of shape " + data.eventShape());
        }
        if (data.train().size() == 0) {
            throw new IllegalArgumentException("the training split of " + data.name() + " is empty");
        }
        if (config.batchSize() > data.train().size()) {
            throw new IllegalArgumentException("the batch of " + config.batchSize() + " is larger than the training "
                    + "split of " + data.name() + " (" + data.train().size() + " samples): give a batch of at most "
                    + data.train().size());
        }
        this.model = model;
        this.data = data;
        this.config = config;
        this.listener = listener;
        this.images = model.kind() == Dataset.Kind.IMAGE_8BIT;
        this.dims = model.eventShape().size();
        this.batches = ZooBatches.conditional(
                data,
                BuildContext.of(model.backend(), model.dtype(), RandomSource.seeded(config.seed())),
                config.batchSize(),
                model.conditioning());
        int stepsPerEpoch = batches.stepsPerEpoch();
        this.totalSteps =
                config.hasBudget() ? 0 : config.steps() > 0 ? config.steps() : (long) config.epochs() * stepsPerEpoch;
        this.trainer = new Trainer(model.flow(), trainerConfig(config, totalSteps, stepsPerEpoch), nanoTime);
        this.checkpoint = config.outDir().resolve(CHECKPOINT);
    }

    /**
     * The generic trainer's settings for a zoo run of {@code totalSteps} (or of the config's
     * budget) with a checkpoint every epoch.
     */
    static TrainerConfig trainerConfig(TrainConfig c, long totalSteps, int stepsPerEpoch) {
        TrainerConfig.Builder b = TrainerConfig.builder()
                .optimizer(c.optimizer())
                .clipNorm(c.clipNorm())
                .emaDecay(c.emaDecay())
                .batchSize(c.batchSize())
                .seed(c.seed())
                .checkpointEvery(stepsPerEpoch)
                .evalEvery(evalInterval(c));
        return (c.hasBudget() ? b.budget(c.budget()) : b.steps(totalSteps)).build();
    }

    /** The config's evaluation interval; with a budget and none given, a tenth of the budget. */
    private static Duration evalInterval(TrainConfig c) {
        if (c.evalEvery() != null || !c.hasBudget()) {
            return c.evalEvery();
        }
        Duration tenth = c.budget().dividedBy(10);
        return tenth.isZero() ? c.budget() : tenth;
    }

    /**
     * Adds an entry to the metadata of every checkpoint this trainer writes (for example which
     * command wrote it); the trainer's own keys win.
     *
     * @param key the metadata key; not null
     * @param value its value; not null
     * @return this trainer
     * @throws NullPointerException if {@code key} or {@code value} is null
     */
    public ZooTrainer checkpointMetadata(String key, String value) {
        checkpointExtra.put(
                java.util.Objects.requireNonNull(key, "key"), java.util.Objects.requireNonNull(value, "value"));
        return this;
    }

    /**
     * The planned number of optimizer steps.
     *
     * @return the configured steps, or epochs times {@link #stepsPerEpoch()} when no steps are given; 0 for a
     *     run limited by a time budget
     */
    public long totalSteps() {
        return totalSteps;
    }

    /**
     * The time budget of the run, if it has one.
     *
     * @return the budget, the total training time across resumed runs, or null when steps or epochs set the
     *     length
     */
    public Duration budget() {
        return config.budget();
    }

    /**
     * Steps per epoch: whole batches of the training split.
     *
     * @return {@code max(1, training samples / batch size)}
     */
    public int stepsPerEpoch() {
        return batches.stepsPerEpoch();
    }

    /**
     * The generic trainer underneath (its configuration, optimizer and moving average).
     *
     * @return the trainer of the model's flow; shared, not a copy
     */
    public Trainer trainer() {
        return trainer;
    }

    /**
     * Trains a fresh model: data-dependent initialization on the first batch, then every step.
     *
     * @return the steps and epochs done, the last validation, the checkpoint and whether it stopped on
     *     request
     * @throws TrainingException if the loss or gradient norm becomes NaN or infinite, naming the step and the
     *     last good checkpoint, if any
     * @throws CheckpointException if the output directory or a checkpoint cannot be written
     */
    public TrainResult train() {
        return run(0);
    }

    /**
     * Restores parameters, optimizer state, moving average and step from a checkpoint this
     * trainer's model wrote, then continues to {@link #totalSteps()}, or with what is left of
     * its time budget (a run whose budget is already spent ends at once, evaluated).
     *
     * @param from the checkpoint to continue from, written by a {@code ZooTrainer} with the same settings
     * @return the steps and epochs done in all, the last validation, the checkpoint and whether it stopped on
     *     request
     * @throws ConfigMismatchException if the run was trained with other settings, naming them
     * @throws CheckpointException if it cannot be read or resumed (format version 1)
     * @throws TrainingException if the loss or gradient norm becomes NaN or infinite, naming the step
     */
    public TrainResult resume(Path from) {
        long step = trainer.restore(from).metadata().step();
        if (from.toAbsolutePath().normalize().equals(checkpoint.toAbsolutePath().normalize())) {
            lastGoodStep = step;
        }
        listener.onMessage("resuming from " + from + " at step " + step
                + (config.hasBudget()
                        ? ", " + seconds(trainer.trainingTime()) + " of the " + seconds(config.budget())
                                + " budget used"
                        : " of " + totalSteps));
        return run(step);
    }

    /** Asks a running {@link #train()} to stop after the current step and write its checkpoint. */
    public void requestStop() {
        trainer.requestStop();
    }

    /**
     * Waits until training has finished (or failed), at most {@code timeout}; for shutdown hooks.
     *
     * @param timeout the longest time to wait
     * @param unit the unit of {@code timeout}
     * @return {@code true} if training finished, {@code false} if the time ran out first
     * @throws InterruptedException if the waiting thread is interrupted
     */
    public boolean awaitFinish(long timeout, TimeUnit unit) throws InterruptedException {
        return trainer.awaitFinish(timeout, unit);
    }

    /**
     * The mean NLL of the validation split (else the training split), at most
     * {@value #MAX_VALIDATION} samples, with the averaged weights when a moving average is kept.
     *
     * @return the sample count, mean NLL and (for images) bits per dimension; the noise of images is drawn
     *     from {@code seed + 1}, the same on every call
     */
    public EvalResult validate() {
        DataSplit split = data.validation().size() > 0 ? data.validation() : data.train();
        try (Trainer.AveragedWeights averaged = trainer.averagedWeights()) {
            return Evaluator.evaluate(
                    model, split.head(MAX_VALIDATION), config.evalBatchSize(), RandomSource.seeded(config.seed() + 1));
        }
    }

    private TrainResult run(long startStep) {
        try {
            Files.createDirectories(config.outDir());
        } catch (IOException e) {
            throw new CheckpointException(checkpoint, "cannot create the output directory: " + e.getMessage(), e);
        }
        int stepsPerEpoch = batches.stepsPerEpoch();
        EvalResult[] validation = new EvalResult[1];
        boolean timed = config.hasBudget() || config.evalEvery() != null;
        FitResult fit;
        try {
            fit = trainer.fit(batches, new FitListener() {
                @Override
                public void onStep(long step, double loss, double stepsPerSecond) {
                    int epoch = (int) ((step - 1) / stepsPerEpoch) + 1;
                    if (config.hasBudget()) {
                        listener.onTrainingTime(trainer.trainingTime(), config.budget());
                    }
                    listener.onStep(epoch, step, totalSteps, reportedLoss(loss), bitsPerDim(loss), stepsPerSecond);
                }

                @Override
                public void onCheckpointDue(long step) {
                    int epoch = (int) ((step - 1) / stepsPerEpoch) + 1;
                    if (!timed && step % stepsPerEpoch == 0) {
                        validation[0] = validate();
                        listener.onEpoch(epoch, step, validation[0]);
                    }
                    save(step, epoch);
                }

                @Override
                public void onEvaluationDue(long step, Duration trainingTime) {
                    validation[0] = validate();
                    listener.onEvaluation(step, trainingTime, validation[0]);
                }
            });
        } catch (TrainingException e) {
            // Name a checkpoint only when this run's state is in it: a file from an earlier run (or
            // none at all) is not "the last good state".
            throw new TrainingException(e.getMessage()
                    + (lastGoodStep >= 0
                            ? ", and " + checkpoint + " keeps the last good state (step " + lastGoodStep + ")"
                            : "; no checkpoint was written, so nothing of this run is saved"));
        }
        long step = fit.steps();
        if (fit.stopped()) {
            listener.onMessage("stopped at step " + step + "; " + checkpoint + " holds it");
        }
        if (step == startStep) {
            save(step, (int) (step / stepsPerEpoch));
        }
        if (timed && !fit.stopped()) {
            // After the checkpoint: the run's state is safe before the evaluation's time is spent.
            validation[0] = validate();
            listener.onEvaluation(step, fit.trainingTime(), validation[0]);
        }
        return new TrainResult(
                step,
                (int) (step / stepsPerEpoch),
                validation[0],
                checkpoint,
                fit.stopped(),
                fit.trainingTime(),
                fit.reason());
    }

    private static String seconds(Duration d) {
        return String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }

    private double reportedLoss(double loss) {
        return images ? loss - dims * Math.log(256) : loss;
    }

    private double bitsPerDim(double loss) {
        return images ? loss / (dims * Math.log(2)) : Double.NaN;
    }

    private void save(long step, int epoch) {
        ZooCheckpoints.save(checkpoint, model, trainer, data.name(), epoch, config.seed(), checkpointExtra);
        lastGoodStep = step;
        listener.onCheckpoint(checkpoint, step);
    }
}
