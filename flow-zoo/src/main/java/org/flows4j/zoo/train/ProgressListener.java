package org.flows4j.zoo.train;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Receives training progress: the command draws a progress bar on stderr; tests record.
 * Every method has an empty default.
 */
public interface ProgressListener {

    /** No output. */
    ProgressListener SILENT = new ProgressListener() {};

    /**
     * After every optimizer step.
     *
     * @param epoch 1-based epoch
     * @param step 1-based global step
     * @param totalSteps the planned number of steps, 0 for a run limited by a time budget
     * @param loss the step's loss (mean NLL per example, in the model's nats)
     * @param bitsPerDim the step's bits per dimension, or NaN for non-image data
     * @param stepsPerSecond the recent rate
     */
    default void onStep(int epoch, long step, long totalSteps, double loss, double bitsPerDim, double stepsPerSecond) {}

    /**
     * After every epoch's validation.
     *
     * @param epoch the 1-based epoch just finished
     * @param step the 1-based global step at the end of the epoch
     * @param validation the evaluation on the validation split
     */
    default void onEpoch(int epoch, long step, EvalResult validation) {}

    /**
     * After every checkpoint written.
     *
     * @param file the checkpoint file written
     * @param step the 1-based global step it holds the state after
     */
    default void onCheckpoint(Path file, long step) {}

    /**
     * A one-line message (resuming, stopping).
     *
     * @param message the text, one line without a line terminator
     */
    default void onMessage(String message) {}

    /**
     * After every optimizer step of a run with a time budget, before {@link #onStep}.
     *
     * @param used the training time used so far, across resumed runs
     * @param budget the run's time budget, the total across resumed runs
     */
    default void onTrainingTime(Duration used, Duration budget) {}

    /**
     * After every evaluation of the validation split at an interval of training time, and at
     * the end of a run with a time budget or such intervals (after its checkpoint), unless it was
     * stopped on request.
     *
     * @param step the 1-based global step it evaluates the model after
     * @param trainingTime the training time used so far, across resumed runs
     * @param validation the evaluation on the validation split
     */
    default void onEvaluation(long step, Duration trainingTime, EvalResult validation) {}
}
