package org.flows4j.cli;

import com.google.inject.Guice;
import com.google.inject.Injector;
import java.io.Console;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.UndeclaredThrowableException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.flows4j.cli.inject.ZooModule;
import org.flows4j.zoo.data.DataRequestException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code flows4j} command: {@code backends}, {@code models}, {@code datasets},
 * {@code quickstart}, {@code train} and {@code eval}, and the pictures of a trained model:
 * {@code sample}, {@code interpolate}, {@code inpaint} and {@code manipulate}.
 *
 * <p>Output rules: results go to stdout (with {@code --json}, exactly one JSON object and
 * nothing else); progress, logs and errors go to stderr. Exit status: 0 on success, 1 when
 * the work failed (a missing or corrupt file, a backend that does not start, a NaN loss), 2 on
 * a usage error (a bad option, or a model, data set or backend name that does not exist). An
 * error is one line, {@code flows4j: <message>}; {@code --verbose} adds the stack trace.
 */
@Command(
        name = "flows4j",
        mixinStandardHelpOptions = true,
        versionProvider = Flows4jCommand.Version.class,
        description = "Normalizing flows for the JVM: train, evaluate and sample NICE, RealNVP and Glow.",
        subcommands = {
            BackendsCommand.class,
            ModelsCommand.class,
            DatasetsCommand.class,
            QuickstartCommand.class,
            TrainCommand.class,
            EvalCommand.class,
            SampleCommand.class,
            InterpolateCommand.class,
            InpaintCommand.class,
            ManipulateCommand.class,
            CommandLine.HelpCommand.class
        },
        synopsisSubcommandLabel = "COMMAND",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:success",
            "1:failure (a missing or corrupt file, a backend that does not start, a NaN loss "
                    + "or result, out of memory, a run directory in use)",
            "2:usage error (a bad option, or an unknown model, data set or backend)",
            "130:interrupted (Ctrl-C, SIGINT); training writes its checkpoint first",
            "143:terminated (SIGTERM); training writes its checkpoint first"
        },
        footer = {
            "",
            "Every command takes --backend NAME, --threads T, --verbose and --json.",
            "Start with: flows4j quickstart"
        })
public final class Flows4jCommand implements Callable<Integer> {

    /** Exit status of a successful run. */
    public static final int OK = 0;
    /** Exit status of a run whose work failed. */
    public static final int FAILURE = 1;
    /** Exit status of a usage error. */
    public static final int USAGE = 2;

    /** The system property that says whether stderr is a terminal (the launcher sets it). */
    static final String TTY_PROPERTY = "flows4j.stderr.tty";

    private static final String GUICE_BYTECODE = "guice_bytecode_gen_option";

    @Spec
    CommandSpec spec;

    /** For picocli and Guice. */
    public Flows4jCommand() {}

    /** Without a command, the usage is a usage error. */
    @Override
    public Integer call() {
        throw new ParameterException(
                spec.commandLine(),
                "missing a command: backends, models, datasets, quickstart, train, eval, sample, interpolate, "
                        + "inpaint or manipulate");
    }

    /**
     * Runs the command and exits with its status. Anything a library prints on
     * {@code System.out} is sent to stderr, so that stdout carries the results alone.
     *
     * @param args the command line: a command (e.g. {@code train}) and its options
     */
    public static void main(String[] args) {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        PrintStream stdout = System.out;
        System.setOut(System.err);
        String tty = System.getProperty(TTY_PROPERTY);
        boolean interactive = tty != null ? Boolean.parseBoolean(tty) : onTerminal();
        int status = run(args, stdout, System.err, interactive);
        stdout.flush();
        System.err.flush();
        System.exit(status);
    }

