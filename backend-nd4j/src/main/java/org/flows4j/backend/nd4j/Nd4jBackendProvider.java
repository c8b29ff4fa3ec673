package org.flows4j.backend.nd4j;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendException;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.BackendProvider;

/**
 * Discovery descriptor of the ND4J backend, named {@code nd4j} with priority 20. Constructing
 * it and calling {@link #name}, {@link #priority}, {@link #description} and {@link #isAvailable}
 * load no ND4J class and no native code (they look classes and resources up without
 * initializing them); {@link #create} loads ND4J and its native library.
 *
 * <p>Options: {@code threads} bounds the threads one ND4J operation uses (ND4J's pool, OpenMP
 * and OpenBLAS; at most the machine's cores, the size of ND4J's pool); {@code device} must be
 * {@code cpu}; the property {@value Nd4jRuntime#CACHE_DIR_PROPERTY} names the directory the
 * native libraries are extracted to (see {@link Nd4jRuntime}).
 */
public final class Nd4jBackendProvider implements BackendProvider {

    /** The name users select this backend by. */
    static final String NAME = "nd4j";

    /** ND4J's entry point, from nd4j-api. */
    private static final String ND4J_CLASS = "org.nd4j.linalg.factory.Nd4j";

    /** ND4J's CPU backend, from nd4j-native: without it ND4J has nothing to run on. */
    private static final String CPU_BACKEND_CLASS = "org.nd4j.linalg.cpu.nativecpu.CpuBackend";

    /** For {@link java.util.ServiceLoader}. */
    public Nd4jBackendProvider() {}

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 20;
    }

    /** The engine and the nd4j-native version on the class path (from its Maven metadata: no class is loaded). */
    @Override
    public String description() {
        return "ND4J " + nd4jVersion() + " (nd4j-native, CPU with OpenBLAS), float32 and float64";
    }

    /** Whether ND4J's classes and its CPU backend are present; neither is initialized, so no native code loads. */
    @Override
    public boolean isAvailable() {
        return present(ND4J_CLASS) && present(CPU_BACKEND_CLASS);
    }

    /**
     * Loads ND4J and its native library, then makes a backend with {@code options.threads()}
     * compute threads.
     *
     * @throws BackendException when ND4J is missing, the device is not {@code cpu}, or the native
     *     library cannot load (for example the {@code linux-x86_64} classifier jar is absent)
     */
    @Override
    public Backend create(BackendOptions options) {
        if (!"cpu".equalsIgnoreCase(options.device())) {
            throw new BackendException("nd4j: device '" + options.device()
                    + "' is not supported; this backend runs on the cpu (nd4j-native)");
        }
        Class<?> nd4j;
        try {
            nd4j = Class.forName(ND4J_CLASS, false, loader());
            Class.forName(CPU_BACKEND_CLASS, false, loader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new BackendException(
                    "nd4j: ND4J is not on the class path (add org.nd4j:nd4j-native and its "
                            + "linux-x86_64 classifier jar): " + e,
                    e);
        }
        // ND4J lives on the class path (its module descriptors do not resolve), and a named module
        // reads the unnamed module only when told to. This must happen before any ND4J class is
        // linked from this module's code, that is before Nd4jRuntime and Nd4jBackend are used.
        Module self = Nd4jBackendProvider.class.getModule();
        if (self.isNamed()) {
            self.addReads(nd4j.getModule());
        }
        try {
            return new Nd4jBackend(options, Nd4jRuntime.start(options));
        } catch (BackendException e) {
            throw e;
        } catch (LinkageError | RuntimeException e) {
            // UnsatisfiedLinkError (no native library for this platform), ExceptionInInitializerError
            // and NoClassDefFoundError (ND4J's static initialization failed, now or earlier), or
            // ND4J's own "no backend" runtime exceptions
            throw new BackendException(
                    "nd4j: ND4J or its native library could not be loaded (nd4j-native "
                            + nd4jVersion() + " needs its linux-x86_64 classifier jar and a 64-bit Linux on x86): "
                            + describe(e),
                    e);
        }
    }

    private static String describe(Throwable e) {
        StringBuilder b = new StringBuilder(String.valueOf(e));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            b.append("; caused by ").append(c);
        }
        return b.toString();
    }

    private static ClassLoader loader() {
        ClassLoader l = Nd4jBackendProvider.class.getClassLoader();
        return l != null ? l : ClassLoader.getSystemClassLoader();
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, loader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static String nd4jVersion() {
        try (InputStream in = loader().getResourceAsStream("META-INF/maven/org.nd4j/nd4j-native/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version", "(unknown version)");
            }
        } catch (IOException | IllegalArgumentException e) {
            // a listing line only: an unreadable version is not worth failing discovery over
        }
        return "(unknown version)";
    }
}
