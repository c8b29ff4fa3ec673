package org.flows4j.zoo.train;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.flows4j.layers.optim.Adam;
import org.flows4j.layers.optim.LearningRateSchedule;
import org.flows4j.layers.optim.OptimizerConfig;
import org.flows4j.layers.optim.ScheduleConfig;

/**
 * How a {@link Trainer} trains: the optimizer with its schedule, clipping by global norm, a
 * moving average of the weights, the batch size, the number of updates, the seed of the
 * batches, and how often a checkpoint is due. Made by {@link #builder()}, validated there.
 *
 * <p>A cosine schedule without a length ({@code totalSteps = 0}) decays over the whole run:
 * the builder sets its length to {@link #steps()}.
 *
 * <p><b>A time budget.</b> With a {@link #budget()} the run ends at the first step boundary
 * after that much training time (time spent in updates and in making their batches, not in
 * what the {@link FitListener} does: validation, evaluation, checkpoints), or after
 * {@link #steps()} updates if that comes first ({@link Builder#budget} makes the steps
 * unlimited). A cosine schedule without a length then decays over the budget: its progress is
 * the fraction of the budget used ({@link org.flows4j.layers.optim.ScheduleConfig.WarmupCosine#atFraction});
 * its warm-up stays in updates. Such a run is not reproducible bit for bit, since the number of
 * its updates depends on the machine's speed; given the same number of updates, the updates are
 * the same, but a cosine schedule's rates are not (they follow the time).
 *
 * @param optimizer the optimizer and its learning-rate schedule
 * @param clipNorm the global gradient norm is clipped to this; 0 turns clipping off
 * @param emaDecay the decay of the moving average of the weights, in {@code [0, 1)}; 0 turns it off
 * @param batchSize samples per update (what a {@link BatchSource} is asked to make)
 * @param steps the updates of the whole run, counted from the start
 * @param seed the seed of the batches ({@link BatchSource#batch})
 * @param checkpointEvery a checkpoint is due every this many updates (0: only at the end and on stop)
 * @param budget the training time of the whole run, counted from the start across resumes, or null for none
 * @param evalEvery an evaluation is due every this much training time ({@link FitListener#onEvaluationDue}),
 *     or null for none
 */
