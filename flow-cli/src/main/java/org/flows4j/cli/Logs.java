package org.flows4j.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Keeps log output to the point: before any backend loads native code, native libraries'
 * loggers are set to warnings (SLF4J simple logger, javacpp, DJL offline so nothing is
 * downloaded behind the user's back), and {@code java.util.logging} (where
 * {@code System.Logger} goes, so flows4j's own warnings too) prints one line per record on the
 * command's stderr. {@code --verbose} lowers both to informational messages with stack traces.
 * A property the user already set (through {@code JAVA_OPTS}) is left alone. Closing restores
 * what was there, so in-process runs (tests) do not leak settings into each other.
 */
final class Logs implements AutoCloseable {

    private final Map<String, String> previous = new LinkedHashMap<>();
    private final Logger root = Logger.getLogger("");
    private final Handler[] savedHandlers;
    private final Level savedLevel;
    private final Handler handler;

    private Logs(PrintStream err, boolean verbose) {
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
        setIfAbsent("org.bytedeco.javacpp.logger", "slf4j");
        if (!verbose) {
            // SLF4J's own notices ("No SLF4J providers were found") are not the user's concern.
            setIfAbsent("slf4j.internal.verbosity", "ERROR");
        }
        savedHandlers = root.getHandlers();
        savedLevel = root.getLevel();
        for (Handler h : savedHandlers) {
            root.removeHandler(h);
        }
        Level level = verbose ? Level.INFO : Level.WARNING;
        handler = new OneLineHandler(err, verbose);
        handler.setLevel(level);
        root.setLevel(level);
        root.addHandler(handler);
    }

    /** Applies the quiet (or verbose) settings until {@link #close()}. */
    static Logs configure(PrintStream err, boolean verbose) {
        return new Logs(err, verbose);
    }

    private void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            previous.put(key, null);
            System.setProperty(key, value);
        }
    }

    @Override
    public void close() {
        root.removeHandler(handler);
        for (Handler h : savedHandlers) {
            root.addHandler(h);
        }
        root.setLevel(savedLevel);
        previous.keySet().forEach(System::clearProperty);
    }

    /** {@code flows4j: warning: message}, and with {@code --verbose} the logger and stack trace. */
    private static final class OneLineHandler extends Handler {

        private final PrintStream err;
        private final boolean verbose;

        OneLineHandler(PrintStream err, boolean verbose) {
            this.err = err;
            this.verbose = verbose;
        }

        @Override
        public void publish(LogRecord r) {
            if (!isLoggable(r)) {
                return;
            }
            String message = r.getMessage();
            if (r.getParameters() != null && r.getParameters().length > 0 && message != null) {
                try {
                    message = java.text.MessageFormat.format(message, r.getParameters());
                } catch (IllegalArgumentException keepRaw) {
                    // a message that is not a MessageFormat pattern is printed as it came
                }
            }
            String level = r.getLevel().intValue() >= Level.SEVERE.intValue()
                    ? "error"
                    : r.getLevel().intValue() >= Level.WARNING.intValue() ? "warning" : "info";
            String where = verbose && r.getLoggerName() != null ? " [" + r.getLoggerName() + "]" : "";
            synchronized (err) {
                err.println("flows4j: " + level + where + ": " + message);
                if (verbose && r.getThrown() != null) {
                    r.getThrown().printStackTrace(err);
                }
            }
        }

        @Override
        public void flush() {
            err.flush();
        }

        @Override
        public void close() {
            flush();
        }
    }
}
