package org.flows4j.cli;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendInfo;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.Backends;
import picocli.CommandLine.Option;

/** The options every subcommand takes: the backend and its threads, {@code --verbose} and {@code --json}. */
final class CommonOptions {

    @Option(
            names = "--backend",
            order = 100,
            paramLabel = "NAME",
            description = "Backend to run on (see 'flows4j backends'). Default: the flows4j.backend property or "
                    + "FLOWS4J_BACKEND, else the highest-priority backend that starts.")
    String backend;

    @Option(
            names = "--threads",
            order = 101,
            paramLabel = "T",
            description = "Compute threads for the backend (default: all processors).")
    Integer threads;

    @Option(
            names = {"-v", "--verbose"},
            order = 102,
            description = "Informational logs, and stack traces with errors.")
    boolean verbose;

    @Option(
            names = {"-h", "--help"},
            order = 103,
            usageHelp = true,
            description = "Show this help and exit.")
    boolean help;

    @Option(
            names = "--json",
            order = 104,
            description = "Print the results as one JSON object on stdout (progress stays on stderr).")
    boolean json;

    /** The options for creating a backend: {@code --threads}, else one thread per processor. */
    BackendOptions backendOptions() {
        BackendOptions o = BackendOptions.defaults();
        if (threads != null) {
            if (threads < 1) {
                throw new UsageException("--threads must be at least 1, got " + threads);
            }
            int processors = Runtime.getRuntime().availableProcessors();
            if (threads > processors) {
                throw new UsageException("--threads " + threads + " is more than this machine's " + processors
                        + " processors, which would only slow the work down; give --threads " + processors
                        + " or less");
            }
            o = o.withThreads(threads);
        }
        return o;
    }

    /**
     * Creates the backend by name through discovery (or lets discovery choose). The name is
     * checked against what discovery finds first, so a typo is a usage error listing the
     * backends; a backend that exists but fails to start is a runtime failure.
     */
    Backend openBackend() {
        BackendOptions options = backendOptions();
        if (backend != null && backend.isBlank()) {
            throw new UsageException("--backend needs a name (see 'flows4j backends'); leave it out for the default");
        }
        if (backend == null) {
            return Backends.create(options);
        }
        checkKnown(backend);
        return Backends.create(backend, options);
    }

    /** Fails with a usage error listing the discovered backends if none is called {@code name}. */
    static void checkKnown(String name) {
        if (name.isBlank()) {
            throw new UsageException("--backend needs a name (see 'flows4j backends'); leave it out for the default");
        }
        List<BackendInfo> all = Backends.list();
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        if (all.stream().noneMatch(b -> b.name().equals(wanted))) {
            throw new UsageException("no backend named '" + name + "'; found: "
                    + (all.isEmpty()
                            ? "none"
                            : all.stream().map(BackendInfo::name).collect(Collectors.joining(", "))));
        }
    }
}
