package org.flows4j.backend.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.flows4j.api.backend.BackendException;
import org.flows4j.api.backend.BackendInfo;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.BackendProvider;
import org.flows4j.api.backend.Backends;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The provider as discovery sees it, without starting libtorch. Surefire runs this class twice:
 * on the module path (found through module-info's {@code provides}) and on the class path
 * (found through {@code META-INF/services}), the second time alone in its JVM.
 */
class ProviderTest {

    @Test
    void provider_is_named_djl_with_priority_30() {
        BackendProvider p = new DjlBackendProvider();
        assertEquals("djl", p.name());
        assertEquals(30, p.priority());
        assertTrue(p.description().contains("PyTorch") && p.description().contains("float64"), p.description());
    }

    @Test
    void is_available_finds_the_classes_without_loading_libtorch() throws IOException {
        // libtorch mapped before means another test in this JVM started it: nothing to observe then
        Assumptions.assumeFalse(libtorchLoaded(), "libtorch was already loaded by an earlier test in this JVM");
        assertTrue(new DjlBackendProvider().isAvailable());
        List<BackendInfo> listed = Backends.list();
        assertTrue(
                listed.stream().anyMatch(i -> i.name().equals("djl") && i.available() && i.priority() == 30),
                listed.toString());
        assertFalse(libtorchLoaded(), "isAvailable or discovery loaded libtorch");
    }

    /** Whether libtorch's shared object is mapped into this process (Linux). */
    private static boolean libtorchLoaded() throws IOException {
        Path maps = Path.of("/proc/self/maps");
        Assumptions.assumeTrue(Files.isReadable(maps), "no /proc/self/maps on this system");
        return Files.readString(maps).contains("libtorch_cpu");
    }

    @Test
    void service_loader_finds_the_provider() {
        // inside the module the tests run in a module that provides the service without `uses`
        ProviderTest.class.getModule().addUses(BackendProvider.class);
        List<String> names = ServiceLoader.load(BackendProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .map(BackendProvider::name)
                .collect(Collectors.toList());
        assertTrue(names.contains("djl"), names.toString());
    }

    @Test
    void class_path_users_find_the_same_provider() throws IOException {
        try (InputStream in =
                ProviderTest.class.getResourceAsStream("/META-INF/services/org.flows4j.api.backend.BackendProvider")) {
            assertNotNull(in, "META-INF/services file");
            String content = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(DjlBackendProvider.class.getName(), content.trim());
        }
    }

    @Test
    void a_device_other_than_cpu_is_refused_with_an_explanation() {
        BackendException e = assertThrows(
                BackendException.class,
                () -> new DjlBackendProvider().create(BackendOptions.defaults().withDevice("cuda")));
        assertTrue(e.getMessage().contains("cpu") && e.getMessage().contains("cuda"), e.getMessage());
    }

    @Test
    void a_failure_to_start_is_explained() {
        String m = NativeStart.explain(new UnsatisfiedLinkError("no djl_torch in java.library.path"));
        assertTrue(
                m.contains("djl")
                        && m.contains("pytorch-native-cpu")
                        && m.contains("UnsatisfiedLinkError")
                        && m.contains(NativeStart.CACHE_DIR),
                m);
    }
}
