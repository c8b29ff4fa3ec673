package org.flows4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BinaryOp;
import org.flows4j.api.backend.CompareOp;
import org.flows4j.api.backend.ReduceOp;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.backend.UnaryOp;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The vector elementwise kernels give exactly the bits of the scalar ones (both use the same
 * IEEE operations), on odd sizes, every broadcast form, with NaN, infinities and signed zeros
 * mixed in, below and above the parallel threshold; reductions give the same bits on one
 * thread and several.
 */
class ElementwiseFastPathTest {

    /** 1, 7, 33, 1000 elements and one past the parallel threshold (so split over threads). */
    private static final int[] SIZES = {1, 7, 33, 1000, Parallel.MIN_PARALLEL_ELEMENTS + 13};

    /** Normal values with the special ones sprinkled in. */
    private static double[] values(long seed, int n) {
        double[] v = RandomSource.seeded(seed).normal(n);
        double[] special = {Double.NaN, 0.0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1.0, -1.0};
        for (int i = 0; i < n; i += 5) {
            v[i] = special[(i / 5) % special.length];
        }
        return v;
    }

    /** Runs {@code op} on a scalar-kernel backend and a fast one and checks the bits agree. */
    private static void assertSameBits(String what, java.util.function.Function<Backend, Storage> op) {
        double[] expected;
        double[] actual;
        try (Backend s = FastPaths.scalar();
                Backend f = FastPaths.fast()) {
            expected = s.toDoubles(op.apply(s));
            actual = f.toDoubles(op.apply(f));
        }
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            // NaN payloads may differ; every other value must match to the bit, zeros' signs included
            if (!(Double.isNaN(expected[i]) && Double.isNaN(actual[i]))
                    && Double.doubleToRawLongBits(expected[i]) != Double.doubleToRawLongBits(actual[i])) {
                assertEquals(expected[i], actual[i], what + ": element " + i);
                assertEquals(
                        Double.doubleToRawLongBits(expected[i]),
                        Double.doubleToRawLongBits(actual[i]),
                        what + ": sign of zero at element " + i);
            }
        }
    }

    private static Storage of(Backend b, DType dtype, double[] v, Shape shape) {
        return b.fromDoubles(v.clone(), shape, dtype);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void unary_ops_give_the_scalar_bits(DType dtype) {
        for (int n : SIZES) {
            double[] x = values(n, n);
            for (UnaryOp op : UnaryOp.values()) {
                assertSameBits(dtype.label() + " " + op + " n=" + n, b -> b.unary(op, of(b, dtype, x, Shape.of(n))));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void binary_ops_and_comparisons_on_every_broadcast_form_give_the_scalar_bits(DType dtype) {
        for (int n : SIZES) {
            double[] x = values(n, n);
            double[] y = values(n + 1, n);
            double[] one = {0.75};
            double[] row = values(3, 33);
            int rows = (n + 32) / 33;
            double[] matrix = values(4, rows * 33);
            for (BinaryOp op : BinaryOp.values()) {
                String w = dtype.label() + " " + op + " n=" + n;
                assertSameBits(
                        w + " same shape",
                        b -> b.binary(op, of(b, dtype, x, Shape.of(n)), of(b, dtype, y, Shape.of(n))));
                assertSameBits(
                        w + " scalar right",
                        b -> b.binary(op, of(b, dtype, x, Shape.of(n)), of(b, dtype, one, Shape.scalar())));
                assertSameBits(
                        w + " scalar left",
                        b -> b.binary(op, of(b, dtype, one, Shape.scalar()), of(b, dtype, x, Shape.of(n))));
                assertSameBits(
                        w + " row",
                        b -> b.binary(op, of(b, dtype, matrix, Shape.of(rows, 33)), of(b, dtype, row, Shape.of(33))));
                assertSameBits(
                        w + " column",
                        b -> b.binary(
                                op,
                                of(b, dtype, matrix, Shape.of(rows, 33)),
                                of(b, dtype, values(5, rows), Shape.of(rows, 1))));
            }
            for (CompareOp op : CompareOp.values()) {
                String w = dtype.label() + " " + op + " n=" + n;
                assertSameBits(
                        w + " same shape",
                        b -> b.compare(op, of(b, dtype, x, Shape.of(n)), of(b, dtype, y, Shape.of(n))));
                assertSameBits(
                        w + " scalar right",
                        b -> b.compare(op, of(b, dtype, x, Shape.of(n)), of(b, dtype, one, Shape.scalar())));
                assertSameBits(
                        w + " scalar left",
                        b -> b.compare(op, of(b, dtype, one, Shape.scalar()), of(b, dtype, x, Shape.of(n))));
                assertSameBits(
                        w + " row",
                        b -> b.compare(op, of(b, dtype, matrix, Shape.of(rows, 33)), of(b, dtype, row, Shape.of(33))));
            }
            assertSameBits(
                    dtype.label() + " where n=" + n,
                    b -> b.where(
                            of(b, dtype, x, Shape.of(n)),
                            of(b, dtype, y, Shape.of(n)),
                            of(b, dtype, one, Shape.scalar())));
        }
    }

    @Test
    void relu_keeps_nan_and_turns_minus_zero_into_zero_on_the_vector_path() {
        try (Backend f = FastPaths.fast()) {
            for (DType dtype : DType.values()) {
                double[] v = new double[40];
                v[3] = Double.NaN;
                v[5] = -0.0;
                v[6] = -2;
                v[7] = 3;
                double[] r = f.toDoubles(f.unary(UnaryOp.RELU, of(f, dtype, v, Shape.of(40))));
                assertEquals(Double.NaN, r[3]);
                assertEquals(0.0, r[5]);
                assertEquals(Double.doubleToRawLongBits(0.0), Double.doubleToRawLongBits(r[5]));
                assertEquals(0.0, r[6]);
                assertEquals(3.0, r[7]);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void reductions_give_the_same_bits_on_one_thread_and_several(DType dtype) {
        // a sum over the batch axis (columns), over the last axis (rows), everything (blocks), and two groups
        int[][] dims = {{300, 700}, {700, 300}, {200_001}, {30, 40, 50}};
        int[][][] axes = {{{0}}, {{1}}, {{0}}, {{0, 2}, {1}, {0, 1, 2}}};
        for (int c = 0; c < dims.length; c++) {
            Shape shape = Shape.of(dims[c]);
            double[] v = RandomSource.seeded(c).normal(shape.size());
            for (int[] ax : axes[c]) {
                for (ReduceOp op : ReduceOp.values()) {
                    List<double[]> results = new ArrayList<>();
                    for (int threads : new int[] {1, 2, 3}) {
                        try (Backend b = new CpuBackend(FastPaths.OPTIONS.withThreads(threads), Kernels.best())) {
                            results.add(b.toDoubles(b.reduce(op, of(b, dtype, v, shape), ax, false)));
                        }
                    }
                    assertArrayEquals(results.get(0), results.get(1), op + " " + shape);
                    assertArrayEquals(results.get(0), results.get(2), op + " " + shape);
                }
            }
        }
    }

    @Test
    void a_long_float32_sum_stays_within_double_rounding() {
        // 200001 values summed in double and rounded once: within one float ulp of the exact sum
        try (Backend b = FastPaths.fast()) {
            double[] v = RandomSource.seeded(9).normal(200_001);
            Tensor t = Tensor.of(b, DType.FLOAT32, v, Shape.of(v.length));
            double exact = 0;
            for (double x : t.toDoubleArray()) {
                exact += x;
            }
            double got = t.sum().item();
            assertEquals((float) exact, got, Math.ulp((float) exact));
        }
    }
}
