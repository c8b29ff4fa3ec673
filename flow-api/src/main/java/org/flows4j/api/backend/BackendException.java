package org.flows4j.api.backend;

/** A backend could not be found, selected or created; the message says which and why. */
public class BackendException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * With a message.
     *
     * @param message which backend and why it failed
     */
    public BackendException(String message) {
        super(message);
    }

    /**
     * With a message and the underlying failure.
     *
     * @param message which backend and why it failed
     * @param cause the underlying failure, for example a {@link LinkageError} from native code
     */
    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
