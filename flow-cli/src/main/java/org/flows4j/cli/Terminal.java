package org.flows4j.cli;

import java.io.PrintStream;

/**
 * Where one run of the command writes: results to {@code out}, progress, logs and errors to
 * {@code err}, and whether {@code err} is a terminal (a redrawn progress bar) or a file or pipe
 * (occasional whole lines).
 */
final class Terminal {

    private final PrintStream out;
    private final PrintStream err;
    private final boolean interactive;

    Terminal(PrintStream out, PrintStream err, boolean interactive) {
        this.out = out;
        this.err = err;
        this.interactive = interactive;
    }

    /** Results: human-readable lines, or the one JSON object. */
    PrintStream out() {
        return out;
    }

    /** Progress, log messages and errors. */
    PrintStream err() {
        return err;
    }

    /** Whether {@link #err()} is a terminal that a progress bar may redraw with carriage returns. */
    boolean interactive() {
        return interactive;
    }
}
