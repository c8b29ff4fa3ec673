package org.flows4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.AdamStep;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.random.RandomSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fused in-place Adam update against the SPI's composed default ({@code Backend.super.adamUpdate},
 * reached through a proxy that forwards every other kernel to the cpu backend), for both
 * kinds of kernels: the same values (the fused update takes the same rounded operations, so
 * within 1e-6 relative in float32 and 1e-12 in float64 is generous), the same three storages
 * back, and no allocation beyond a few small objects.
 */
class AdamUpdateTest {

    /** A backend whose adamUpdate is the interface default, composed of {@code target}'s primitives. */
    private static Backend composed(Backend target) {
        InvocationHandler h = (proxy, method, args) -> {
            if (method.getName().equals("adamUpdate")) {
                return InvocationHandler.invokeDefault(proxy, method, args);
            }
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, h);
    }

    private static final int[] SIZES = {1, 7, 33, 1000, Parallel.MIN_PARALLEL_ELEMENTS + 5};

    @ParameterizedTest
    @EnumSource(DType.class)
    void fused_update_is_in_place_and_equals_the_composed_default(DType dtype) {
        double rtol = dtype == DType.FLOAT32 ? 1e-6 : 1e-12;
        for (Kernels kern : FastPaths.kernels()) {
            try (Backend b = new CpuBackend(FastPaths.OPTIONS, kern)) {
                Backend reference = composed(b);
                for (int n : SIZES) {
                    for (double[] decayAndScale : new double[][] {{0, 1}, {0.01, 1}, {0, 0.37}, {0.01, 0.37}}) {
                        double decay = decayAndScale[0];
                        double gradScale = decayAndScale[1];
                        RandomSource rng = RandomSource.seeded(n);
                        Shape shape = Shape.of(n);
                        Storage p = b.fromDoubles(rng.normal(n), shape, dtype);
                        Storage m = b.full(shape, dtype, 0);
                        Storage v = b.full(shape, dtype, 0);
                        Storage rp = b.cast(p, dtype);
                        Storage rm = b.cast(m, dtype);
                        Storage rv = b.cast(v, dtype);
                        for (int t = 1; t <= 3; t++) {
                            Storage g = b.fromDoubles(rng.normal(n), shape, dtype);
                            AdamStep step = new AdamStep(1e-3, 0.9, 0.999, 1e-8, decay, t, gradScale);
                            Storage[] fused = b.adamUpdate(p, g, m, v, step);
                            assertSame(p, fused[0]);
                            assertSame(m, fused[1]);
                            assertSame(v, fused[2]);
                            Storage[] r = reference.adamUpdate(rp, g, rm, rv, step);
                            rp = r[0];
                            rm = r[1];
                            rv = r[2];
                            String what = dtype.label() + " n=" + n + " decay=" + decay + " scale=" + gradScale
                                    + " step " + t + " "
                                    + kern.description();
                            Allclose.assertAllClose(b.toDoubles(rp), b.toDoubles(p), rtol, 0, what + " param");
                            Allclose.assertAllClose(b.toDoubles(rm), b.toDoubles(m), rtol, 0, what + " m");
                            Allclose.assertAllClose(b.toDoubles(rv), b.toDoubles(v), rtol, 0, what + " v");
                        }
                    }
                }
            }
        }
    }

    @Test
    void a_compiled_step_over_a_quarter_million_parameters_allocates_almost_nothing() throws Exception {
        long[] before = {FastPaths.allocated()};
        assumeTrue(before[0] >= 0, "the JVM does not count allocated bytes per thread");
        int n = 1 << 18;
        for (DType dtype : DType.values()) {
            try (Backend b = FastPaths.fast()) {
                Shape shape = Shape.of(n);
                Storage p = b.full(shape, dtype, 1);
                Storage g = b.full(shape, dtype, 0.5);
                Storage m = b.full(shape, dtype, 0);
                Storage v = b.full(shape, dtype, 0);
                int[] t = {0};
                long bytes = FastPaths.leastAllocationOnceCompiled(
                        () -> b.adamUpdate(p, g, m, v, new AdamStep(1e-3, 0.9, 0.999, 1e-8, 0, ++t[0])),
                        200,
                        16 * 1024,
                        20);
                // one copy of the parameter would be 1 or 2 MiB; the step makes a few small objects
                assertTrue(bytes < 16 * 1024, dtype.label() + ": the step allocated " + bytes + " bytes");
            }
        }
    }
}
