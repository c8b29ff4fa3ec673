package org.flows4j.zoo.train;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How a training run ended.
 *
 * @param steps optimizer steps done in total (including any before a resume)
 * @param epochs epochs completed
 * @param validation the last validation result, or null if no epoch completed
 * @param checkpoint the last checkpoint written
 * @param stopped whether it stopped early on request (Ctrl-C)
 * @param trainingTime the training time used in total (including any before a resume): the training steps,
 *     not validation, evaluation or checkpoints
 * @param reason why it ended: all its steps, its time budget spent, or a stop request
 */
public record TrainResult(
        long steps,
        int epochs,
        EvalResult validation,
        Path checkpoint,
        boolean stopped,
        Duration trainingTime,
        StopReason reason) {

    /**
     * A run limited by its steps, of unknown training time.
     *
     * @param steps optimizer steps done in total (including any before a resume)
     * @param epochs epochs completed
     * @param validation the last validation result, or null if no epoch completed
     * @param checkpoint the last checkpoint written
     * @param stopped whether it stopped early on request (Ctrl-C)
     */
    public TrainResult(long steps, int epochs, EvalResult validation, Path checkpoint, boolean stopped) {
        this(
                steps,
                epochs,
                validation,
                checkpoint,
                stopped,
                Duration.ZERO,
                stopped ? StopReason.STOP_REQUESTED : StopReason.STEPS_DONE);
    }
}
