package org.flows4j.zoo.train;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.flows4j.api.flow.Flow;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.io.CheckpointException;
import org.flows4j.layers.io.CheckpointInfo;
import org.flows4j.layers.io.CheckpointMetadata;
import org.flows4j.layers.io.Checkpoints;
import org.flows4j.layers.optim.ExponentialMovingAverage;
import org.flows4j.layers.optim.GradientClipping;
import org.flows4j.layers.optim.Optimizer;
import org.flows4j.layers.optim.OptimizerConfig;
import org.flows4j.layers.optim.ScheduleConfig;

/**
 * Maximum-likelihood training of any {@link Flow} from any {@link BatchSource}: the optimizer
 * and schedule of a {@link TrainerConfig}, clipping by global norm, a moving average of the
 * weights, checkpoints that resume exactly, and a stop request.
 *
 * <p>One update is {@link #computeGradients} (the loss {@code -mean log p(x)} of a batch and its
 * gradient by parameter name) then {@link #applyGradients} (clipping, the optimizer's step, the
 * moving average); {@link #trainStep} does both in a memory scope of its own. Splitting them
 * lets a data-parallel caller average the gradients of several workers before applying them.
 * {@link #fit} runs the whole loop.
 *
 * <p><b>Determinism.</b> The batch of every step is a pure function of the seed and the step
 * ({@link BatchSource}), and a checkpoint holds the parameters, the optimizer's state, the
 * moving average and the step, so a run resumed with {@link #restore} takes exactly the steps
 * of the uninterrupted one. The checkpoint also holds the configuration
 * ({@link TrainerConfig#describe()} under {@value #METADATA_PREFIX}), and {@link #restore}
 * refuses one trained with other settings.
 *
 * <p><b>Training time.</b> The trainer counts the time spent in its updates and in making
 * their batches (the first, slower updates included), not in what its {@link FitListener}
 * does (validation, evaluation, checkpoints); a checkpoint records it ({@value #ELAPSED_KEY})
 * and {@link #restore} continues the count, so a {@link TrainerConfig#budget()} is the total
 * across resumed runs. A run that a budget ends is not reproducible bit for bit: how many
 * updates fit depends on the machine's speed (and a cosine schedule over the budget follows
 * the time); given the same number of updates and learning rates, the updates are the same.
 *
 * <p><b>Failure.</b> A NaN or infinite loss or gradient norm throws a {@link TrainingException}
 * naming the step, before anything is changed.
 *
 * <p>Single-threaded, apart from {@link #requestStop()} (any thread, a shutdown hook).
 */
@SuppressWarnings("try") // memory scopes are opened for their close()
public final class Trainer {

    /** The prefix of the configuration's entries in a checkpoint's metadata. */
    public static final String METADATA_PREFIX = "train.";

    /** The oldest checkpoint format that records the configuration, and so can be resumed. */
    public static final int RESUMABLE_FORMAT = 2;

    /**
     * The metadata key of the training time used so far, in milliseconds, across resumes. Not
     * under {@value #METADATA_PREFIX}: it is the run's state, not a setting a resume must keep.
     */
    public static final String ELAPSED_KEY = "elapsed_ms";

    /** The metadata key of the time budget of a run that has one, in milliseconds (informative). */
    public static final String BUDGET_KEY = "budget_ms";

    private final Flow flow;
    private final TrainerConfig config;
    private final Map<String, Parameter> parameters;
    private final Optimizer optimizer;
    private final LongSupplier nanoTime;
    private final CountDownLatch finished = new CountDownLatch(1);
    private ExponentialMovingAverage ema;
    private long step;
    private long elapsedNanos;
    private volatile boolean stopRequested;

    /**
     * A trainer of {@code flow} at step 0; nothing runs until a step or {@link #fit}.
     *
     * @param flow the flow to train, in place; its parameters are the ones the optimizer updates
     * @param config the settings
     * @throws NullPointerException if {@code flow} or {@code config} is null
     */
    public Trainer(Flow flow, TrainerConfig config) {
        this(flow, config, System::nanoTime);
    }

