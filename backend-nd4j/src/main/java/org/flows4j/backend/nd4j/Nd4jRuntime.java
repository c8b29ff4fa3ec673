package org.flows4j.backend.nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import org.flows4j.api.backend.BackendException;
import org.flows4j.api.backend.BackendOptions;
import org.nd4j.linalg.factory.Environment;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * ND4J's process-wide state: the native library, loaded once, and the thread settings.
 *
 * <p>In nd4j-native 1.0.0-M2.1 the size of ND4J's pool ({@code maxThreads}) is fixed when the
 * library loads (the machine's cores, or {@code OMP_NUM_THREADS}, which cannot be changed once
 * the JVM runs) and {@code Environment.setMaxThreads} does nothing; what bounds an operation is
 * {@code maxMasterThreads} (at most the pool size), set per kernel by {@link #limitThreads},
 * and OpenBLAS's thread count, set from the options when a backend is created (the last
 * created instance decides it for all).
 *
 * <p>ND4J splits an elementwise operation over threads from 1024 elements on; waking another
 * thread costs more than that saves (and far more on a busy machine), so the thresholds are
 * raised to {@value #ELEMENTWISE_THRESHOLD} elements (the backend options
 * {@value #ELEMENTWISE_THRESHOLD_PROPERTY} and {@value #TAD_THRESHOLD_PROPERTY} override them).
 *
 * <p>Before the first load it sets, unless the user already did:
 * <ul>
 *   <li>{@code org.bytedeco.javacpp.cachedir}, where JavaCPP extracts the native libraries:
 *       the backend option or system property {@value #CACHE_DIR_PROPERTY}, else
 *       {@code ~/.cache/flows4j/javacpp} when the home directory is writable, else a directory
 *       under {@code java.io.tmpdir};</li>
 *   <li>{@code org.bytedeco.javacpp.logger=slf4j}, so JavaCPP's messages go where ND4J's do
 *       (SLF4J's simple logger, set to warnings by this jar's {@code simplelogger.properties}).</li>
 * </ul>
 * ND4J's periodic {@code System.gc()} is switched off: storages are freed explicitly.
 */
final class Nd4jRuntime {

    /** The backend option (or system property) naming the native-library cache directory. */
    static final String CACHE_DIR_PROPERTY = "flows4j.nd4j.cachedir";

    /** The backend option overriding the size below which an elementwise operation runs on one thread. */
    static final String ELEMENTWISE_THRESHOLD_PROPERTY = "flows4j.nd4j.elementwiseThreshold";

    /** The backend option overriding ND4J's threshold for splitting operations over sub-arrays. */
    static final String TAD_THRESHOLD_PROPERTY = "flows4j.nd4j.tadThreshold";

    /** Elements below which an operation stays on the calling thread (ND4J's default is 1024). */
    static final int ELEMENTWISE_THRESHOLD = 32_768;

    private static final String JAVACPP_CACHE_DIR = "org.bytedeco.javacpp.cachedir";
    private static final String JAVACPP_LOGGER = "org.bytedeco.javacpp.logger";

    private static boolean loaded;

    private Nd4jRuntime() {}

    /**
     * Loads ND4J on the first call, then applies the options' thresholds and OpenBLAS's thread
     * count; returns the number of threads one operation may use, {@code options.threads()}
     * capped at the size of ND4J's pool.
     */
    static synchronized int start(BackendOptions options) {
        if (!loaded) {
            if (System.getProperty(JAVACPP_CACHE_DIR) == null) {
                System.setProperty(JAVACPP_CACHE_DIR, cacheDir(options));
            }
            if (System.getProperty(JAVACPP_LOGGER) == null) {
                System.setProperty(JAVACPP_LOGGER, "slf4j");
            }
            // the first use of Nd4j runs its static initializer, which loads the native library
            Nd4j.getBackend();
            Nd4j.getMemoryManager().togglePeriodicGc(false);
            loaded = true;
        }
        Environment env = Nd4j.getEnvironment();
        int threads = Math.max(1, Math.min(options.threads(), env.maxThreads()));
        env.setMaxMasterThreads(threads);
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
        env.setElementwiseThreshold(intProperty(options, ELEMENTWISE_THRESHOLD_PROPERTY, ELEMENTWISE_THRESHOLD));
        env.setTadThreshold(intProperty(options, TAD_THRESHOLD_PROPERTY, ELEMENTWISE_THRESHOLD));
        return threads;
    }

    /**
     * Lets the next operation use {@code threads} threads. ND4J keeps this limit globally and
     * reads it whenever an operation splits work, so the backend sets it before every kernel:
     * 1 for small work, its own count for large work (see {@link Nd4jBackend}). Another thread
     * setting it meanwhile changes only how many threads an operation uses, never its result.
     */
    static void limitThreads(int threads) {
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
    }

    private static int intProperty(BackendOptions options, String key, int fallback) {
        String value = options.property(key, null);
        if (value == null) {
            return fallback;
        }
        try {
            int v = Integer.parseInt(value.trim());
            if (v >= 1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below, with the value
        }
        throw new BackendException("nd4j: option " + key + " must be a positive integer, got '" + value + "'");
    }

    /** The current thread settings, for tests and diagnostics. */
    static synchronized String threads() {
        Environment env = Nd4j.getEnvironment();
        return "maxMasterThreads " + env.maxMasterThreads() + ", blas "
                + Nd4j.factory().blas().getMaxThreads()
                + ", maxThreads " + env.maxThreads() + ", elementwiseThreshold " + env.elementwiseThreshold()
                + ", tadThreshold " + env.tadThreshold();
    }

    private static String cacheDir(BackendOptions options) {
        String chosen = options.property(CACHE_DIR_PROPERTY, System.getProperty(CACHE_DIR_PROPERTY));
        if (chosen != null && !chosen.isBlank()) {
            return chosen;
        }
        String home = System.getProperty("user.home");
        if (home != null && !home.isBlank() && Files.isWritable(Path.of(home))) {
            return Path.of(home, ".cache", "flows4j", "javacpp").toString();
        }
        String user = System.getProperty("user.name", "user");
        return Path.of(System.getProperty("java.io.tmpdir"), "flows4j-javacpp-" + user)
                .toString();
    }
}
