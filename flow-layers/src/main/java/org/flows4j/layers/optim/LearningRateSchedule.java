package org.flows4j.layers.optim;

/**
 * The learning rate as a function of the update index {@code step}: the number of updates
 * already applied, so the first update uses {@code at(0)}. Values must be finite and
 * {@code >= 0}; optimizers check.
 *
 * <p>The factories validate their arguments and give {@code > 0} everywhere except where a
 * decay reaches a floor of 0. They return {@link ScheduleConfig} records, which have a name
 * and settings for command lines and checkpoints; any other implementation (a lambda) is a
 * custom schedule that a checkpoint can only describe as {@code custom}.
 */
@FunctionalInterface
public interface LearningRateSchedule {

    /**
     * The learning rate of update {@code step} ({@code step >= 0}).
     *
     * @param step the number of updates already applied, {@code >= 0}
     * @return the learning rate, finite and {@code >= 0}
     */
    double at(long step);

    /**
     * {@code lr} at every step.
     *
     * @param lr the learning rate, finite and {@code > 0}
     * @return the schedule
     * @throws IllegalArgumentException if {@code lr} is not finite and positive
     */
    static ScheduleConfig.Constant constant(double lr) {
        return new ScheduleConfig.Constant(lr);
    }

    /**
     * A linear warmup, then constant: {@code lr * min(1, (step + 1) / warmupSteps)}. The first
     * update uses {@code lr / warmupSteps} rather than 0 so it is never wasted; update
     * {@code warmupSteps - 1} and every later one use {@code lr}.
     *
     * @param lr the rate after warm-up, finite and {@code > 0}
     * @param warmupSteps the number of warm-up updates, {@code >= 1} (1: no warm-up)
     * @return the schedule
     * @throws IllegalArgumentException if an argument is out of range
     */
    static ScheduleConfig.LinearWarmup linearWarmup(double lr, long warmupSteps) {
        return new ScheduleConfig.LinearWarmup(lr, warmupSteps);
    }

    /**
     * Linear warmup to {@code peak} as in {@link #linearWarmup}, then a half cosine from
     * {@code peak} down to {@code floor} over the remaining {@code totalSteps - warmupSteps}
     * updates, then {@code floor}; see {@link ScheduleConfig.WarmupCosine}.
     * {@code warmupSteps = 0} starts the decay at once.
     *
     * @param peak the rate at the end of warm-up, finite and {@code > 0}
     * @param warmupSteps the number of warm-up updates, {@code >= 0}
     * @param totalSteps the update at which the decay reaches {@code floor}, {@code > warmupSteps}
     * @param floor the final rate, in {@code [0, peak]}
     * @return the schedule
     * @throws IllegalArgumentException if an argument is out of range
     */
    static ScheduleConfig.WarmupCosine warmupCosine(double peak, long warmupSteps, long totalSteps, double floor) {
        if (totalSteps <= warmupSteps) {
            throw new IllegalArgumentException(
                    "warmupCosine: totalSteps " + totalSteps + " must exceed warmupSteps " + warmupSteps);
        }
        return new ScheduleConfig.WarmupCosine(peak, warmupSteps, totalSteps, floor);
    }

    /**
     * Smooth exponential decay: {@code lr * rate^(step / decaySteps)}, so the rate is
     * multiplied by {@code rate} every {@code decaySteps} updates.
     *
     * @param lr the initial rate, finite and {@code > 0}
     * @param rate the factor per {@code decaySteps} updates, in {@code (0, 1]} (1: constant)
     * @param decaySteps the updates over which the rate is multiplied by {@code rate}, {@code >= 1}
     * @return the schedule
     * @throws IllegalArgumentException if an argument is out of range
     */
    static ScheduleConfig.ExponentialDecay exponentialDecay(double lr, double rate, long decaySteps) {
        return new ScheduleConfig.ExponentialDecay(lr, rate, decaySteps);
    }
}