    /**
     * A trainer of {@code flow} at step 0 that reads the time from {@code nanoTime} (for tests:
     * a clock that advances as they say).
     *
     * @param flow the flow to train, in place; its parameters are the ones the optimizer updates
     * @param config the settings
     * @param nanoTime a monotonic clock in nanoseconds, as {@link System#nanoTime()}
     * @throws NullPointerException if an argument is null
     */
    public Trainer(Flow flow, TrainerConfig config, LongSupplier nanoTime) {
        this.flow = Objects.requireNonNull(flow, "flow");
        this.config = Objects.requireNonNull(config, "config");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.parameters = flow.parameters();
        OptimizerConfig settings = config.optimizer();
        if (config.schedulesByTime() && settings.schedule() instanceof ScheduleConfig.WarmupCosine cosine) {
            // The optimizer asks for the rate of its next update; the fraction is read then.
            settings = settings.withSchedule(s -> cosine.atFraction(s, budgetFraction()));
        }
        this.optimizer = settings.create(parameters);
    }

    /**
     * The flow being trained.
     *
     * @return the flow given to the constructor, its parameters updated in place
     */
    public Flow flow() {
        return flow;
    }

    /**
     * The settings.
     *
     * @return the settings given to the constructor
     */
    public TrainerConfig config() {
        return config;
    }

    /**
     * The optimizer, made from {@link TrainerConfig#optimizer()}.
     *
     * @return the optimizer over the flow's parameters, holding its state (moments, step count)
     */
    public Optimizer optimizer() {
        return optimizer;
    }

    /**
     * The moving average of the weights, once training started, if the configuration keeps one.
     *
     * @return the moving average, or empty when the configuration keeps none or training has not started
     *     ({@link #initialize}, a step or {@link #restore})
     */
    public Optional<ExponentialMovingAverage> ema() {
        return Optional.ofNullable(ema);
    }

    /**
     * The updates done so far (including any before a restore).
     *
     * @return the number of updates applied, 0 for a new run
     */
    public long step() {
        return step;
    }

    /**
     * The training time used so far: updates and their batches, across resumes (not
     * validation, evaluation or checkpoints).
     *
     * @return the training time counted by {@link #fit} and restored by {@link #restore}; zero for a new run
     */
    public Duration trainingTime() {
        return Duration.ofNanos(elapsedNanos);
    }

    /**
     * The fraction of the time budget used: the progress of a cosine schedule over the budget.
     *
     * @return {@link #trainingTime()} over {@link TrainerConfig#budget()}, at most 1; 0 without a budget
     */
    public double budgetFraction() {
        Duration budget = config.budget();
        if (budget == null) {
            return 0;
        }
        return Math.min(1.0, (double) elapsedNanos / budget.toNanos());
    }

    /**
     * Whether the time budget is spent.
     *
     * @return whether there is a budget and {@link #trainingTime()} has reached it
     */
    public boolean budgetSpent() {
        return config.budget() != null && elapsedNanos >= config.budget().toNanos();
    }

    /**
     * The flow's data-dependent initialization (actnorm, NICE's data-initialized scaling) on the source's
     * {@linkplain BatchSource#initializationBatch initialization batch}, if it is not initialized
     * yet; {@link #fit} calls it before the first step of a new run.
     *
     * @param source the source of the initialization batch, drawn with the configured seed
     */
    public void initialize(BatchSource source) {
        if (!flow.isInitialized()) {
            try (MemoryScope scope = MemoryScope.open()) {
                flow.initialize(source.initializationBatch(config.seed()));
            }
        }
        averages();
    }

    /**
     * The loss of {@code batch} and its gradients, for update {@link #step()} {@code + 1};
     * changes nothing. The tensors are made in the caller's memory scope.
     *
     * @param batch the samples {@code [batch, event shape...]} on the flow's backend and dtype
     * @return update {@code step() + 1}'s number, the batch's loss and the gradients by parameter name, new
     *     tensors in the caller's memory scope
     * @throws TrainingException if the loss is NaN or infinite, naming the step
     */
    public Gradients computeGradients(Tensor batch) {
        return computeGradients(batch, null);
    }

    /**
     * The loss {@code -mean log p(x | c)} of a batch with its context ({@code [batch, c]}, or
     * null for an unconditional flow) and its gradients, for update {@link #step()} {@code + 1};
     * changes nothing.
     *
     * @param batch the samples {@code [batch, event shape...]} on the flow's backend and dtype
     * @param context the context {@code [batch, c]} lined up with the batch row by row, or null
     * @return update {@code step() + 1}'s number, the batch's loss and the gradients by parameter name, new
     *     tensors in the caller's memory scope
     * @throws TrainingException if the loss is NaN or infinite, naming the step
     */
    public Gradients computeGradients(Tensor batch, Tensor context) {
        long number = step + 1;
        Tensor loss = flow.logProb(batch, context).mean().neg();
        double value = loss.item();
        if (!Double.isFinite(value)) {
            throw new TrainingException("the loss became " + value + " at step " + number + "; training stopped");
        }
        return new Gradients(number, value, Optimizer.gradients(loss, parameters));
    }

