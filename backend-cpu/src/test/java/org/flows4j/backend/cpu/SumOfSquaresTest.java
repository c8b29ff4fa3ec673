package org.flows4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.random.RandomSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The one-pass sum of squares that clipping reads every gradient with, on both kinds of kernels:
 * each square rounded to the dtype, the sum within the bound of a sum of that many terms of the
 * exact one, whatever the seams of lanes, runs and blocks; and the same bits on one thread as on
 * two, since the blocks are fixed and added in order.
 */
class SumOfSquaresTest {

    /** Sizes at every seam: a lane's tail, a run of 64 vectors, one block of 65,536 and past it. */
    private static final int[] SIZES = {
        0,
        1,
        15,
        17,
        1023,
        1025,
        1041,
        CpuBackend.SQUARES_BLOCK,
        CpuBackend.SQUARES_BLOCK + 3,
        3 * CpuBackend.SQUARES_BLOCK + 1001
    };

    private static double[] values(int n, DType dtype) {
        double[] x = RandomSource.seeded(n).normal(n);
        for (int i = 0; i < n; i++) {
            x[i] = dtype == DType.FLOAT32 ? (float) (x[i] * 3) : x[i] * 3;
        }
        return x;
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void sums_every_square_once_within_the_bound_of_a_sum(DType dtype) {
        for (Kernels kern : FastPaths.kernels()) {
            try (CpuBackend b = new CpuBackend(FastPaths.OPTIONS, kern)) {
                for (int n : SIZES) {
                    double[] x = values(n, dtype);
                    double exact = 0;
                    for (double v : x) {
                        exact += dtype == DType.FLOAT32 ? (double) ((float) v * (float) v) : v * v;
                    }
                    Storage s = b.fromDoubles(x, Shape.of(n), dtype);
                    double got = b.sumOfSquares(s);
                    b.free(s);
                    String what = dtype.label() + " n=" + n + " " + kern.description();
                    // the terms are positive: the sum bounds its own error; a lane adds 64 squares
                    // before it widens, and 16 lanes are added in float, so k = 80 is the bound
                    double bound = (80 + 8) * 2 * FastPaths.unit(dtype) * exact;
                    assertEquals(exact, got, bound, what);
                    assertTrue(n > 0 || got == 0, what);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void one_thread_and_two_give_the_same_bits(DType dtype) {
        int n = 5 * CpuBackend.SQUARES_BLOCK + 77;
        double[] x = values(n, dtype);
        try (CpuBackend one = new CpuBackend(BackendOptions.defaults().withThreads(1), Kernels.best());
                CpuBackend two = new CpuBackend(FastPaths.OPTIONS, Kernels.best())) {
            Storage a = one.fromDoubles(x, Shape.of(n), dtype);
            Storage b = two.fromDoubles(x, Shape.of(n), dtype);
            assertEquals(Double.doubleToLongBits(one.sumOfSquares(a)), Double.doubleToLongBits(two.sumOfSquares(b)));
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void a_vector_run_allocates_nothing_once_compiled(DType dtype) throws Exception {
        assumeTrue(FastPaths.allocated() >= 0, "the JVM does not count allocated bytes per thread");
        try (CpuBackend b = new CpuBackend(BackendOptions.defaults().withThreads(1), Kernels.best())) {
            Storage s = b.fromDoubles(values(1 << 16, dtype), Shape.of(1 << 16), dtype);
            long bytes = FastPaths.leastAllocationOnceCompiled(() -> b.sumOfSquares(s), 300, 4 * 1024, 20);
            assertTrue(bytes < 4 * 1024, dtype.label() + ": a sum allocated " + bytes + " bytes");
        }
    }
}
