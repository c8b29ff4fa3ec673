package org.flows4j.zoo.train;

import java.nio.file.Path;

/**
 * How a training run ended.
 *
 * @param steps optimizer steps done in total (including any before a resume)
 * @param epochs epochs completed
 * @param validation the last validation result, or null if no epoch completed
 * @param checkpoint the last checkpoint written
 * @param stopped whether it stopped early on request (Ctrl-C)
 */
public record TrainResult(long steps, int epochs, EvalResult validation, Path checkpoint, boolean stopped) {
}
