package org.flows4j.zoo.data;

/** A data set could not be loaded: a missing, truncated or malformed file, or a bad spec. The message says which. */
public class DataException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * With a message.
     *
     * @param message what failed and why, shown to the user
     */
    public DataException(String message) {
        super(message);
    }

    /**
     * With a message and the underlying failure.
     *
     * @param message what failed and why, shown to the user
     * @param cause the underlying failure, typically an {@link java.io.IOException}; may be null
     */
    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
