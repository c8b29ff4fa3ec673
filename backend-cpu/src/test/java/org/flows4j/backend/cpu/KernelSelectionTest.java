package org.flows4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.junit.jupiter.api.Test;

/**
 * Which kernels a backend runs: the vector ones exactly when {@code jdk.incubator.vector} is in
 * the JVM (surefire adds it) and the scalar ones are not asked for; the option forces scalar.
 */
class KernelSelectionTest {

    @Test
    void vector_kernels_run_when_the_module_is_present() {
        boolean present = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        boolean forced = Boolean.getBoolean(Kernels.SCALAR_PROPERTY);
        assertEquals(
                present && !forced, Kernels.best().isVector(), Kernels.best().description());
        try (Backend b = new CpuBackendProvider().create(BackendOptions.defaults())) {
            assertTrue(b.toString().contains(Kernels.best().description()), b.toString());
        }
    }

    @Test
    void the_scalar_option_forces_the_scalar_kernels() {
        BackendOptions scalar = BackendOptions.defaults().withProperty(Kernels.SCALAR_PROPERTY, "true");
        try (Backend b = new CpuBackendProvider().create(scalar)) {
            assertSame(Kernels.SCALAR, ((CpuBackend) b).kernels());
        }
    }
}
