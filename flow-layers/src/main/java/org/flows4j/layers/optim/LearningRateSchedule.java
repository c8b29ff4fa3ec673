package org.flows4j.layers.optim;

/**
 * The learning rate as a function of the update index {@code step}: the number of updates
 * already applied, so the first update uses {@code at(0)}. Values must be finite and
 * {@code >= 0}; optimizers check.
 *
 * <p>The factories validate their arguments and give {@code > 0} everywhere except where a
 * decay reaches a floor of 0.
 */
@FunctionalInterface
public interface LearningRateSchedule {

    /** The learning rate of update {@code step} ({@code step >= 0}). */
    double at(long step);

    /** {@code lr} at every step. */
    static LearningRateSchedule constant(double lr) {
        checkRate("constant", "lr", lr);
        return step -> lr;
    }

    /**
     * A linear warmup, then constant: {@code lr * min(1, (step + 1) / warmupSteps)}. The first
     * update uses {@code lr / warmupSteps} rather than 0 so it is never wasted; update
     * {@code warmupSteps - 1} and every later one use {@code lr}.
     */
    static LearningRateSchedule linearWarmup(double lr, long warmupSteps) {
        checkRate("linearWarmup", "lr", lr);
        checkSteps("linearWarmup", "warmupSteps", warmupSteps, 1);
        return step -> warmup(lr, warmupSteps, step);
    }

    /**
     * Linear warmup to {@code peak} as in {@link #linearWarmup}, then a half cosine from
     * {@code peak} down to {@code floor} over the remaining {@code totalSteps - warmupSteps}
     * updates, then {@code floor}:
     * <pre>
     *   step &lt; warmupSteps:  peak * (step + 1) / warmupSteps
     *   otherwise:           floor + (peak - floor) (1 + cos(pi p)) / 2,
     *                        p = min(1, (step - warmupSteps) / (totalSteps - warmupSteps))
     * </pre>
     * {@code warmupSteps = 0} starts the decay at once.
     */
    static LearningRateSchedule warmupCosine(double peak, long warmupSteps, long totalSteps, double floor) {
        checkRate("warmupCosine", "peak", peak);
        checkSteps("warmupCosine", "warmupSteps", warmupSteps, 0);
        if (totalSteps <= warmupSteps) {
            throw new IllegalArgumentException("warmupCosine: totalSteps " + totalSteps + " must exceed warmupSteps "
                    + warmupSteps);
        }
        if (!(floor >= 0 && floor <= peak)) {
            throw new IllegalArgumentException("warmupCosine: floor " + floor + " must be in [0, peak = " + peak + "]");
        }
        return step -> {
            if (step < warmupSteps) {
                return warmup(peak, warmupSteps, step);
            }
            double p = Math.min(1.0, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
            return floor + (peak - floor) * 0.5 * (1 + Math.cos(Math.PI * p));
        };
    }

    /**
     * Smooth exponential decay: {@code lr * rate^(step / decaySteps)}, so the rate is
     * multiplied by {@code rate} every {@code decaySteps} updates.
     */
    static LearningRateSchedule exponentialDecay(double lr, double rate, long decaySteps) {
        checkRate("exponentialDecay", "lr", lr);
        if (!(rate > 0 && rate <= 1)) {
            throw new IllegalArgumentException("exponentialDecay: rate " + rate + " must be in (0, 1]");
        }
        checkSteps("exponentialDecay", "decaySteps", decaySteps, 1);
        return step -> lr * Math.pow(rate, (double) step / decaySteps);
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
