package org.flows4j.zoo.train;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.flows4j.layers.optim.Adam;
import org.flows4j.layers.optim.LearningRateSchedule;
import org.flows4j.layers.optim.OptimizerConfig;
import org.flows4j.layers.optim.ScheduleConfig;

/**
 * How {@link ZooTrainer} trains a zoo model on a data set: minibatch maximum likelihood with an
 * optimizer and schedule, clipping by global norm and optionally a moving average of the
 * weights (the {@link TrainerConfig} it makes), evaluation on the validation split after every
 * epoch and a checkpoint ({@code outDir/last.safetensors}) after every epoch and when stopped.
 *
 * <p>The run's length is a number of epochs, of steps, or a {@link #budget()} of training time
 * ({@link #withBudget}): the time spent in training steps, not in validation, evaluation or
 * checkpoints, counted across resumed runs. A run with a budget evaluates the validation split
 * every {@link #evalEvery()} of training time and at the end (not after every epoch), and a
 * cosine schedule without a length decays over the budget (its warm-up stays in steps). Such a
 * run is not reproducible bit for bit: how many steps fit in the budget depends on the machine.
 *
 * @param seed seeds the batch order, dequantization noise and (for a new model) initialization
 * @param batchSize samples per step
 * @param epochs passes over the training split (used when {@code steps == 0})
 * @param steps total optimizer steps, crossing epochs as needed (0: use {@code epochs})
 * @param optimizer the optimizer and its schedule (a cosine schedule without a length decays
 *     over the whole run)
 * @param clipNorm the global gradient norm is clipped to this (0: no clipping)
 * @param emaDecay the decay of the moving average of the weights (0: none); validation uses the
 *     averages
 * @param evalBatchSize samples per evaluation batch
 * @param outDir where checkpoints go
 * @param budget the training time of the whole run, across resumes (null: {@code epochs} or {@code steps}
 *     set the length)
 * @param evalEvery the validation split is evaluated every this much training time (null: after every
 *     epoch, or with a budget every tenth of it)
 */