public record TrainerConfig(
        OptimizerConfig optimizer,
        double clipNorm,
        double emaDecay,
        int batchSize,
        long steps,
        long seed,
        long checkpointEvery,
        Duration budget,
        Duration evalEvery) {

    /** The metadata keys of {@link #describe()} besides the optimizer's. */
    public static final String CLIP_NORM = "clip_norm";
    /** The key of the moving average's decay. */
    public static final String EMA_DECAY = "ema_decay";
    /** The key of the batch size. */
    public static final String BATCH_SIZE = "batch_size";
    /** The key of the seed. */
    public static final String SEED = "seed";
    /**
     * The key that says what limits the run: {@code time} for a run with a {@link #budget()},
     * absent for a run limited by its steps (so a run of one kind cannot resume as the other).
     */
    public static final String LENGTH = "length";
    /** The value of {@link #LENGTH} for a run with a time budget. */
    public static final String LENGTH_TIME = "time";
    /**
     * The key of the budget (milliseconds) of a cosine schedule that decays over it: its length,
     * as {@code schedule.total_steps} is the length of one that decays over the steps.
     */
    public static final String SCHEDULE_BUDGET_MS = "schedule.budget_ms";

    /**
     * Validates, naming the setting at fault.
     *
     * @param optimizer the optimizer and its learning-rate schedule; not null. A cosine schedule without a
     *     length is replaced by one of {@code steps} updates
     * @param clipNorm the global gradient norm is clipped to this, finite and at least 0; 0 turns clipping
     *     off
     * @param emaDecay the decay of the moving average of the weights, in {@code [0, 1)}; 0 turns it off
     * @param batchSize samples per update, at least 1
     * @param steps the updates of the whole run, counted from the start, at least 1
     * @param seed the seed of the batches
     * @param checkpointEvery a checkpoint is due every this many updates, at least 0 (0: only at the end and
     *     on stop)
     * @param budget the training time of the whole run, positive, or null for none; a cosine schedule without
     *     a length then decays over it rather than over {@code steps}
     * @param evalEvery an evaluation is due every this much training time, positive, or null for none
     * @throws IllegalArgumentException naming the setting that is out of range
     * @throws NullPointerException if {@code optimizer} is null
     */
    public TrainerConfig {
        Objects.requireNonNull(optimizer, "optimizer");
        if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) {
            throw new IllegalArgumentException("clipNorm must be finite and >= 0 (0: no clipping), got " + clipNorm);
        }
        if (!(emaDecay >= 0 && emaDecay < 1)) {
            throw new IllegalArgumentException("emaDecay must be in [0, 1) (0: no moving average), got " + emaDecay);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        }
        if (checkpointEvery < 0) {
            throw new IllegalArgumentException("checkpointEvery must be >= 0, got " + checkpointEvery);
        }
        if (budget != null && (budget.isNegative() || budget.isZero())) {
            throw new IllegalArgumentException("budget must be positive (null: none), got " + budget);
        }
        if (evalEvery != null && (evalEvery.isNegative() || evalEvery.isZero())) {
            throw new IllegalArgumentException("evalEvery must be positive (null: none), got " + evalEvery);
        }
        if (budget == null && optimizer.schedule() instanceof ScheduleConfig s) {
            ScheduleConfig resolved = s.forRun(steps);
            if (resolved != s) {
                optimizer = optimizer.withSchedule(resolved);
            }
        }
    }

    /**
     * Without a time budget or timed evaluations, as before those existed.
     *
     * @param optimizer the optimizer and its learning-rate schedule; not null
     * @param clipNorm the global gradient norm is clipped to this, finite and at least 0; 0 turns clipping off
     * @param emaDecay the decay of the moving average of the weights, in {@code [0, 1)}; 0 turns it off
     * @param batchSize samples per update, at least 1
     * @param steps the updates of the whole run, counted from the start, at least 1
     * @param seed the seed of the batches
     * @param checkpointEvery a checkpoint is due every this many updates, at least 0
     * @throws IllegalArgumentException naming the setting that is out of range
     * @throws NullPointerException if {@code optimizer} is null
     */
    public TrainerConfig(
            OptimizerConfig optimizer,
            double clipNorm,
            double emaDecay,
            int batchSize,
            long steps,
            long seed,
            long checkpointEvery) {
        this(optimizer, clipNorm, emaDecay, batchSize, steps, seed, checkpointEvery, null, null);
    }

    /**
     * Whether the run has a time budget.
     *
     * @return whether {@link #budget()} is set
     */
    public boolean hasBudget() {
        return budget != null;
    }

    /**
     * Whether the learning-rate schedule follows the fraction of the budget used: a run with a
     * budget whose schedule is a cosine decay without a length.
     *
     * @return whether the schedule's progress is the training time over the budget
     */
    public boolean schedulesByTime() {
        return budget != null && optimizer.schedule() instanceof ScheduleConfig.WarmupCosine c && !c.isResolved();
    }

    /**
     * A builder: Adam at 1e-3 with 200 warm-up steps, clipping at 100, no average, batch 64, 1000 steps,
     * seed 0.
     *
     * @return a new builder with those defaults
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder starting from these settings.
     *
     * @return a new builder holding every setting of this config; changing it leaves this one unchanged
     */
    public Builder toBuilder() {
        return new Builder()
                .optimizer(optimizer)
                .clipNorm(clipNorm)
                .emaDecay(emaDecay)
                .batchSize(batchSize)
                .steps(steps)
                .seed(seed)
                .checkpointEvery(checkpointEvery)
                .budget(budget)
                .evalEvery(evalEvery)
                .steps(steps);
    }

    /**
     * Whether clipping is on.
     *
     * @return whether {@link #clipNorm()} is positive
     */
    public boolean clips() {
        return clipNorm > 0;
    }

    /**
     * Whether a moving average of the weights is kept.
     *
     * @return whether {@link #emaDecay()} is positive
     */
    public boolean averages() {
        return emaDecay > 0;
    }

    /**
     * The settings a resumed run must keep, by stable key, for checkpoint metadata: the
     * optimizer's ({@link OptimizerConfig#describe()}: {@code optimizer}, its hyper-parameters,
     * {@code schedule}, {@code schedule.<key>}), then {@code clip_norm}, {@code ema_decay},
     * {@code batch_size} and {@code seed}. Not {@code steps}: a run may be continued further.
     * With a budget, also {@value #LENGTH} {@code = }{@value #LENGTH_TIME}, and for a cosine
     * schedule that decays over it {@value #SCHEDULE_BUDGET_MS}; not the budget itself
     * otherwise: like the steps, it may be extended.
     *
     * @return a new, modifiable map of the settings as strings, in the order above
     */
    public Map<String, String> describe() {
        Map<String, String> out = new LinkedHashMap<>(optimizer.describe());
        if (schedulesByTime()) {
            out.put(SCHEDULE_BUDGET_MS, Long.toString(budget.toMillis()));
        }
        out.put(CLIP_NORM, Double.toString(clipNorm));
        out.put(EMA_DECAY, Double.toString(emaDecay));
        out.put(BATCH_SIZE, Integer.toString(batchSize));
        out.put(SEED, Long.toString(seed));
        if (budget != null) {
            out.put(LENGTH, LENGTH_TIME);
        }
        return out;
    }

    /**
     * Every setting whose value in {@code saved} (a {@link #describe()} read back) differs from this one's.
     *
     * @param saved the settings stored with a checkpoint; a key on one side only is a difference
     * @return the differences in the order of {@link #describe()}, then the keys only {@code saved} has;
     *     empty when the run may be resumed with this config
     */
    public List<ConfigMismatchException.Difference> differences(Map<String, String> saved) {
        Map<String, String> now = describe();
        Set<String> keys = new LinkedHashSet<>(now.keySet());
        keys.addAll(saved.keySet());
        List<ConfigMismatchException.Difference> out = new ArrayList<>();
        for (String key : keys) {
            String a = saved.get(key);
            String b = now.get(key);
            if (!Objects.equals(a, b)) {
                out.add(new ConfigMismatchException.Difference(key, a, b));
            }
        }
        return out;
    }

    /** {@link TrainerConfig}'s builder; {@link #build()} validates. */
    public static final class Builder {

        private OptimizerConfig optimizer = Adam.builder()
                .schedule(LearningRateSchedule.linearWarmup(1e-3, 200))
                .build();
        private double clipNorm = 100;
        private double emaDecay;
        private int batchSize = 64;
        private long steps = 1000;
        private long seed;
        private long checkpointEvery;
        private Duration budget;
        private Duration evalEvery;

        private Builder() {}

        /**
         * The optimizer and its schedule.
         *
         * @param o the optimizer with its schedule; not null
         * @return this builder
         * @throws NullPointerException if {@code o} is null
         */
        public Builder optimizer(OptimizerConfig o) {
            this.optimizer = Objects.requireNonNull(o, "optimizer");
            return this;
        }

        /**
         * Clipping by global norm at {@code norm}; 0 turns it off.
         *
         * @param norm the clipping norm, finite and at least 0 (checked by {@link #build()})
         * @return this builder
         */
        public Builder clipNorm(double norm) {
            this.clipNorm = norm;
            return this;
        }

        /**
         * A moving average of the weights with this decay (Glow: 0.999); 0 turns it off.
         *
         * @param decay the decay, in {@code [0, 1)} (checked by {@link #build()})
         * @return this builder
         */
        public Builder emaDecay(double decay) {
            this.emaDecay = decay;
            return this;
        }

        /**
         * Samples per update.
         *
         * @param b samples per update, at least 1 (checked by {@link #build()})
         * @return this builder
         */
        public Builder batchSize(int b) {
            this.batchSize = b;
            return this;
        }

        /**
         * Updates in the whole run.
         *
         * @param s the updates of the whole run, at least 1 (checked by {@link #build()})
         * @return this builder
         */
        public Builder steps(long s) {
            this.steps = s;
            return this;
        }

        /**
         * The seed of the batches.
         *
         * @param s the seed passed to {@link BatchSource#batch}
         * @return this builder
         */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /**
         * A checkpoint is due every this many updates (0: only at the end and on stop).
         *
         * @param every updates between checkpoints, at least 0 (checked by {@link #build()})
         * @return this builder
         */
        public Builder checkpointEvery(long every) {
            this.checkpointEvery = every;
            return this;
        }

        /**
         * A time budget for the whole run (null: none); the steps become unlimited, so the
         * budget alone ends the run unless {@link #steps} is called afterwards to cap it too.
         * Not reproducible bit for bit: the number of updates depends on the machine's speed.
         *
         * @param b the training time of the whole run, counted across resumes, positive (checked by
         *     {@link #build()}), or null for none
         * @return this builder
         */
        public Builder budget(Duration b) {
            this.budget = b;
            if (b != null) {
                this.steps = Long.MAX_VALUE;
            }
            return this;
        }

        /**
         * An evaluation is due every this much training time (null: none).
         *
         * @param every training time between evaluations, positive (checked by {@link #build()}), or null
         * @return this builder
         */
        public Builder evalEvery(Duration every) {
            this.evalEvery = every;
            return this;
        }

        /**
         * The validated settings.
         *
         * @return a new config of the builder's settings; the builder may be reused
         * @throws IllegalArgumentException naming the setting at fault
         */
        public TrainerConfig build() {
            return new TrainerConfig(
                    optimizer, clipNorm, emaDecay, batchSize, steps, seed, checkpointEvery, budget, evalEvery);
        }
    }

    /** Not a path: a record of settings. */
    @Override
    public String toString() {
        return "TrainerConfig" + describe() + "[steps=" + steps + ", checkpointEvery=" + checkpointEvery
                + (budget != null ? ", budget=" + budget : "") + (evalEvery != null ? ", evalEvery=" + evalEvery : "")
                + "]";
    }
}
