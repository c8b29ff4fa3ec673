package org.flows4j.zoo.train;

import java.nio.file.Path;

/** Another live process (or another run in this one) writes the run directory. */
public final class RunDirectoryLockedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final transient Path dir;
    /** The holder's process id, serialized with the exception; null if it could not be read. */
    private final String holderPid;

    RunDirectoryLockedException(Path dir, String holderPid) {
        super(dir + " is in use by another training run" + (holderPid != null ? " (process " + holderPid + ")" : "")
                + ": wait for it to finish, or give another --out");
        this.dir = dir;
        this.holderPid = holderPid;
    }

    /**
     * The locked directory.
     *
     * @return the run directory; null after deserialization, as a {@link Path} is not serialized
     */
    public Path dir() {
        return dir;
    }

    /**
     * The holder's process id as written in the lock file, or null if it could not be read.
     *
     * @return the process id text from the lock file, or null
     */
    public String holderPid() {
        return holderPid;
    }
}
