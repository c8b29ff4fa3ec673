package org.flows4j.backend.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendException;
import org.flows4j.api.backend.BackendInfo;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.BackendProvider;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The provider's description, its cheapness, and discovery on the class path. */
class ProviderTest {

    @Test
    void provider_is_named_nd4j_with_priority_20_and_describes_the_engine() {
        BackendProvider p = new Nd4jBackendProvider();
        assertEquals("nd4j", p.name());
        assertEquals(20, p.priority());
        assertTrue(p.isAvailable());
        assertTrue(p.description().contains("ND4J 1.0.0-M2.1"), p.description());
    }

    /**
     * Discovery must not load native code: the provider is loaded in a class loader of its own
     * (so nothing this JVM already initialized counts), asked everything discovery asks, and
     * that loader must never have loaded JavaCPP's loader or ND4J's native bindings.
     */
    @Test
    void discovery_calls_load_no_native_code() throws Exception {
        try (Isolated loader = new Isolated()) {
            Class<?> type = Class.forName(Nd4jBackendProvider.class.getName(), true, loader);
            Object provider = type.getConstructor().newInstance();
            assertEquals("nd4j", type.getMethod("name").invoke(provider));
            assertEquals(20, type.getMethod("priority").invoke(provider));
            assertEquals(true, type.getMethod("isAvailable").invoke(provider));
            assertNotNull(type.getMethod("description").invoke(provider));
            assertNotNull(loader.loaded(Nd4jBackendProvider.class.getName()), "the test really used its own loader");
            for (String touched : List.of(
                    "org.bytedeco.javacpp.Loader",
                    "org.nd4j.nativeblas.NativeOpsHolder",
                    "org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu",
                    "org.flows4j.backend.nd4j.Nd4jRuntime")) {
                assertNull(loader.loaded(touched), touched + " was loaded by discovery");
            }
        }
    }

    @Test
    void service_loader_and_backends_find_it_on_the_class_path() {
        List<String> names = ServiceLoader.load(BackendProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .map(BackendProvider::name)
                .collect(Collectors.toList());
        assertTrue(names.contains("nd4j"), names.toString());
        List<BackendInfo> listed = Backends.list();
        assertTrue(
                listed.stream().anyMatch(i -> i.name().equals("nd4j") && i.available() && i.priority() == 20),
                listed.toString());
    }

    @Test
    void the_services_file_names_the_provider() throws IOException {
        try (InputStream in =
                ProviderTest.class.getResourceAsStream("/META-INF/services/org.flows4j.api.backend.BackendProvider")) {
            assertNotNull(in, "META-INF/services file");
            String content = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(Nd4jBackendProvider.class.getName(), content.trim());
        }
    }

    @Test
    void backends_creates_it_by_name_with_the_requested_threads() {
        try (Backend b = Backends.create("nd4j", BackendOptions.defaults().withThreads(1))) {
            assertEquals("nd4j", b.name());
            assertEquals(1, b.options().threads());
            assertTrue(b.holdsNativeMemory());
            assertInstanceOf(Nd4jBackend.class, b);
            assertTrue(Nd4jRuntime.threads().startsWith("maxMasterThreads 1, blas 1,"), Nd4jRuntime.threads());
            assertEquals(6.0, Tensor.of(b, new double[] {1, 2, 3}, 3).sum().item());
        }
        try (Backend b = Backends.create("nd4j", BackendOptions.defaults().withThreads(2))) {
            // ND4J's pool has as many threads as the machine has cores; more cannot be asked for
            int expected = Math.min(2, Runtime.getRuntime().availableProcessors());
            assertTrue(
                    Nd4jRuntime.threads().startsWith("maxMasterThreads " + expected + ", blas " + expected + ","),
                    Nd4jRuntime.threads());
            assertEquals(3.0f, Tensor.of(b, new float[] {1, 2}, 2).sum().toFloatArray()[0]);
        }
    }

    @Test
    void another_device_is_refused_with_a_reason() {
        BackendException e = assertThrows(
                BackendException.class,
                () -> new Nd4jBackendProvider().create(BackendOptions.defaults().withDevice("cuda:0")));
        assertTrue(e.getMessage().contains("cuda:0") && e.getMessage().contains("cpu"), e.getMessage());
    }

    @Test
    void close_twice_and_free_of_anything_are_harmless() {
        Backend b = new Nd4jBackendProvider().create(BackendOptions.defaults());
        Tensor t = Tensor.zeros(b, DType.FLOAT32, 2, 2);
        t.free();
        t.free();
        b.free(null);
        b.close();
        b.close();
        assertFalse(b.toString().isEmpty());
    }

    @Test
    void nd4j_logs_nothing_below_a_warning() {
        org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger("org.nd4j.linalg.factory.Nd4jBackend");
        assertFalse(log.isInfoEnabled(), "ND4J's start-up messages would reach the terminal");
        assertTrue(log.isWarnEnabled());
    }

    /** Every class path entry again, parent-last: nothing in it is shared with the test's loader. */
    private static final class Isolated extends URLClassLoader {

        Isolated() throws MalformedURLException {
            super("isolated", urls(), ClassLoader.getPlatformClassLoader());
        }

        private static URL[] urls() throws MalformedURLException {
            List<URL> urls = new ArrayList<>();
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator, -1)) {
                if (!entry.isBlank()) {
                    urls.add(new File(entry).toURI().toURL());
                }
            }
            return urls.toArray(new URL[0]);
        }

        Class<?> loaded(String name) {
            return findLoadedClass(name);
        }
    }
}
