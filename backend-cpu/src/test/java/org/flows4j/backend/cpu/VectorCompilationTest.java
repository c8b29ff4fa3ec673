package org.flows4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.flows4j.api.backend.BinaryOp;
import org.flows4j.api.backend.CompareOp;
import org.flows4j.api.backend.UnaryOp;
import org.junit.jupiter.api.Test;

/**
 * The vector kernels, once C2 has compiled them, allocate nothing: a Vector API call that C2
 * fails to turn into instructions (an operator it cannot see, a vector passed to a method it
 * does not inline, a method past its node budget) boxes every vector on the heap, which runs
 * ten to thirty times slower and allocates megabytes per call. Measuring allocation catches
 * that where a timing could not, on a machine shared with other work.
 */
class VectorCompilationTest {

    /** Allocation per round (the allocation counter itself takes about 800 bytes); a boxed vector is 80 bytes and these kernels make thousands. */
    private static final long LIMIT = 8 * 1024;
    /**
     * Rounds to wait for C2: a round takes about half a millisecond and C2 is usually done after a
     * thousand, but on 2 busy cores its compile queue can lag far behind, and the loop stops at
     * the first clean round, so a generous bound costs nothing when compilation is prompt.
     */
    private static final int MAX_ROUNDS = 40_000;

    @Test
    void compiled_gemm_and_elementwise_kernels_allocate_nothing() throws ReflectiveOperationException {
        Kernels kern = Kernels.best();
        assumeTrue(kern.isVector(), "the Vector API is not in this JVM");
        assumeTrue(FastPaths.allocated() >= 0, "the JVM does not count allocated bytes per thread");
        // 200 columns: four full panels of 48 and a narrow one of 8, rows not a multiple of 4
        int m = 130;
        int n = 200;
        int k = 150;
        float[] a = new float[m * k];
        float[] b = new float[k * n];
        float[] c = new float[m * n];
        double[] ad = new double[m * k];
        double[] bd = new double[k * n];
        double[] cd = new double[m * n];
        float[] x = new float[4099];
        float[] y = new float[4099];
        float[] out = new float[4099];
        double[] xd = new double[4099];
        double[] yd = new double[4099];
        double[] outd = new double[4099];
        // C2 compiles in the background: measure every round until one is compiled throughout
        long bytes = Long.MAX_VALUE;
        for (int round = 0; round < MAX_ROUNDS && bytes >= LIMIT; round++) {
            long before = FastPaths.allocated();
            Gemm.packed(kern, Parallel.SERIAL, m, n, k, a, 0, k, false, b, 0, n, false, c, 0, n, round % 2 == 0);
            Gemm.packed(kern, Parallel.SERIAL, m, n, k, a, 0, m, true, b, 0, k, true, c, 0, n, true);
            Gemm.packed(kern, Parallel.SERIAL, m, n, k, ad, 0, k, false, bd, 0, n, false, cd, 0, n, round % 2 == 0);
            kern.unaryF(UnaryOp.RELU, x, 0, out, 0, x.length);
            kern.binaryF(BinaryOp.ADD, x, 0, 1, y, 0, 1, out, 0, x.length);
            kern.binaryF(BinaryOp.MUL, x, 0, 1, y, 0, 0, out, 0, x.length);
            kern.compareF(CompareOp.GT, x, 0, 1, y, 0, 1, out, 0, x.length);
            kern.whereF(x, y, out, out, 0, x.length);
            kern.binaryD(BinaryOp.SUB, xd, 0, 0, yd, 0, 1, outd, 0, xd.length);
            kern.unaryD(UnaryOp.SQRT, xd, 0, outd, 0, xd.length);
            bytes = FastPaths.allocated() - before;
        }
        assertTrue(bytes < LIMIT, "after " + MAX_ROUNDS + " rounds the vector kernels still allocate " + bytes
                + " bytes a round: some Vector API call is not intrinsified and boxes its vectors");
    }
}
