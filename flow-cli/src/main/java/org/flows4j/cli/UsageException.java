package org.flows4j.cli;

/**
 * The arguments name something that does not exist (a model, preset, data set or backend) or
 * contradict each other or a checkpoint: the command exits with status 2, like a parse error.
 */
final class UsageException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }

    UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