    /**
     * Applies update {@link #step()} {@code + 1}: clips the gradients by global norm (if on),
     * steps the optimizer, updates the moving average (if on) and counts the step.
     *
     * @param gradients the gradients of update {@code step() + 1}, from {@link #computeGradients} or an
     *     average of several workers'
     * @throws IllegalArgumentException if the gradients are for another step
     * @throws TrainingException if the gradient norm is NaN or infinite (with clipping on),
     *     naming the step; nothing is changed then
     */
    public void applyGradients(Gradients gradients) {
        if (gradients.step() != step + 1) {
            throw new IllegalArgumentException(
                    "these gradients are for step " + gradients.step() + " but the next step is " + (step + 1));
        }
        Map<String, Tensor> byName = gradients.byName();
        double scale = 1;
        if (config.clips()) {
            double norm = GradientClipping.globalNorm(byName);
            if (!Double.isFinite(norm)) {
                throw new TrainingException(
                        "the gradient norm became " + norm + " at step " + gradients.step() + "; training stopped");
            }
            scale = GradientClipping.scaleFor(norm, config.clipNorm());
        }
        // the clipping factor goes to the optimizer, which (Adam) folds it into its update
        optimizer.step(byName, scale);
        ExponentialMovingAverage average = averages();
        if (average != null) {
            average.update();
        }
        step++;
    }

    /**
     * {@link #computeGradients} then {@link #applyGradients}, in a memory scope of its own; returns the loss.
     *
     * @param batch the samples {@code [batch, event shape...]} on the flow's backend and dtype
     * @return the batch's loss, the mean negative log-likelihood in the flow's nats
     * @throws TrainingException if the loss or gradient norm is NaN or infinite, naming the step
     */
    public double trainStep(Tensor batch) {
        return trainStep(batch, null);
    }

    /**
     * {@link #computeGradients(Tensor, Tensor)} then {@link #applyGradients}, in a memory scope of its own.
     *
     * @param batch the samples {@code [batch, event shape...]} on the flow's backend and dtype
     * @param context the context {@code [batch, c]} lined up with the batch row by row, or null
     * @return the batch's loss, the mean negative log-likelihood in the flow's nats
     * @throws TrainingException if the loss or gradient norm is NaN or infinite, naming the step
     */
    public double trainStep(Tensor batch, Tensor context) {
        try (MemoryScope scope = MemoryScope.open()) {
            Gradients g = computeGradients(batch, context);
            applyGradients(g);
            return g.loss();
        }
    }

    /**
     * Trains to {@link TrainerConfig#steps()} or until its {@linkplain TrainerConfig#budget()
     * time budget} is spent, whichever comes first: initializes a new run ({@link #initialize}),
     * then takes every remaining step on {@code source.batch(seed, step)}, telling
     * {@code listener} after each, when a checkpoint is due (every
     * {@link TrainerConfig#checkpointEvery()} steps and at the end) and when an evaluation is
     * due (every {@link TrainerConfig#evalEvery()} of training time). A budget ends the run at
     * the first step boundary after it is spent; the listener's time is not counted. Returns
     * early, after a checkpoint, when {@link #requestStop()} was called.
     *
     * @param source the batches (and contexts) of every step
     * @param listener told after every step and when a checkpoint is due, which it writes with {@link #save};
     *     {@link FitListener#NONE} for nothing
     * @return the updates done in all, the training time used in all, and why the run ended
     * @throws TrainingException if the loss or gradient norm becomes NaN or infinite, naming the step
     */
    public FitResult fit(BatchSource source, FitListener listener) {
        try {
            if (step == 0) {
                initialize(source);
            }
            long start = step;
            long startedAt = elapsedNanos; // the rate counts training time only, as the budget does
            long evalNanos = config.evalEvery() != null ? config.evalEvery().toNanos() : 0;
            long nextEval = evalNanos > 0 ? nextMultiple(elapsedNanos, evalNanos) : Long.MAX_VALUE;
            StopReason reason = null;
            while (reason == null) {
                if (step >= config.steps()) {
                    reason = StopReason.STEPS_DONE;
                    break;
                }
                if (budgetSpent()) {
                    reason = StopReason.BUDGET_SPENT;
                    break;
                }
                double loss;
                long t0 = nanoTime.getAsLong();
                try (MemoryScope scope = MemoryScope.open()) {
                    loss = trainStep(source.batch(config.seed(), step), source.context(config.seed(), step));
                }
                long t1 = nanoTime.getAsLong();
                elapsedNanos += Math.max(0, t1 - t0);
                double rate = (step - start) / Math.max(1e-9, (elapsedNanos - startedAt) / 1e9);
                listener.onStep(step, loss, rate);
                boolean last = step >= config.steps() || budgetSpent();
                boolean due = last || (config.checkpointEvery() > 0 && step % config.checkpointEvery() == 0);
                if (due || stopRequested) {
                    listener.onCheckpointDue(step);
                }
                if (stopRequested && !last) {
                    reason = StopReason.STOP_REQUESTED;
                } else if (!last && elapsedNanos >= nextEval) {
                    listener.onEvaluationDue(step, trainingTime());
                    nextEval = nextMultiple(elapsedNanos, evalNanos);
                }
            }
            return new FitResult(step, reason == StopReason.STOP_REQUESTED, reason, trainingTime());
        } finally {
            finished.countDown();
        }
    }

