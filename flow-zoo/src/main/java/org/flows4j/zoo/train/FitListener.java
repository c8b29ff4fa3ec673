package org.flows4j.zoo.train;

import java.time.Duration;

/**
 * What {@link Trainer#fit} tells its caller. Every method has an empty default.
 */
public interface FitListener {

    /** No output and no checkpoints. */
    FitListener NONE = new FitListener() {};

    /**
     * After every update.
     *
     * @param step the updates done so far (the 1-based number of this one)
     * @param loss its batch's mean negative log-likelihood
     * @param stepsPerSecond the rate since {@code fit} started, over training time (evaluations and checkpoints
     *     between steps do not count)
     */
    default void onStep(long step, double loss, double stepsPerSecond) {}

    /**
     * A checkpoint is due: every {@link TrainerConfig#checkpointEvery()} steps, after the last
     * step, and when stopped on request. Write it with {@link Trainer#save}.
     *
     * @param step the updates done so far
     */
    default void onCheckpointDue(long step) {}

    /**
     * An evaluation is due: every {@link TrainerConfig#evalEvery()} of training time, after the
     * step that crosses the next multiple (not after the last step: the caller evaluates at the
     * end). The time this takes is not training time, so it does not count against a budget.
     *
     * @param step the updates done so far
     * @param trainingTime the training time used so far, across resumes
     */
    default void onEvaluationDue(long step, Duration trainingTime) {}
}
