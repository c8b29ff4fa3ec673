package org.flows4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendException;
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

    @Test
    void the_convolution_register_option_sizes_the_blocks_and_keeps_the_gemm_plan() {
        assumeTrue(Kernels.vector().isPresent(), "the register blocks are the vector kernels'");
        for (String registers : new String[] {"16", "32"}) {
            BackendOptions options = BackendOptions.defaults().withProperty(Kernels.CONV_REGISTERS_PROPERTY, registers);
            try (Backend b = new CpuBackendProvider().create(options)) {
                Kernels k = ((CpuBackend) b).kernels();
                assertEquals(Integer.parseInt(registers), k.convRegisters(), k.description());
                assertEquals(Kernels.best().gemmF(), k.gemmF(), k.description());
                assertTrue(k.description().endsWith("blocks for " + registers + " registers"), k.description());
            }
        }
        int auto = VectorKernels.preferredBits() >= 512 ? 32 : 16;
        assertEquals(
                auto,
                Kernels.vector()
                        .orElseThrow()
                        .withConvRegisters("auto", "a test")
                        .convRegisters());
    }

    @Test
    void a_register_count_other_than_16_or_32_fails_and_says_what_it_takes() {
        BackendOptions options = BackendOptions.defaults().withProperty(Kernels.CONV_REGISTERS_PROPERTY, "24");
        BackendException e = assertThrows(BackendException.class, () -> new CpuBackendProvider().create(options));
        assertTrue(e.getMessage().contains(Kernels.CONV_REGISTERS_PROPERTY), e.getMessage());
        assertTrue(e.getMessage().contains("auto, 16 or 32, not '24'"), e.getMessage());
        // the scalar kernels have no blocks, but the same check
        assertThrows(IllegalArgumentException.class, () -> Kernels.SCALAR.withConvRegisters("8", "a test"));
        assertSame(Kernels.SCALAR, Kernels.SCALAR.withConvRegisters("32", "a test"));
    }

    @Test
    void the_pointwise_limit_takes_a_count_of_channel_pairs_or_fails_saying_so() {
        assertEquals(128 * 128, DirectConv.pointwiseLimit(null));
        assertEquals(128 * 128, DirectConv.pointwiseLimit(" "));
        assertEquals(0, DirectConv.pointwiseLimit("0"));
        assertEquals(4096, DirectConv.pointwiseLimit(" 4096 "));
        for (String bad : new String[] {"-1", "lots", "1.5"}) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> DirectConv.pointwiseLimit(bad));
            assertTrue(e.getMessage().contains(DirectConv.POINTWISE_PROPERTY), e.getMessage());
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
        // 1x1 convolutions: direct up to the limit, the GEMM past it; every other kernel direct
        assertTrue(DirectConv.applies(64, 64, 1, 1, 0, 0));
        assertFalse(DirectConv.applies(129, 128, 1, 1, 0, 0));
        assertTrue(DirectConv.applies(512, 512, 3, 3, 1, 1));
        assertTrue(DirectConv.applies(512, 512, 1, 1, 1, 1));
    }
}
