package org.flows4j.api.backend;

/** A backend could not be found, selected or created; the message says which and why. */
public class BackendException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** With a message. */
    public BackendException(String message) {
        super(message);
    }

    /** With a message and the underlying failure. */
    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