public record TrainConfig(
        long seed,
        int batchSize,
        int epochs,
        long steps,
        OptimizerConfig optimizer,
        double clipNorm,
        double emaDecay,
        int evalBatchSize,
        Path outDir,
        Duration budget,
        Duration evalEvery) {

    /**
     * Validates, naming the setting at fault.
     *
     * @param seed seeds the batch order, dequantization noise and (for a new model) initialization
     * @param batchSize samples per step, at least 1
     * @param epochs passes over the training split, at least 0 (used when {@code steps == 0})
     * @param steps total optimizer steps, at least 0 (0: use {@code epochs}); {@code epochs} and
     *     {@code steps} are not both 0
     * @param optimizer the optimizer and its schedule; not null
     * @param clipNorm the global gradient norm is clipped to this, finite and at least 0 (0: no clipping)
     * @param emaDecay the decay of the moving average of the weights, in {@code [0, 1)} (0: none)
     * @param evalBatchSize samples per evaluation batch, at least 1
     * @param outDir where checkpoints go; not null
     * @param budget the training time of the whole run, positive, or null; with a budget {@code epochs} and
     *     {@code steps} are both 0
     * @param evalEvery training time between evaluations, positive, or null for the default
     * @throws IllegalArgumentException naming the setting that is out of range, or a null {@code outDir}
     * @throws NullPointerException if {@code optimizer} is null
     */
    public TrainConfig {
        if (budget != null) {
            if (budget.isNegative() || budget.isZero()) {
                throw new IllegalArgumentException("the time budget must be positive, got " + budget);
            }
            if (epochs != 0 || steps != 0) {
                throw new IllegalArgumentException("a time budget replaces epochs and steps, so give one of them: got "
                        + "a budget of " + budget + " and epochs " + epochs + ", steps " + steps);
            }
        }
        if (evalEvery != null && (evalEvery.isNegative() || evalEvery.isZero())) {
            throw new IllegalArgumentException("evalEvery must be positive (null: the default), got " + evalEvery);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("training needs batch >= 1; got batch " + batchSize);
        }
        if (budget == null && (epochs < 0 || steps < 0 || (epochs == 0 && steps == 0))) {
            throw new IllegalArgumentException(
                    "training needs batch >= 1 and a positive number of epochs or steps; got batch " + batchSize
                            + ", epochs " + epochs + ", steps " + steps);
        }
        Objects.requireNonNull(optimizer, "optimizer");
        if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) {
            throw new IllegalArgumentException("clipNorm must be finite and >= 0 (0: no clipping), got " + clipNorm);
        }
        if (!(emaDecay >= 0 && emaDecay < 1)) {
            throw new IllegalArgumentException("emaDecay must be in [0, 1) (0: no moving average), got " + emaDecay);
        }
        if (evalBatchSize < 1) {
            throw new IllegalArgumentException("evalBatchSize must be >= 1, got " + evalBatchSize);
        }
        if (outDir == null) {
            throw new IllegalArgumentException("training needs an output directory");
        }
    }

    /**
     * Without a time budget or timed evaluations, as before those existed.
     *
     * @param seed seeds the batch order, dequantization noise and (for a new model) initialization
     * @param batchSize samples per step, at least 1
     * @param epochs passes over the training split, at least 0 (used when {@code steps == 0})
     * @param steps total optimizer steps, at least 0; {@code epochs} and {@code steps} are not both 0
     * @param optimizer the optimizer and its schedule; not null
     * @param clipNorm the global gradient norm is clipped to this, finite and at least 0 (0: no clipping)
     * @param emaDecay the decay of the moving average of the weights, in {@code [0, 1)} (0: none)
     * @param evalBatchSize samples per evaluation batch, at least 1
     * @param outDir where checkpoints go; not null
     * @throws IllegalArgumentException naming the setting that is out of range, or a null {@code outDir}
     * @throws NullPointerException if {@code optimizer} is null
     */
    public TrainConfig(
            long seed,
            int batchSize,
            int epochs,
            long steps,
            OptimizerConfig optimizer,
            double clipNorm,
            double emaDecay,
            int evalBatchSize,
            Path outDir) {
        this(seed, batchSize, epochs, steps, optimizer, clipNorm, emaDecay, evalBatchSize, outDir, null, null);
    }

    /**
     * Sensible defaults: batch 64, 1 epoch, Adam at 1e-3 with 200 linear warm-up steps, clipping
     * at 100, no moving average, eval batch 256.
     *
     * @param outDir where checkpoints go; not null
     * @return the default config, seed 0, writing to {@code outDir}
     * @throws IllegalArgumentException if {@code outDir} is null
     */
    public static TrainConfig defaults(Path outDir) {
        return new TrainConfig(
                0,
                64,
                1,
                0,
                Adam.builder()
                        .schedule(LearningRateSchedule.linearWarmup(1e-3, 200))
                        .build(),
                100,
                0,
                256,
                outDir);
    }

    /**
     * With another seed.
     *
     * @param s the new seed
     * @return a new, validated config that differs from this one in the seed only
     */
    public TrainConfig withSeed(long s) {
        return new TrainConfig(
                s, batchSize, epochs, steps, optimizer, clipNorm, emaDecay, evalBatchSize, outDir, budget, evalEvery);
    }

    /**
     * With another batch size.
     *
     * @param b samples per step, at least 1
     * @return a new, validated config that differs from this one in the batch size only
     */
    public TrainConfig withBatchSize(int b) {
        return new TrainConfig(
                seed, b, epochs, steps, optimizer, clipNorm, emaDecay, evalBatchSize, outDir, budget, evalEvery);
    }

    /**
     * Training for a number of epochs.
     *
     * @param e passes over the training split, at least 1
     * @return a new, validated config training for {@code e} epochs, its {@code steps} set to 0 and its budget
     *     removed
     */
    public TrainConfig withEpochs(int e) {
        return new TrainConfig(
                seed, batchSize, e, 0, optimizer, clipNorm, emaDecay, evalBatchSize, outDir, null, evalEvery);
    }

    /**
     * Training for a number of steps.
     *
     * @param s total optimizer steps, at least 1 (0 falls back to the epochs)
     * @return a new, validated config training for {@code s} steps, its budget removed; its {@code epochs}
     *     becomes at least 1
     */
    public TrainConfig withSteps(long s) {
        return new TrainConfig(
                seed,
                batchSize,
                Math.max(epochs, 1),
                s,
                optimizer,
                clipNorm,
                emaDecay,
                evalBatchSize,
                outDir,
                null,
                evalEvery);
    }

    /**
     * Training for a budget of training time, counted across resumed runs, instead of epochs or
     * steps. Not reproducible bit for bit: the number of steps depends on the machine's speed.
     *
     * @param b the training time of the whole run, positive: the time of the training steps, not of
     *     validation, evaluation or checkpoints
     * @return a new, validated config training for {@code b}, its {@code epochs} and {@code steps} set to 0
     * @throws IllegalArgumentException if {@code b} is not positive
     * @throws NullPointerException if {@code b} is null
     */
    public TrainConfig withBudget(Duration b) {
        return new TrainConfig(
                seed,
                batchSize,
                0,
                0,
                optimizer,
                clipNorm,
                emaDecay,
                evalBatchSize,
                outDir,
                Objects.requireNonNull(b, "budget"),
                evalEvery);
    }

    /**
     * Evaluating the validation split every this much training time (null: after every epoch,
     * or with a budget every tenth of it).
     *
     * @param every training time between evaluations, positive, or null for the default
     * @return a new, validated config that differs from this one in the evaluation interval only
     */
    public TrainConfig withEvalEvery(Duration every) {
        return new TrainConfig(
                seed, batchSize, epochs, steps, optimizer, clipNorm, emaDecay, evalBatchSize, outDir, budget, every);
    }

    /**
     * Whether the run's length is a time budget.
     *
     * @return whether {@link #budget()} is set
     */
    public boolean hasBudget() {
        return budget != null;
    }

    /**
     * With another optimizer (and schedule).
     *
     * @param o the optimizer with its schedule; not null
     * @return a new, validated config that differs from this one in the optimizer only
     */
    public TrainConfig withOptimizer(OptimizerConfig o) {
        return new TrainConfig(
                seed, batchSize, epochs, steps, o, clipNorm, emaDecay, evalBatchSize, outDir, budget, evalEvery);
    }

    /**
     * With another learning-rate schedule for the same optimizer.
     *
     * @param s the learning-rate schedule
     * @return a new, validated config that differs from this one in the optimizer's schedule only
     */
    public TrainConfig withSchedule(LearningRateSchedule s) {
        return withOptimizer(optimizer.withSchedule(s));
    }

    /**
     * With another peak learning rate, keeping the kind of schedule (a custom schedule becomes a
     * constant rate).
     *
     * @param lr the peak learning rate (a cosine schedule's floor is lowered to it if above)
     * @return a new, validated config that differs from this one in the optimizer's schedule only
     */
    public TrainConfig withLearningRate(double lr) {
        LearningRateSchedule s = optimizer.schedule();
        LearningRateSchedule next;
        if (s instanceof ScheduleConfig.LinearWarmup w) {
            next = new ScheduleConfig.LinearWarmup(lr, w.warmupSteps());
        } else if (s instanceof ScheduleConfig.WarmupCosine c) {
            next = new ScheduleConfig.WarmupCosine(lr, c.warmupSteps(), c.totalSteps(), Math.min(c.floor(), lr));
        } else if (s instanceof ScheduleConfig.ExponentialDecay e) {
            next = new ScheduleConfig.ExponentialDecay(lr, e.rate(), e.decaySteps());
        } else {
            next = new ScheduleConfig.Constant(lr);
        }
        return withSchedule(next);
    }

    /**
     * With another warm-up: a linear warm-up or cosine schedule keeps its kind (a linear warm-up
     * of 0 steps means 1, the first update at the peak), any other becomes a linear warm-up to
     * its peak.
     *
     * @param w the updates of the linear warm-up to the peak rate, at least 0
     * @return a new, validated config that differs from this one in the optimizer's schedule only
     */
    public TrainConfig withWarmupSteps(int w) {
        LearningRateSchedule s = optimizer.schedule();
        double peak = s instanceof ScheduleConfig named ? named.peak() : s.at(0);
        LearningRateSchedule next = s instanceof ScheduleConfig.WarmupCosine c
                ? new ScheduleConfig.WarmupCosine(peak, w, c.totalSteps(), c.floor())
                : new ScheduleConfig.LinearWarmup(peak, Math.max(1, w));
        return withSchedule(next);
    }

    /**
     * With another clipping norm (0: none).
     *
     * @param c the norm the global gradient norm is clipped to, finite and at least 0 (0: none)
     * @return a new, validated config that differs from this one in the clipping norm only
     */
    public TrainConfig withClipNorm(double c) {
        return new TrainConfig(
                seed, batchSize, epochs, steps, optimizer, c, emaDecay, evalBatchSize, outDir, budget, evalEvery);
    }

    /**
     * With a moving average of the weights of this decay (0: none).
     *
     * @param d the decay, in {@code [0, 1)} (0: none)
     * @return a new, validated config that differs from this one in the moving average's decay only
     */
    public TrainConfig withEmaDecay(double d) {
        return new TrainConfig(
                seed, batchSize, epochs, steps, optimizer, clipNorm, d, evalBatchSize, outDir, budget, evalEvery);
    }

    /**
     * With another output directory.
     *
     * @param dir where checkpoints go; not null
     * @return a new, validated config that differs from this one in the output directory only
     */
    public TrainConfig withOutDir(Path dir) {
        return new TrainConfig(
                seed, batchSize, epochs, steps, optimizer, clipNorm, emaDecay, evalBatchSize, dir, budget, evalEvery);
    }
}
