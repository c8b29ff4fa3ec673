package org.flows4j.zoo.data;

/**
 * The request itself is incomplete or wrong (a {@code csv:} with no path, an image set with no
 * data directory), as opposed to a file that is missing or malformed: the caller's to fix, so
 * a command reports it as a usage error.
 */
public final class DataRequestException extends DataException {

    private static final long serialVersionUID = 1L;

    /**
     * With a message that says what the request lacks.
     *
     * @param message what failed and why, shown to the user
     */
    public DataRequestException(String message) {
        super(message);
    }

    /**
     * With a message and the underlying failure.
     *
     * @param message what failed and why, shown to the user
     * @param cause the underlying failure, typically an {@link java.io.IOException}; may be null
     */
    public DataRequestException(String message, Throwable cause) {
        super(message, cause);
    }
}
