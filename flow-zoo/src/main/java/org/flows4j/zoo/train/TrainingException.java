package org.flows4j.zoo.train;

/** Training stopped because it cannot go on: a NaN or infinite loss, named with its step. */
public class TrainingException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * With a message.
     *
     * @param message why training stopped, naming the step
     */
    public TrainingException(String message) {
        super(message);
    }
}
