package org.flows4j.backend.djl;

import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendException;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.BackendProvider;

/**
 * Discovery descriptor of the DJL backend, named {@code djl} with priority 30: DJL 0.36 with
 * the PyTorch engine on the CPU (libtorch 2.7.1 from {@code pytorch-native-cpu}).
 *
 * <p>Constructing it, {@link #name}, {@link #priority} and {@link #isAvailable} touch no DJL
 * class beyond looking two of them up without initializing them, so discovery never loads
 * native code here. {@link #create} starts the engine, setting the system properties DJL reads
 * first where the user has not (offline mode, native cache directory, thread counts, log
 * levels), and turns every failure to do so into a {@link BackendException} that says what is
 * missing, so that discovery skips this backend with a warning.
 *
 * <p>Backend options: {@code threads} sets libtorch's intra-op thread count, which is
 * process-wide (the last backend created sets it); the property {@code djl.cacheDir} names the
 * directory where DJL unpacks the native libraries (read when the first backend starts libtorch).
 * The device must be {@code cpu}.
 */
public final class DjlBackendProvider implements BackendProvider {

    /** The name users select this backend by. */
    static final String NAME = "djl";

    /** The classes without which the backend cannot start: DJL's API and its PyTorch engine. */
    private static final String[] REQUIRED_CLASSES = {"ai.djl.engine.Engine", "ai.djl.pytorch.engine.PtEngineProvider"};

    /** For {@link java.util.ServiceLoader}. */
    public DjlBackendProvider() {}

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 30;
    }

    @Override
    public String description() {
        return "DJL 0.36 with PyTorch 2.7.1 (libtorch, CPU), float32 and float64";
    }

    /** Whether DJL's API and PyTorch engine classes can be found; neither is initialized. */
    @Override
    public boolean isAvailable() {
        return missingClass() == null;
    }

    private static String missingClass() {
        ClassLoader loader = loader();
        for (String name : REQUIRED_CLASSES) {
            try {
                Class.forName(name, false, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                return name;
            }
        }
        return null;
    }

    private static ClassLoader loader() {
        ClassLoader l = DjlBackendProvider.class.getClassLoader();
        return l != null ? l : ClassLoader.getSystemClassLoader();
    }

    /**
     * Starts DJL's PyTorch engine (the first call in a process unpacks and loads libtorch, which
     * takes seconds) and returns a backend with its own root memory manager.
     *
     * @throws BackendException when DJL or PyTorch is missing, the native library cannot be
     *     loaded, or the device is not {@code cpu}
     */
    @Override
    public Backend create(BackendOptions options) {
        if (!"cpu".equalsIgnoreCase(options.device())) {
            throw new BackendException(
                    "backend 'djl' runs on device 'cpu' only (pytorch-native-cpu), not '" + options.device() + "'");
        }
        String missing = missingClass();
        if (missing != null) {
            throw new BackendException("backend 'djl' needs DJL and its PyTorch engine on the class path "
                    + "(ai.djl:api, ai.djl.pytorch:pytorch-engine, pytorch-jni and pytorch-native-cpu): class "
                    + missing + " not found");
        }
        readDjl();
        try {
            return DjlBackend.start(options);
        } catch (BackendException e) {
            throw e;
        } catch (RuntimeException | LinkageError e) {
            throw new BackendException(NativeStart.explain(e), e);
        }
    }

    /**
     * When this backend runs as a named module, lets it read the modules that hold DJL: the
     * unnamed module of the class path, as usual, or DJL's automatic modules if an application
     * put them on the module path. Done before any class that links to DJL is loaded.
     */
    private void readDjl() {
        Module self = getClass().getModule();
        if (!self.isNamed()) {
            return;
        }
        ClassLoader loader = loader();
        self.addReads(loader.getUnnamedModule());
        for (String name : REQUIRED_CLASSES) {
            try {
                self.addReads(Class.forName(name, false, loader).getModule());
            } catch (ClassNotFoundException e) {
                throw new BackendException("backend 'djl': class " + name + " disappeared after discovery", e);
            }
        }
    }
}
