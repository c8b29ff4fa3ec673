package org.flows4j.backend.djl;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.flows4j.api.backend.BackendException;
import org.flows4j.api.backend.BackendOptions;

/**
 * Starts DJL's PyTorch engine once per process, configured through the system properties DJL
 * reads when it first loads libtorch. A property the user already set is never overridden.
 *
 * <ul>
 *   <li>{@code ai.djl.offline=true}: DJL never downloads; libtorch comes from the
 *       {@code pytorch-native-cpu} jar on the class path.</li>
 *   <li>{@code DJL_CACHE_DIR} and {@code ENGINE_CACHE_DIR}: where DJL unpacks libtorch
 *       (about 450 MB). The backend option {@value #CACHE_DIR} sets both; otherwise DJL's own
 *       default {@code ~/.djl.ai}, shared with other DJL applications, is kept when the home
 *       directory is writable, and {@code java.io.tmpdir/djl.ai-<user>} is used when it is not.</li>
 *   <li>{@code ai.djl.pytorch.num_threads} and {@code ai.djl.pytorch.num_interop_threads}: the
 *       thread counts of libtorch's pools, from {@link BackendOptions#threads()}. The intra-op
 *       count is also set again on every start, since libtorch keeps one process-wide value.</li>
 *   <li>{@code org.slf4j.simpleLogger.log.ai.djl=warn}: DJL logs its start-up at INFO; with the
 *       SLF4J simple provider this keeps it off the terminal. Its CUDA probe
 *       ({@code ai.djl.util.cuda}) is set to error: this backend never uses a GPU.</li>
 * </ul>
 */
final class NativeStart {

    /** The backend option naming DJL's native cache directory. */
    static final String CACHE_DIR = "djl.cacheDir";

    private static final Object LOCK = new Object();

    private NativeStart() {}

    /** The started engine, with libtorch's intra-op threads set to {@code options.threads()}. */
    static Engine engine(BackendOptions options) {
        synchronized (LOCK) {
            setIfAbsent("ai.djl.offline", "true");
            setIfAbsent("org.slf4j.simpleLogger.log.ai.djl", "warn");
            // DJL probes for CUDA even for CPU-only natives, and warns when it finds a CUDA runtime
            // without a driver: irrelevant to this backend, which never uses a GPU
            setIfAbsent("org.slf4j.simpleLogger.log.ai.djl.util.cuda", "error");
            configureCache(options);
            String threads = Integer.toString(options.threads());
            setIfAbsent("ai.djl.pytorch.num_threads", threads);
            setIfAbsent("ai.djl.pytorch.num_interop_threads", threads);
            Engine engine = Engine.getEngine("PyTorch");
            JniUtils.setNumThreads(options.threads());
            return engine;
        }
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private static void configureCache(BackendOptions options) {
        String configured = options.property(CACHE_DIR, null);
        if (configured != null && !configured.isBlank()) {
            // asked for explicitly: takes effect if this is the process's first start of libtorch
            System.setProperty("DJL_CACHE_DIR", configured);
            System.setProperty("ENGINE_CACHE_DIR", configured);
            return;
        }
        if (isSet("DJL_CACHE_DIR") || isSet("ENGINE_CACHE_DIR")) {
            return;
        }
        String home = System.getProperty("user.home");
        if (home != null && writable(Paths.get(home, ".djl.ai"))) {
            return; // DJL's default
        }
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_");
        String tmp = Paths.get(System.getProperty("java.io.tmpdir"), "djl.ai-" + user)
                .toString();
        System.setProperty("DJL_CACHE_DIR", tmp);
        System.setProperty("ENGINE_CACHE_DIR", tmp);
    }

    private static boolean isSet(String name) {
        String env = System.getenv(name);
        return (env != null && !env.isBlank()) || System.getProperty(name) != null;
    }

    /** Whether {@code dir} is, or can be created as, a writable directory. */
    private static boolean writable(Path dir) {
        Path p = dir;
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        return p != null && Files.isDirectory(p) && Files.isWritable(p);
    }

    /** The directory DJL unpacks libtorch into, for messages. */
    static String cacheDir() {
        for (String name : new String[] {"ENGINE_CACHE_DIR", "DJL_CACHE_DIR"}) {
            String env = System.getenv(name);
            if (env != null && !env.isBlank()) {
                return env;
            }
            String prop = System.getProperty(name);
            if (prop != null) {
                return prop;
            }
        }
        return Paths.get(System.getProperty("user.home", "~"), ".djl.ai").toString();
    }

    /** A message for a failure to start the engine, naming the likely cause and the fix. */
    static String explain(Throwable e) {
        StringBuilder causes = new StringBuilder();
        for (Throwable t = e; t != null && causes.length() < 600; t = t.getCause()) {
            if (causes.length() > 0) {
                causes.append("; caused by ");
            }
            causes.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
            if (t.getCause() == t) {
                break;
            }
        }
        return "backend 'djl' could not start DJL's PyTorch engine (" + causes + "). It needs "
                + "ai.djl.pytorch:pytorch-jni and ai.djl.pytorch:pytorch-native-cpu (classifier linux-x86_64) "
                + "on the class path, since it runs offline (ai.djl.offline=true), and a writable native "
                + "cache directory (now " + cacheDir() + "; backend option " + CACHE_DIR + " changes it)";
    }

    /** Wraps a failure of {@link #engine} as the SPI's checked failure. */
    static BackendException failure(Throwable e) {
        return new BackendException(explain(e), e);
    }
}
