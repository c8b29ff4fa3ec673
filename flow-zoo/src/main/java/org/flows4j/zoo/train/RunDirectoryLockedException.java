package org.flows4j.zoo.train;

import java.nio.file.Path;

/** Another live process (or another run in this one) writes the run directory. */
public final class RunDirectoryLockedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final transient Path dir;
    private final String holderPid;

    RunDirectoryLockedException(Path dir, String holderPid) {
        super(dir + " is in use by another training run" + (holderPid != null ? " (process " + holderPid + ")" : "")
                + ": wait for it to finish, or give another --out");
        this.dir = dir;
        this.holderPid = holderPid;
    }

    /** The locked directory. */
    public Path dir() {
        return dir;
    }

    /** The holder's process id as written in the lock file, or null if it could not be read. */
    public String holderPid() {
        return holderPid;
    }
}
