package org.flows4j.backend.cpu;

import static org.flows4j.api.internal.TensorAccess.storage;
import static org.flows4j.api.internal.TensorAccess.wrap;
import static org.flows4j.backend.cpu.Allclose.assertAllClose;
import static org.flows4j.backend.cpu.Allclose.iota;
import static org.flows4j.backend.cpu.Allclose.tensor;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.ReduceOp;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Sum, mean and max over sets of axes. The input is {@code x[i, j, k] = 12 i + 4 j + k} of
 * shape {@code [2, 3, 4]} (0 to 23), whose sums have closed forms given at each check.
 */
class ReductionTest {

    private static final double NAN = Double.NaN;
    private static final double NEG_INF = Double.NEGATIVE_INFINITY;

    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = new CpuBackendProvider().create(BackendOptions.defaults());
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static Tensor x(DType dtype) {
        return tensor(backend, dtype, iota(24), 2, 3, 4);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void two_outer_axes_with_and_without_keep_dims(DType dtype) {
        // sum over i, k of 12i + 4j + k = 4 * 12 + 8 * 4j + 2 * 6 = 60 + 32j
        assertAllClose(new double[] {60, 92, 124}, Shape.of(1, 3, 1), x(dtype).sum(true, 0, 2));
        assertAllClose(new double[] {60, 92, 124}, Shape.of(3), x(dtype).sum(0, 2));
        assertAllClose(new double[] {7.5, 11.5, 15.5}, Shape.of(1, 3, 1), x(dtype).mean(true, 0, 2));
        assertAllClose(new double[] {7.5, 11.5, 15.5}, Shape.of(3), x(dtype).mean(0, 2));
        // the largest is at i = 1, k = 3: 15 + 4j
        assertAllClose(new double[] {15, 19, 23}, Shape.of(1, 3, 1), x(dtype).max(true, 0, 2));
        assertAllClose(new double[] {15, 19, 23}, Shape.of(3), x(dtype).max(0, 2));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void single_axes_and_trailing_pairs(DType dtype) {
        // over j: 36i + 12 + 3k
        assertAllClose(new double[] {12, 15, 18, 21, 48, 51, 54, 57}, Shape.of(2, 4), x(dtype).sum(1));
        assertAllClose(new double[] {12, 15, 18, 21, 48, 51, 54, 57}, Shape.of(2, 1, 4), x(dtype).sum(true, 1));
        // over k: 48i + 16j + 6
        assertAllClose(new double[] {6, 22, 38, 54, 70, 86}, Shape.of(2, 3), x(dtype).sum(2));
        assertAllClose(new double[] {1.5, 5.5, 9.5, 13.5, 17.5, 21.5}, Shape.of(2, 3, 1), x(dtype).mean(true, 2));
        // over i: 12 + 8j + 2k
        assertAllClose(new double[] {12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34}, Shape.of(3, 4), x(dtype).sum(0));
        // over j and k: 144i + 66
        assertAllClose(new double[] {66, 210}, Shape.of(2), x(dtype).sum(1, 2));
        assertAllClose(new double[] {11, 23}, Shape.of(2, 1, 1), x(dtype).max(true, 1, 2));
        // mean over j and k: 12i + 4 + 1.5, negative axes allowed
        assertAllClose(new double[] {5.5, 17.5}, Shape.of(2), x(dtype).mean(-1, 1));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void every_axis_gives_a_scalar(DType dtype) {
        assertAllClose(new double[] {276}, Shape.scalar(), x(dtype).sum());
        assertAllClose(new double[] {11.5}, Shape.scalar(), x(dtype).mean());
        assertAllClose(new double[] {23}, Shape.scalar(), x(dtype).max());
        assertAllClose(new double[] {276}, Shape.of(1, 1, 1), x(dtype).sum(true, 0, 1, 2));
        assertAllClose(
                new double[] {5},
                Shape.scalar(),
                Tensor.scalar(backend, dtype, 5).sum());
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void no_axes_at_the_kernel_is_a_copy(DType dtype) {
        Tensor x = x(dtype);
        for (ReduceOp op : ReduceOp.values()) {
            Storage s = backend.reduce(op, storage(x), new int[0], false);
            assertNotSame(storage(x), s);
            assertAllClose(iota(24), Shape.of(2, 3, 4), wrap(backend, s));
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void an_empty_axis_gives_zero_nan_and_minus_infinity(DType dtype) {
        Tensor e = Tensor.zeros(backend, dtype, 2, 0);
        assertAllClose(new double[] {0, 0}, Shape.of(2), e.sum(1));
        assertAllClose(new double[] {NAN, NAN}, Shape.of(2), e.mean(1));
        assertAllClose(new double[] {NEG_INF, NEG_INF}, Shape.of(2, 1), e.max(true, 1));
        // reducing the non-empty axis of an empty tensor leaves an empty result
        assertAllClose(new double[0], Shape.of(0), e.sum(0));
        assertAllClose(new double[0], Shape.of(1, 0), e.max(true, 0));
        assertAllClose(new double[] {0}, Shape.scalar(), e.sum());
        assertAllClose(new double[] {NEG_INF}, Shape.scalar(), e.max());
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void nan_propagates_through_every_reduction(DType dtype) {
        Tensor v = tensor(backend, dtype, new double[] {1, NAN, 3, -1, -2, -3}, 2, 3);
        assertAllClose(new double[] {NAN, -1}, Shape.of(2), v.max(1));
        assertAllClose(new double[] {NAN, -6}, Shape.of(2), v.sum(1));
        assertAllClose(new double[] {NAN, -2}, Shape.of(2), v.mean(1));
        assertAllClose(new double[] {1, NAN, 3}, Shape.of(3), v.max(0));
        // NaN first or last in a run must both win
        assertAllClose(
                new double[] {NAN},
                Shape.scalar(),
                tensor(backend, dtype, new double[] {NAN, 5}, 2).max());
        assertAllClose(
                new double[] {NAN},
                Shape.scalar(),
                tensor(backend, dtype, new double[] {5, NAN}, 2).max());
        assertAllClose(
                new double[] {NEG_INF},
                Shape.scalar(),
                tensor(backend, dtype, new double[] {NEG_INF, NEG_INF}, 2).max());
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void float32_sums_accumulate_in_double(DType dtype) {
        // a float accumulator keeps 1e8 + 1 = 1e8 and returns 0 (see MatMulTest)
        Tensor v = tensor(backend, dtype, new double[] {1e8, 1, 1, 1, 1, -1e8}, 1, 6);
        assertAllClose(new double[] {4}, Shape.of(1), v.sum(1));
        assertAllClose(new double[] {4}, Shape.scalar(), v.sum());
    }
}