    /**
     * Whether the JVM runs on a terminal (stdin and stdout both one). Up to JDK 21 a console
     * exists only then; from JDK 22 one always exists, and its {@code isTerminal()} (JDK 22+,
     * hence reflection) tells.
     */
    // The null check is the whole answer before JDK 22, which is what this module compiles for;
    // isTerminal() covers the newer JDKs the check warns about.
    @SuppressWarnings("SystemConsoleNull")
    private static boolean onTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return true; // no isTerminal(), before JDK 22: a console means a terminal
        }
    }

    /**
     * Runs the command in this JVM, writing to the given streams, and returns its exit status
     * (for tests and embedding). Progress is printed as whole lines, not a redrawn bar.
     *
     * @param args the command line: a command (e.g. {@code train}) and its options
     * @param out receives the results (with {@code --json}, one JSON object); not closed
     * @param err receives progress, logs and errors; not closed
     * @return the exit status: {@link #OK}, {@link #FAILURE}, {@link #USAGE}, or another that the
     *         command returns (see the class comment)
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, false);
    }

    static int run(String[] args, PrintStream out, PrintStream err, boolean interactive) {
        if (System.getProperty(GUICE_BYTECODE) == null) {
            // Guice's generated glue classes live in the unnamed module and cannot reach the
            // commands, which this module does not export; plain reflection (the package is
            // opened to Guice) works on the module path and the class path alike.
            System.setProperty(GUICE_BYTECODE, "DISABLED");
        }
        Terminal terminal = new Terminal(out, err, interactive);
        List<String> raw = Arrays.asList(args);
        boolean json = raw.contains("--json");
        boolean verbose = raw.contains("--verbose") || raw.contains("-v");
        CommandLine cl;
        try {
            Injector injector = Guice.createInjector(
                    new ZooModule(), binder -> binder.bind(Terminal.class).toInstance(terminal));
            cl = new CommandLine(Flows4jCommand.class, new GuiceFactory(injector));
        } catch (RuntimeException | LinkageError e) {
            // A plugin that fails to load or binds a name twice: nothing can run.
            return fail(terminal, FAILURE, e, null, json, verbose);
        }
        cl.setOut(new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true));
        cl.setErr(new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        cl.setParameterExceptionHandler((ex, a) -> fail(terminal, USAGE, ex, ex.getCommandLine(), json, verbose));
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean v = verbose;
            boolean j = json;
            if (commandLine.getCommand() instanceof ZooCommand c && c.common != null) {
                v = c.common.verbose;
                j = c.common.json;
            }
            OutOfMemoryError oom = outOfMemoryIn(ex);
            if (oom != null) {
                return failOutOfMemory(terminal, args, oom, ex, j, v);
            }
            Throwable cause = unwrap(ex);
            return cause instanceof UsageException
                            || cause instanceof ParameterException
                            || cause instanceof DataRequestException
                    ? fail(terminal, USAGE, cause, commandLine, j, v)
                    : fail(terminal, FAILURE, cause, null, j, v);
        });
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError | StackOverflowError | LinkageError | RuntimeException e) {
            // The net under every command: out of memory (itself, or behind another error), what
            // ran out and the flag that bounds it, one line; anything else, an internal error.
            OutOfMemoryError oom = outOfMemoryIn(e);
            if (oom != null) {
                return failOutOfMemory(terminal, args, oom, e, json, verbose);
            }
            return fail(
                    terminal,
                    FAILURE,
                    new IllegalStateException(
                            "flows4j " + subcommand(args) + " failed with an internal error (" + internal(e)
                                    + "); run it with --verbose for the details",
                            e),
                    null,
                    json,
                    verbose);
        }
    }

    /** Fails with {@link #outOfMemory}'s line for {@code oom}, found in (or as) {@code e}. */
    private static int failOutOfMemory(
            Terminal terminal, String[] args, OutOfMemoryError oom, Throwable e, boolean json, boolean verbose) {
        return fail(terminal, FAILURE, new IllegalStateException(outOfMemory(args, oom), e), null, json, verbose);
    }

    /** The subcommand named in {@code args}, or "flows4j" alone. */
    static String subcommand(String[] args) {
        for (String a : args) {
            if (!a.startsWith("-")) {
                return a;
            }
        }
        return "";
    }

    /** The one line for an {@link OutOfMemoryError}: the command, what ran out, the flag that bounds it. */
    static String outOfMemory(String[] args, OutOfMemoryError e) {
        String command = subcommand(args);
        String bound = switch (command) {
            case "train", "quickstart" -> "a smaller --batch, or a smaller model (-O), needs less";
            case "eval" -> "a smaller --batch needs less";
            case "sample", "inpaint", "manipulate" -> "fewer images (-n) need less";
            case "interpolate" -> "fewer --pairs or --steps need less";
            default -> "a smaller input needs less";
        };
        String what = e.getMessage() != null && e.getMessage().contains("array size exceeds VM limit")
                ? "an array larger than the JVM allows was needed"
                : "the Java heap ran out";
        return "flows4j " + command + " ran out of memory (" + what + "): " + bound
                + ", or give the JVM more, e.g. JAVA_OPTS=-Xmx8g ./flows4j " + command + " ...";
    }

    /**
     * The {@link OutOfMemoryError} behind {@code e}, if any: {@code e} itself or a cause. Out of
     * memory, the JVM may throw one preallocated error from several places, and a
     * try-with-resources that meets it twice then fails with "Self-suppression not permitted"
     * (an {@link IllegalArgumentException} whose cause is the error), which must still be
     * reported as what it is.
     */
    static OutOfMemoryError outOfMemoryIn(Throwable e) {
        java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof OutOfMemoryError oom) {
                return oom;
            }
        }
        return null;
    }

    private static String internal(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? "no message" : m.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof InvocationTargetException
                        || t instanceof UndeclaredThrowableException
                        || t instanceof ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** Prints the one-line error (and with --json the error object on stdout); returns the status. */
    private static int fail(
            Terminal terminal, int status, Throwable e, CommandLine where, boolean json, boolean verbose) {
        String message = message(e);
        String hint = where == null ? "" : " (see '" + where.getCommandSpec().qualifiedName() + " --help')";
        PrintStream err = terminal.err();
        synchronized (err) {
            err.println("flows4j: " + message + hint);
            if (verbose) {
                e.printStackTrace(err);
            }
            err.flush();
        }
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("error", message);
            o.put("exit_status", status);
            terminal.out().println(JsonWriter.write(o));
            terminal.out().flush();
        }
        return status;
    }

    /** The exception's message on one line (never a class name: a user cannot act on one). */
    static String message(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            m = e.getCause() != null && e.getCause().getMessage() != null
                    ? e.getCause().getMessage()
                    : "an internal error with no message; run with --verbose for the details";
        }
        return m.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    /** The version of the zoo module (the build sets it), else the jar's, else "unknown". */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            ModuleDescriptor d = Flows4jCommand.class.getModule().getDescriptor();
            String v = d != null && d.rawVersion().isPresent()
                    ? d.rawVersion().get()
                    : Flows4jCommand.class.getPackage().getImplementationVersion();
            return new String[] {"flows4j " + (v != null ? v : "unknown"), "Java " + Runtime.version()};
        }
    }
}
