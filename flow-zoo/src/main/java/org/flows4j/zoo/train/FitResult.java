package org.flows4j.zoo.train;

/**
 * How {@link Trainer#fit} ended.
 *
 * @param steps updates done in all (including any before a resume)
 * @param stopped whether it stopped early on request
 */
public record FitResult(long steps, boolean stopped) {
}
