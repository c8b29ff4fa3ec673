package org.flows4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendInfo;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.BackendProvider;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The provider's description and its discovery through ServiceLoader and {@link Backends}. */
class ProviderTest {

    @Test
    void provider_is_a_cheap_descriptor_named_cpu_with_priority_10() {
        BackendProvider p = new CpuBackendProvider();
        assertEquals("cpu", p.name());
        assertEquals(10, p.priority());
        assertTrue(p.isAvailable());
        assertTrue(p.description().contains("float32") && p.description().contains("float64"), p.description());
    }

    @Test
    void service_loader_finds_the_provider() {
        // the tests run inside the module, which provides the service but does not declare
        // `uses` (it never looks providers up itself); a module may add that to itself at run time
        ProviderTest.class.getModule().addUses(BackendProvider.class);
        List<String> names = ServiceLoader.load(BackendProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .map(BackendProvider::name)
                .collect(Collectors.toList());
        assertTrue(names.contains("cpu"), names.toString());
        List<BackendInfo> listed = Backends.list();
        assertTrue(
                listed.stream().anyMatch(i -> i.name().equals("cpu") && i.available() && i.priority() == 10),
                listed.toString());
    }

    @Test
    void class_path_users_find_the_same_provider() throws IOException {
        try (InputStream in =
                ProviderTest.class.getResourceAsStream("/META-INF/services/org.flows4j.api.backend.BackendProvider")) {
            assertNotNull(in, "META-INF/services file");
            String content = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(CpuBackendProvider.class.getName(), content.trim());
        }
    }

    @Test
    void backends_creates_cpu_by_name() {
        try (Backend b = Backends.create("cpu", BackendOptions.defaults().withThreads(2))) {
            assertEquals("cpu", b.name());
            assertEquals(2, b.options().threads());
            assertFalse(b.holdsNativeMemory());
            assertInstanceOf(CpuBackend.class, b);
            assertEquals(6.0, Tensor.of(b, new double[] {1, 2, 3}, 3).sum().item());
        }
        try (Backend b = Backends.create("cpu")) {
            assertEquals(3.0f, Tensor.of(b, new float[] {1, 2}, 2).sum().toFloatArray()[0]);
        }
    }

    @Test
    void close_twice_and_free_of_anything_are_harmless() {
        Backend b = new CpuBackendProvider().create(BackendOptions.defaults());
        Tensor t = Tensor.zeros(b, DType.FLOAT32, 2, 2);
        t.free();
        t.free();
        b.free(null);
        b.close();
        b.close();
        // a closed backend still computes, on the calling thread
        assertEquals(4.0, Tensor.ones(b, DType.FLOAT64, 2, 2).sum().item());
    }
}
