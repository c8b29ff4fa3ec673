package org.flows4j.backend.cpu;

import java.util.Arrays;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BinaryOp;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.backend.UnaryOp;
import org.flows4j.api.random.RandomSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fused SPI kernels of this backend ({@code linear}, {@code reluBackward},
 * {@code affineCoupling}) give the same bits as the primitives they replace, composed as the
 * SPI's defaults compose them, on the scalar and the vector kernels, in both dtypes, on sizes
 * that cross the thread split and the fused chunk, with NaN, infinities and signed zeros.
 */
class FusedKernelTest {

    private static double[] values(long seed, int n) {
        double[] v = RandomSource.seeded(seed).normal(n);
        // the awkward values, where a wrong formula or order would show
        double[] special = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0, 1e-30, -88, 89};
        for (int i = 0; i < special.length && i * 97 < n; i++) {
            v[i * 97] = special[i];
        }
        return v;
    }

    private static Storage of(Backend b, DType dtype, double[] v, int... dims) {
        return b.fromDoubles(v.clone(), Shape.of(dims), dtype);
    }

    private static void same(Backend b, Storage expected, Storage actual, String what) {
        double[] e = b.toDoubles(expected);
        double[] a = b.toDoubles(actual);
        for (int i = 0; i < e.length; i++) {
            if (Double.doubleToRawLongBits(e[i]) != Double.doubleToRawLongBits(a[i])
                    && !(Double.isNaN(e[i]) && Double.isNaN(a[i]))) {
                throw new AssertionError(what + ": element " + i + " is " + a[i] + ", composed " + e[i]);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void linear_equals_matmul_then_bias_then_activation(DType dtype) {
        // rows wider than the fused chunk, rows several to a chunk (64, 2, 3 columns: RealNVP's
        // layers), a width that does not divide the chunk, and enough narrow rows to be split
        // over the threads
        int[][] shapes = {
            {300, 70, 1000},
            {30, 7, Fused.CHUNK + 900},
            {513, 64, 64},
            {513, 64, 2},
            {77, 5, 3},
            {2 * Parallel.MIN_PARALLEL_ELEMENTS / 3 + 5, 3, 3}
        };
        for (Kernels kern : FastPaths.kernels()) {
            try (CpuBackend b = new CpuBackend(FastPaths.OPTIONS, kern)) {
                for (int[] s : shapes) {
                    int n = s[0];
                    int in = s[1];
                    int out = s[2];
                    Storage x = of(b, dtype, values(1, n * in), n, in);
                    Storage w = of(b, dtype, values(2, in * out), in, out);
                    Storage bias = of(b, dtype, values(3, out), out);
                    for (UnaryOp act : new UnaryOp[] {null, UnaryOp.RELU, UnaryOp.TANH, UnaryOp.SIGMOID}) {
                        for (Storage bb : Arrays.asList(bias, null)) {
                            Storage y = b.matmul(x, w, false, false);
                            if (bb != null) {
                                y = b.binary(BinaryOp.ADD, y, bb);
                            }
                            if (act != null) {
                                y = b.unary(act, y);
                            }
                            same(
                                    b,
                                    y,
                                    b.linear(x, w, bb, act),
                                    dtype + " " + Arrays.toString(s) + " " + act + " bias " + (bb != null) + " "
                                            + kern.description());
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void relu_backward_equals_gradient_times_sign(DType dtype) {
        for (Kernels kern : FastPaths.kernels()) {
            try (CpuBackend b = new CpuBackend(FastPaths.OPTIONS, kern)) {
                int size = 3 * Fused.CHUNK + 1000 + Parallel.MIN_PARALLEL_ELEMENTS;
                Storage g = of(b, dtype, values(4, size), size);
                Storage y = b.unary(UnaryOp.RELU, of(b, dtype, values(5, size), size));
                same(
                        b,
                        b.binary(BinaryOp.MUL, g, b.unary(UnaryOp.SIGN, y)),
                        b.reluBackward(g, y),
                        dtype + " " + kern.description());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void affine_coupling_equals_its_composition_both_ways(DType dtype) {
        for (Kernels kern : FastPaths.kernels()) {
            try (CpuBackend b = new CpuBackend(FastPaths.OPTIONS, kern)) {
                int half = Fused.CHUNK + 77 + Parallel.MIN_PARALLEL_ELEMENTS / 2;
                int size = 2 * half;
                Storage x = of(b, dtype, values(6, size), 2, half);
                Storage s = b.unary(UnaryOp.TANH, of(b, dtype, values(7, size), 2, half));
                Storage t = of(b, dtype, values(8, size), 2, half);
                Storage forward = b.binary(BinaryOp.ADD, b.binary(BinaryOp.MUL, x, b.unary(UnaryOp.EXP, s)), t);
                same(b, forward, b.affineCoupling(x, s, t, false), dtype + " forward " + kern.description());
                Storage inverse = b.binary(
                        BinaryOp.MUL, b.binary(BinaryOp.SUB, x, t), b.unary(UnaryOp.EXP, b.unary(UnaryOp.NEG, s)));
                same(b, inverse, b.affineCoupling(x, s, t, true), dtype + " inverse " + kern.description());
            }
        }
    }
}