    /** The smallest multiple of {@code every} above {@code t}. */
    private static long nextMultiple(long t, long every) {
        return (t / every + 1) * every;
    }

    /** Asks a running {@link #fit} to stop after the current step (a checkpoint is then due). */
    public void requestStop() {
        stopRequested = true;
    }

    /**
     * Whether {@link #requestStop()} was called.
     *
     * @return whether a stop was requested; it is never withdrawn
     */
    public boolean stopRequested() {
        return stopRequested;
    }

    /**
     * Waits until {@link #fit} has returned (or failed), at most {@code timeout}; for shutdown hooks.
     *
     * @param timeout the longest time to wait
     * @param unit the unit of {@code timeout}
     * @return {@code true} if {@code fit} finished, {@code false} if the time ran out first
     * @throws InterruptedException if the waiting thread is interrupted
     */
    public boolean awaitFinish(long timeout, TimeUnit unit) throws InterruptedException {
        return finished.await(timeout, unit);
    }

    /**
     * Sets the parameters to their moving averages until the handle is closed (for evaluation);
     * without a moving average the handle does nothing.
     *
     * @return a handle to close (try-with-resources) to restore the trained values;
     *     {@link AveragedWeights#active()} says whether it changed anything
     */
    public AveragedWeights averagedWeights() {
        ExponentialMovingAverage average = averages();
        return new AveragedWeights(average == null ? null : average.applied());
    }

    /** Parameters set to their averages by {@link #averagedWeights()}; closing restores the trained values. */
    public static final class AveragedWeights implements AutoCloseable {

        private final ExponentialMovingAverage.Applied applied;

        private AveragedWeights(ExponentialMovingAverage.Applied applied) {
            this.applied = applied;
        }

        /**
         * Whether the parameters hold averages (false without a moving average).
         *
         * @return whether closing the handle restores anything
         */
        public boolean active() {
            return applied != null;
        }

        @Override
        public void close() {
            if (applied != null) {
                applied.close();
            }
        }
    }

    /**
     * Writes a checkpoint: the flow, the optimizer's state, the moving average, the step and
     * the configuration ({@value #METADATA_PREFIX}{@code <key>} for every entry of
     * {@link TrainerConfig#describe()}) besides {@code metadata}'s own entries.
     *
     * @param file the checkpoint to write, atomically replacing any file there; its directory must exist
     * @param metadata the entries to store besides the step (which it replaces) and the configuration
     * @throws CheckpointException if writing fails; any previous file is then unchanged
     */
    public void save(Path file, CheckpointMetadata metadata) {
        CheckpointMetadata meta =
                metadata.withStep(step).withExtra(ELAPSED_KEY, Long.toString(elapsedNanos / 1_000_000));
        if (config.budget() != null) {
            meta = meta.withExtra(BUDGET_KEY, Long.toString(config.budget().toMillis()));
        }
        for (Map.Entry<String, String> e : config.describe().entrySet()) {
            meta = meta.withExtra(METADATA_PREFIX + e.getKey(), e.getValue());
        }
        Checkpoints.save(file, flow, optimizer, averages(), meta);
    }

