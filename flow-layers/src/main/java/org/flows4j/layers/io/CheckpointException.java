package org.flows4j.layers.io;

import java.nio.file.Path;

/**
 * A checkpoint could not be written, read or restored; the message names the file and exactly
 * what is wrong (truncated, corrupt, not a flows4j checkpoint, or not matching the model).
 *
 * <p>Unchecked, like {@link org.flows4j.api.backend.BackendException} and the
 * {@link IllegalArgumentException}s of the rest of the API: a trainer or the command line
 * cannot repair a bad file where the call is made, only report it, and a checked exception
 * would force every caller (and every lambda in a training loop) to wrap it. The underlying
 * {@link java.io.IOException}, where there is one, is the cause.
 */
public final class CheckpointException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Paths are not serializable; a deserialized exception keeps only the message. */
    private final transient Path file;

    /**
     * A problem with {@code file}; the message is {@code "checkpoint <file>: <detail>"}.
     *
     * @param file the checkpoint file concerned
     * @param detail what is wrong, for the message
     */
    public CheckpointException(Path file, String detail) {
        super("checkpoint " + file + ": " + detail);
        this.file = file;
    }

    /**
     * As {@link #CheckpointException(Path, String)}, with the underlying failure.
     *
     * @param file the checkpoint file concerned
     * @param detail what is wrong, for the message
     * @param cause the underlying failure, typically an {@link java.io.IOException}
     */
    public CheckpointException(Path file, String detail, Throwable cause) {
        super("checkpoint " + file + ": " + detail, cause);
        this.file = file;
    }

    /**
     * The checkpoint file concerned (null after deserialization).
     *
     * @return the file, or null if this exception was deserialized
     */
    public Path file() {
        return file;
    }
}
