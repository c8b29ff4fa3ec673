package org.flows4j.zoo.train;

/** Why a training run ended. */
public enum StopReason {
    /** It did all its updates ({@link TrainerConfig#steps()}). */
    STEPS_DONE,
    /** It spent its time budget ({@link TrainerConfig#budget()}). */
    BUDGET_SPENT,
    /** It was asked to stop ({@link Trainer#requestStop()}, Ctrl-C) before either. */
    STOP_REQUESTED
}
