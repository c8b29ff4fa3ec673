package org.flows4j.zoo.train;

/**
 * What {@link Trainer#fit} tells its caller. Every method has an empty default.
 */
public interface FitListener {

    /** No output and no checkpoints. */
    FitListener NONE = new FitListener() { };

    /**
     * After every update.
     *
     * @param step the updates done so far (the 1-based number of this one)
     * @param loss its batch's mean negative log-likelihood
     * @param stepsPerSecond the rate since {@code fit} started
     */
    default void onStep(long step, double loss, double stepsPerSecond) {
    }

    /**
     * A checkpoint is due: every {@link TrainerConfig#checkpointEvery()} steps, after the last
     * step, and when stopped on request. Write it with {@link Trainer#save}.
     *
     * @param step the updates done so far
     */
    default void onCheckpointDue(long step) {
    }
}
