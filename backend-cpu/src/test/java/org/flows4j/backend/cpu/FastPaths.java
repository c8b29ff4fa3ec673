package org.flows4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.testing.Tolerance;

/**
 * What the fast-path tests share: a backend on the scalar kernels and one on the best kernels
 * (the vector ones, since surefire starts the JVM with {@code --add-modules
 * jdk.incubator.vector}), and the error bound of a sum.
 *
 * <p>Tolerance of an accumulated result. A sum of {@code k} products computed in any order,
 * with or without fused multiply-adds, is within {@code gamma_k sum |a_i b_i|} of the exact
 * sum, {@code gamma_k ~ k u} with {@code u = 2^-24} (float32) or {@code 2^-53} (float64)
 * (Higham, Accuracy and Stability of Numerical Algorithms, 3.1). The checks allow
 * {@code (k + 8) 2u sum |a_i b_i|}: twice the bound plus a few roundings of the final additions,
 * and nothing more; an indexing error is of the size of the terms and fails by orders of magnitude.
 */
final class FastPaths {

    private FastPaths() {}

    /** Two threads, so that kernels above the thresholds really split. */
    static final BackendOptions OPTIONS = BackendOptions.defaults().withThreads(2);

    /** A backend on the scalar kernels. */
    static CpuBackend scalar() {
        return new CpuBackend(OPTIONS, Kernels.SCALAR);
    }

    /** A backend on the best kernels of this JVM. */
    static CpuBackend fast() {
        return new CpuBackend(OPTIONS, Kernels.best());
    }

    /** Both kinds of kernels. */
    static List<Kernels> kernels() {
        return List.of(Kernels.SCALAR, Kernels.best());
    }

    /** The unit roundoff of a dtype. */
    static double unit(DType dtype) {
        return dtype == DType.FLOAT32 ? 0x1p-24 : 0x1p-53;
    }

    /**
     * The fewest bytes one call of {@code op} allocated once the JIT had compiled it: the call is
     * warmed {@code warmup} times, then measured until one call allocates under {@code bound} or
     * {@code seconds} have passed. C2 compiles in the background and may take long on a loaded
     * machine; until it does, the Vector API boxes every vector it makes, so a fixed warm-up
     * count alone passes or fails by the machine's load. A path that always allocates still fails:
     * no call ever gets under the bound.
     */
    static long leastAllocationOnceCompiled(Runnable op, int warmup, long bound, int seconds)
            throws ReflectiveOperationException {
        for (int i = 0; i < warmup; i++) {
            op.run();
        }
        long least = Long.MAX_VALUE;
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        do {
            long start = allocated();
            op.run();
            least = Math.min(least, allocated() - start);
        } while (least >= bound && System.nanoTime() < deadline);
        return least;
    }

    /** Bytes allocated by this thread so far, through com.sun.management when present, else -1. */
    static long allocated() throws ReflectiveOperationException {
        try {
            Object bean = Class.forName("java.lang.management.ManagementFactory")
                    .getMethod("getThreadMXBean")
                    .invoke(null);
            return (Long) Class.forName("com.sun.management.ThreadMXBean")
                    .getMethod("getCurrentThreadAllocatedBytes")
                    .invoke(bean);
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            return -1;
        }
    }

    /** Checks {@code |actual - exact| <= (k + 8) 2u scale + tiny} element by element. */
    static void assertWithinSumBound(double[] exact, double[] scale, double[] actual, int k, DType dtype, String what) {
        if (exact.length != actual.length) {
            fail(what + ": " + actual.length + " elements, expected " + exact.length);
        }
        double factor = (k + 8) * 2 * unit(dtype);
        new Tolerance(factor, Double.MIN_NORMAL, "(k + 8) 2u of the sum of the absolute terms, k = " + k)
                .assertAllclose(what, actual, exact, scale);
    }
}
