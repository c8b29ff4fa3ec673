package org.flows4j.zoo.models;

import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;
import org.flows4j.layers.optim.LearningRateFactors;

/**
 * The training settings a preset learns well with: batch size, Adam's peak learning rate, its
 * schedule and warmup, gradient clipping and the weight average. The {@code flows4j train}
 * command starts from the model's recipe and lets any flag override one setting; a library user
 * reads it from {@link ModelFactory#recipe(String)}.
 *
 * <p>A recipe is part of what a preset means: the figures in docs/RESULTS.md were reached with
 * the recipe given there, and changing one changes what the documented command reaches.
 *
 * @param batchSize samples per step, at least 1
 * @param lr Adam's peak learning rate, finite and positive
 * @param schedule how the learning rate moves over the run
 * @param warmupSteps steps of linear warmup ({@link Schedule#WARMUP} and {@link Schedule#COSINE}), at least 0
 * @param clipNorm the global gradient-norm clip, 0 for none
 * @param emaDecay the decay of the moving average of the weights, 0 for none, below 1
 * @param learningRateFactors per-parameter multipliers of the rate, by parameter-name pattern
 *     ({@link LearningRateFactors#NONE} for none)
 */
public record Recipe(
        int batchSize,
        double lr,
        Schedule schedule,
        int warmupSteps,
        double clipNorm,
        double emaDecay,
        LearningRateFactors learningRateFactors) {

    /** How the learning rate moves over a run. */
    public enum Schedule {
        /** The peak rate throughout. */
        CONSTANT("constant"),
        /** Linear warmup over {@link Recipe#warmupSteps()} steps, then the peak rate. */
        WARMUP("warmup"),
        /**
         * Linear warmup, then a half cosine from the peak to 0 at the end of the run (its last step,
         * or the end of its time budget).
         */
        COSINE("cosine");

        private final String option;

        Schedule(String option) {
            this.option = option;
        }

        /**
         * The value of {@code flows4j train --lr-schedule} that selects it.
         *
         * @return the lower-case name
         */
        public String option() {
            return option;
        }
    }

    /** {@link #DEFAULT}'s batch size, a constant that help texts can name. */
    public static final int DEFAULT_BATCH_SIZE = 64;

    /** {@link #DEFAULT}'s peak learning rate, a constant that help texts can name. */
    public static final double DEFAULT_LR = 1e-3;

    /** {@link #DEFAULT}'s warmup steps, a constant that help texts can name. */
    public static final int DEFAULT_WARMUP_STEPS = 200;

    /** {@link #DEFAULT}'s gradient-norm clip, a constant that help texts can name. */
    public static final double DEFAULT_CLIP_NORM = 100;

    /**
     * The recipe of presets that name none: batch 64, Adam at {@code 1e-3} after 200 steps of
     * linear warmup, clipping at 100, no weight average.
     */
    public static final Recipe DEFAULT =
            new Recipe(DEFAULT_BATCH_SIZE, DEFAULT_LR, Schedule.WARMUP, DEFAULT_WARMUP_STEPS, DEFAULT_CLIP_NORM, 0);

    /**
     * Checks the settings.
     *
     * @param batchSize samples per step, at least 1
     * @param lr Adam's peak learning rate, finite and positive
     * @param schedule how the learning rate moves over the run
     * @param warmupSteps steps of linear warmup, at least 0
     * @param clipNorm the global gradient-norm clip, 0 for none
     * @param emaDecay the decay of the moving average of the weights, 0 for none, below 1
     * @param learningRateFactors per-parameter multipliers of the rate
     * @throws IllegalArgumentException naming the first setting out of range
     * @throws NullPointerException if {@code schedule} or {@code learningRateFactors} is null
     */
    public Recipe {
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(learningRateFactors, "learningRateFactors");
        if (batchSize < 1) {
            throw new IllegalArgumentException("recipe batch size must be at least 1; got " + batchSize);
        }
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("recipe learning rate must be finite and > 0; got " + lr);
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("recipe warmup must be at least 0 steps; got " + warmupSteps);
        }
        if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) {
            throw new IllegalArgumentException("recipe clip norm must be finite and >= 0; got " + clipNorm);
        }
        if (!(emaDecay >= 0 && emaDecay < 1)) {
            throw new IllegalArgumentException("recipe EMA decay must be in [0, 1); got " + emaDecay);
        }
    }

    /**
     * A recipe in which every parameter takes the same rate.
     *
     * @param batchSize samples per step, at least 1
     * @param lr Adam's peak learning rate, finite and positive
     * @param schedule how the learning rate moves over the run
     * @param warmupSteps steps of linear warmup, at least 0
     * @param clipNorm the global gradient-norm clip, 0 for none
     * @param emaDecay the decay of the moving average of the weights, 0 for none, below 1
     * @throws IllegalArgumentException naming the first setting out of range
     * @throws NullPointerException if {@code schedule} is null
     */
    public Recipe(int batchSize, double lr, Schedule schedule, int warmupSteps, double clipNorm, double emaDecay) {
        this(batchSize, lr, schedule, warmupSteps, clipNorm, emaDecay, LearningRateFactors.NONE);
    }

    /**
     * This recipe with another learning-rate schedule, everything else kept.
     *
     * @param schedule how the learning rate moves over the run
     * @return a recipe that differs from this one in its schedule only
     * @throws NullPointerException if {@code schedule} is null
     */
    public Recipe withSchedule(Schedule schedule) {
        return new Recipe(batchSize, lr, schedule, warmupSteps, clipNorm, emaDecay, learningRateFactors);
    }

    /**
     * This recipe with another warmup, everything else kept.
     *
     * @param steps steps of linear warmup, at least 0
     * @return a recipe that differs from this one in its warmup only
     * @throws IllegalArgumentException if {@code steps} is negative
     */
    public Recipe withWarmupSteps(int steps) {
        return new Recipe(batchSize, lr, schedule, steps, clipNorm, emaDecay, learningRateFactors);
    }

    /**
     * The recipe as {@code flows4j train} flags, for help output and docs.
     *
     * @return for example {@code --batch 64 --lr 0.001 --lr-schedule warmup --warmup 200 --clip 100 --ema 0},
     *     then {@code --lr-factor PATTERN=F} for each learning-rate factor
     */
    public String flags() {
        String factors = learningRateFactors.asMap().entrySet().stream()
                .map(e -> " --lr-factor '" + e.getKey() + "=" + number(e.getValue()) + "'")
                .collect(Collectors.joining());
        return flagsWithoutFactors() + factors;
    }

    private String flagsWithoutFactors() {
        return String.format(
                Locale.ROOT,
                "--batch %d --lr %s --lr-schedule %s --warmup %d --clip %s --ema %s",
                batchSize,
                number(lr),
                schedule.option(),
                warmupSteps,
                number(clipNorm),
                number(emaDecay));
    }

    private static String number(double v) {
        return new java.math.BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString();
    }
}
