package org.flows4j.cli;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/**
 * A subcommand: the shared options, the terminal, and the output rule. {@link #execute()}
 * returns the report; this class prints it (one JSON object with {@code --json}), so no
 * subcommand writes results to stdout itself.
 */
abstract class ZooCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    /** Where this run writes. */
    final Terminal terminal;

    private final Deque<AutoCloseable> afterReport = new ArrayDeque<>();

    ZooCommand(Terminal terminal) {
        this.terminal = terminal;
    }

    @Override
    @SuppressWarnings("try") // logs is opened for its close(), which restores the settings
    public final Integer call() throws Exception {
        try (Logs logs = Logs.configure(terminal.err(), common.verbose)) {
            Exception failure = null;
            try {
                Report report = execute();
                report.emit(terminal, common.json);
                return 0;
            } catch (Exception e) {
                failure = e;
                throw e;
            } finally {
                closeAll(failure);
            }
        }
    }

    /** Runs the subcommand and describes its result. */
    abstract Report execute() throws Exception;

    /**
     * Closes {@code resource} once the report is printed (or the command failed), last
     * registered first: backends, and the Ctrl-C guard that must outlive the report.
     */
    <T extends AutoCloseable> T closeAfterReport(T resource) {
        afterReport.push(resource);
        return resource;
    }

    private void closeAll(Exception failure) throws Exception {
        Exception first = null;
        while (!afterReport.isEmpty()) {
            try {
                afterReport.pop().close();
            } catch (Exception e) {
                if (failure != null) {
                    failure.addSuppressed(e);
                } else if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
