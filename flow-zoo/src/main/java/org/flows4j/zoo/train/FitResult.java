package org.flows4j.zoo.train;

import java.time.Duration;
import java.util.Objects;

/**
 * How {@link Trainer#fit} ended.
 *
 * @param steps updates done in all (including any before a resume)
 * @param stopped whether it stopped early on request
 * @param reason why it ended: all its steps, its time budget spent, or a stop request
 * @param trainingTime the training time used in all (including any before a resume), as {@link Trainer}
 *     counts it: the updates and their batches, not evaluation or checkpoints
 */
public record FitResult(long steps, boolean stopped, StopReason reason, Duration trainingTime) {

    /**
     * Validates.
     *
     * @param steps updates done in all (including any before a resume)
     * @param stopped whether it stopped early on request; must agree with {@code reason}
     * @param reason why it ended; not null
     * @param trainingTime the training time used in all; not null
     * @throws NullPointerException if {@code reason} or {@code trainingTime} is null
     * @throws IllegalArgumentException if {@code stopped} and {@code reason} disagree
     */
    public FitResult {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(trainingTime, "trainingTime");
        if (stopped != (reason == StopReason.STOP_REQUESTED)) {
            throw new IllegalArgumentException("stopped is " + stopped + " but the reason is " + reason);
        }
    }

    /**
     * A run limited by its steps, of unknown training time.
     *
     * @param steps updates done in all (including any before a resume)
     * @param stopped whether it stopped early on request
     */
    public FitResult(long steps, boolean stopped) {
        this(steps, stopped, stopped ? StopReason.STOP_REQUESTED : StopReason.STEPS_DONE, Duration.ZERO);
    }
}
