package org.flows4j.layers.optim;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A learning-rate schedule that has a name and settings, so that a command line can choose it
 * and a checkpoint can record it ({@link #describe()}). Each is a validated record; the
 * {@link LearningRateSchedule} factories return them.
 *
 * <p>Names: {@code constant}, {@code warmup}, {@code cosine}, {@code exponential}. Settings
 * ({@link #describe()} keys): {@code lr} (the peak), {@code warmup_steps}, {@code total_steps},
 * {@code floor}, {@code rate}, {@code decay_steps}; numbers are written by
 * {@link Double#toString(double)} and {@link Long#toString(long)}, so they read back exactly.
 */
public sealed interface ScheduleConfig extends LearningRateSchedule
        permits ScheduleConfig.Constant,
                ScheduleConfig.LinearWarmup,
                ScheduleConfig.WarmupCosine,
                ScheduleConfig.ExponentialDecay {

    /**
     * The schedule's stable name: {@code constant}, {@code warmup}, {@code cosine} or {@code exponential}.
     *
     * @return the name, as written to checkpoint metadata
     */
    String name();

    /**
     * The largest learning rate it gives (the constant rate, the peak after warm-up, the initial rate).
     *
     * @return the peak rate, finite and {@code > 0}
     */
    double peak();

    /**
     * The settings by stable key (without the name), for checkpoint metadata.
     *
     * @return a map of the settings as strings that read back exactly
     */
    Map<String, String> describe();

    /**
     * This schedule for a run of {@code totalSteps} updates: a cosine decay over "the whole run"
     * ({@code totalSteps = 0}) gets that length; every other schedule is returned as it is.
     *
     * @param totalSteps the number of updates in the run
     * @return the resolved schedule, or this one if it needs no length
     * @throws IllegalArgumentException if an unresolved cosine decay's warm-up is not shorter than the run
     */
    default ScheduleConfig forRun(long totalSteps) {
        return this;
    }

    /**
     * {@code lr} at every step.
     *
     * @param learningRate finite and {@code > 0}
     */
    record Constant(double learningRate) implements ScheduleConfig {

        /**
         * Validates.
         *
         * @param learningRate finite and {@code > 0}
         * @throws IllegalArgumentException if {@code learningRate} is out of range
         */
        public Constant {
            checkRate("constant", "lr", learningRate);
        }

        @Override
        public double at(long step) {
            return learningRate;
        }

        @Override
        public String name() {
            return "constant";
        }

        @Override
        public double peak() {
            return learningRate;
        }

        @Override
        public Map<String, String> describe() {
            return Map.of("lr", Double.toString(learningRate));
        }
    }

    /**
     * A linear warm-up, then constant: {@code peak * min(1, (step + 1) / warmupSteps)}. The first
     * update uses {@code peak / warmupSteps} rather than 0 so it is never wasted.
     *
     * @param peak finite and {@code > 0}
     * @param warmupSteps {@code >= 1}
     */
    record LinearWarmup(double peak, long warmupSteps) implements ScheduleConfig {

        /**
         * Validates.
         *
         * @param peak finite and {@code > 0}
         * @param warmupSteps {@code >= 1}
         * @throws IllegalArgumentException if an argument is out of range
         */
        public LinearWarmup {
            checkRate("linearWarmup", "lr", peak);
            checkSteps("linearWarmup", "warmupSteps", warmupSteps, 1);
        }

        @Override
        public double at(long step) {
            return warmup(peak, warmupSteps, step);
        }

        @Override
        public String name() {
            return "warmup";
        }

        @Override
        public Map<String, String> describe() {
            Map<String, String> out = new LinkedHashMap<>();
            out.put("lr", Double.toString(peak));
            out.put("warmup_steps", Long.toString(warmupSteps));
            return out;
        }
    }

    /**
     * Linear warm-up to {@code peak} as in {@link LinearWarmup}, then a half cosine down to
     * {@code floor} over the remaining {@code totalSteps - warmupSteps} updates, then {@code floor}:
     * <pre>
     *   step &lt; warmupSteps:  peak * (step + 1) / warmupSteps
     *   otherwise:           floor + (peak - floor) (1 + cos(pi p)) / 2,
     *                        p = min(1, (step - warmupSteps) / (totalSteps - warmupSteps))
     * </pre>
     * {@code totalSteps = 0} means "the length of the run", set by {@link #forRun}; such a
     * schedule cannot be evaluated until then.
     *
     * @param peak finite and {@code > 0}
     * @param warmupSteps {@code >= 0} (0 starts the decay at once)
     * @param totalSteps {@code > warmupSteps}, or 0 for the run's length
     * @param floor in {@code [0, peak]}
     */
    record WarmupCosine(double peak, long warmupSteps, long totalSteps, double floor) implements ScheduleConfig {

        /**
         * Validates.
         *
         * @param peak finite and {@code > 0}
         * @param warmupSteps {@code >= 0} (0 starts the decay at once)
         * @param totalSteps {@code > warmupSteps}, or 0 for the run's length
         * @param floor in {@code [0, peak]}
         * @throws IllegalArgumentException if an argument is out of range
         */
        public WarmupCosine {
            checkRate("warmupCosine", "lr", peak);
            checkSteps("warmupCosine", "warmupSteps", warmupSteps, 0);
            if (totalSteps != 0 && totalSteps <= warmupSteps) {
                throw new IllegalArgumentException(
                        "warmupCosine: totalSteps " + totalSteps + " must exceed warmupSteps " + warmupSteps);
            }
            if (totalSteps < 0) {
                throw new IllegalArgumentException("warmupCosine: totalSteps must be >= 0, got " + totalSteps);
            }
            if (!(floor >= 0 && floor <= peak)) {
                throw new IllegalArgumentException(
                        "warmupCosine: floor " + floor + " must be in [0, peak = " + peak + "]");
            }
        }

        /**
         * Whether the length is known (not "the run's length").
         *
         * @return {@code true} if {@code totalSteps > 0}, so {@link #at} can be evaluated
         */
        public boolean isResolved() {
            return totalSteps > 0;
        }

        @Override
        public ScheduleConfig forRun(long runSteps) {
            if (isResolved()) {
                return this;
            }
            if (runSteps <= warmupSteps) {
                throw new IllegalArgumentException(
                        "cosine schedule: the run's " + runSteps + " steps must exceed its warmupSteps " + warmupSteps);
            }
            return new WarmupCosine(peak, warmupSteps, runSteps, floor);
        }

        @Override
        public double at(long step) {
            if (!isResolved()) {
                throw new IllegalStateException(
                        "cosine schedule: its length (totalSteps) is not set; " + "call forRun(totalSteps) first");
            }
            if (step < warmupSteps) {
                return warmup(peak, warmupSteps, step);
            }
            double p = Math.min(1.0, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
            return floor + (peak - floor) * 0.5 * (1 + Math.cos(Math.PI * p));
        }

        /**
         * The rate of update {@code step} when the decay follows the fraction of a run's budget
         * used (a wall-clock budget, say) instead of the step: the warm-up stays in updates, and
         * after it the half cosine goes from {@code peak} at fraction 0 to {@code floor} at
         * fraction 1 and stays there:
         * <pre>
         *   step &lt; warmupSteps:  peak * (step + 1) / warmupSteps
         *   otherwise:           floor + (peak - floor) (1 + cos(pi f)) / 2,  f = min(1, max(0, fraction))
         * </pre>
         * The fraction is counted from the start of the run, warm-up included, so the decay does
         * not restart at the end of warm-up (with a short warm-up the rate there is still about
         * {@code peak}). {@code totalSteps} plays no part: this works on an unresolved schedule too.
         *
         * @param step the number of updates already applied, {@code >= 0}
         * @param fraction the fraction of the run's budget used before this update; clamped to {@code [0, 1]},
         *     NaN counts as 0
         * @return the learning rate, in {@code [floor, peak]}
         */
        public double atFraction(long step, double fraction) {
            if (step < warmupSteps) {
                return warmup(peak, warmupSteps, step);
            }
            double p = fraction > 0 ? Math.min(1.0, fraction) : 0.0;
            return floor + (peak - floor) * 0.5 * (1 + Math.cos(Math.PI * p));
        }

        @Override
        public String name() {
            return "cosine";
        }

        @Override
        public Map<String, String> describe() {
            Map<String, String> out = new LinkedHashMap<>();
            out.put("lr", Double.toString(peak));
            out.put("warmup_steps", Long.toString(warmupSteps));
            out.put("total_steps", Long.toString(totalSteps));
            out.put("floor", Double.toString(floor));
            return out;
        }
    }

    /**
     * Smooth exponential decay: {@code lr * rate^(step / decaySteps)}.
     *
     * @param learningRate the initial rate, finite and {@code > 0}
     * @param rate in {@code (0, 1]}
     * @param decaySteps {@code >= 1}
     */
    record ExponentialDecay(double learningRate, double rate, long decaySteps) implements ScheduleConfig {

        /**
         * Validates.
         *
         * @param learningRate the initial rate, finite and {@code > 0}
         * @param rate in {@code (0, 1]}
         * @param decaySteps {@code >= 1}
         * @throws IllegalArgumentException if an argument is out of range
         */
        public ExponentialDecay {
            checkRate("exponentialDecay", "lr", learningRate);
            if (!(rate > 0 && rate <= 1)) {
                throw new IllegalArgumentException("exponentialDecay: rate " + rate + " must be in (0, 1]");
            }
            checkSteps("exponentialDecay", "decaySteps", decaySteps, 1);
        }

        @Override
        public double at(long step) {
            return learningRate * Math.pow(rate, (double) step / decaySteps);
        }

        @Override
        public String name() {
            return "exponential";
        }

        @Override
        public double peak() {
            return learningRate;
        }

        @Override
        public Map<String, String> describe() {
            Map<String, String> out = new LinkedHashMap<>();
            out.put("lr", Double.toString(learningRate));
            out.put("rate", Double.toString(rate));
            out.put("decay_steps", Long.toString(decaySteps));
            return out;
        }
    }

    private static double warmup(double lr, long warmupSteps, long step) {
        return lr * Math.min(1.0, (double) (step + 1) / warmupSteps);
    }

    private static void checkRate(String who, String name, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(who + ": " + name + " must be finite and > 0, got " + value);
        }
    }

    private static void checkSteps(String who, String name, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(who + ": " + name + " must be >= " + min + ", got " + value);
        }
    }
}