    /**
     * The configuration a checkpoint's metadata records ({@value #METADATA_PREFIX} entries, prefix removed).
     *
     * @param info the checkpoint's header, as {@link Checkpoints#readInfo} reads it
     * @return a new map of the configuration's keys (as in {@link TrainerConfig#describe()}) to their values,
     *     in the file's order; empty for a checkpoint that records none
     */
    public static Map<String, String> savedConfig(CheckpointInfo info) {
        Map<String, String> out = new LinkedHashMap<>();
        info.metadata().extra().forEach((k, v) -> {
            if (k.startsWith(METADATA_PREFIX)) {
                out.put(k.substring(METADATA_PREFIX.length()), v);
            }
        });
        return out;
    }

    /**
     * The training time a checkpoint records ({@value #ELAPSED_KEY}), across the runs that made it.
     *
     * @param info the checkpoint's header, as {@link Checkpoints#readInfo} reads it
     * @return the recorded training time; zero for a checkpoint that records none (written before it was
     *     recorded) or an unreadable entry
     */
    public static Duration savedTrainingTime(CheckpointInfo info) {
        return Duration.ofMillis(savedMillis(info, ELAPSED_KEY, 0));
    }

    /**
     * The time budget of the run a checkpoint comes from ({@value #BUDGET_KEY}).
     *
     * @param info the checkpoint's header, as {@link Checkpoints#readInfo} reads it
     * @return the budget, or empty for a run without one
     */
    public static Optional<Duration> savedBudget(CheckpointInfo info) {
        long ms = savedMillis(info, BUDGET_KEY, -1);
        return ms > 0 ? Optional.of(Duration.ofMillis(ms)) : Optional.empty();
    }

    private static long savedMillis(CheckpointInfo info, String key, long fallback) {
        String v = info.metadata().extra().get(key);
        try {
            return v != null ? Math.max(0, Long.parseLong(v)) : fallback;
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /**
     * Checks that {@code file} can be continued by this trainer: written in format
     * {@value #RESUMABLE_FORMAT} or later, with this configuration.
     *
     * @param info the checkpoint's header, as {@link Checkpoints#readInfo} reads it
     * @throws CheckpointException if it is of an older format
     * @throws ConfigMismatchException naming every setting that differs, with both values
     */
    public void checkResumable(CheckpointInfo info) {
        if (info.formatVersion() < RESUMABLE_FORMAT) {
            throw new CheckpointException(
                    info.file(),
                    "written in checkpoint format version " + info.formatVersion()
                            + ", which does not record the training settings, so training cannot continue from it exactly;"
                            + " it can still be evaluated and sampled, or start a new run");
        }
        var differences = config.differences(savedConfig(info));
        if (!differences.isEmpty()) {
            throw new ConfigMismatchException(info.file(), differences);
        }
    }

    /**
     * Continues from a checkpoint {@link #save} wrote: checks it ({@link #checkResumable}), then
     * loads the parameters, the optimizer's state, the moving average, the step and the
     * training time used ({@link #savedTrainingTime}), all or nothing.
     *
     * @param file a checkpoint {@link #save} wrote for a run with this configuration
     * @return the checkpoint's header
     * @throws CheckpointException if the file cannot be read, is corrupt, does not match the flow, is of an
     *     older format, or its step disagrees with its optimizer state
     * @throws ConfigMismatchException if it was trained with other settings, naming each
     */
    public CheckpointInfo restore(Path file) {
        CheckpointInfo info = Checkpoints.readInfo(file);
        checkResumable(info);
        if (config.averages()) {
            ema = null; // made afresh and filled from the file
        }
        ExponentialMovingAverage average = averages();
        Checkpoints.load(file, flow, optimizer, average);
        long saved = info.metadata().step();
        if (optimizer.steps() != saved) {
            throw new CheckpointException(
                    file, "its optimizer has done " + optimizer.steps() + " steps but it says step " + saved);
        }
        step = saved;
        elapsedNanos = savedTrainingTime(info).toNanos();
        return info;
    }

    /** The moving average, made when first needed (after initialization, so it starts at the initialized values). */
    private ExponentialMovingAverage averages() {
        if (ema == null && config.averages()) {
            ema = new ExponentialMovingAverage(parameters, config.emaDecay());
        }
        return ema;
    }
}
