package org.flows4j.backend.cpu;

import static org.flows4j.backend.cpu.Allclose.assertAllClose;
import static org.flows4j.backend.cpu.Allclose.tensor;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Matrix products: rank 2 and batched rank 3, the four transpose combinations, k = 0, NaN. */
class MatMulTest {

    private static final double NAN = Double.NaN;

    // A [2, 3] and B [3, 4], and their product worked by hand:
    // row 0: [1+0+9, 0+2-6, 2+2+0, -1+4+3], row 1: [4+0+18, 0+5-12, 8+5+0, -4+10+6]
    private static final double[] A = {1, 2, 3, 4, 5, 6};
    private static final double[] B = {1, 0, 2, -1, 0, 1, 1, 2, 3, -2, 0, 1};
    private static final double[] AB = {10, -4, 4, 6, 22, -7, 13, 12};

    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = new CpuBackendProvider().create(BackendOptions.defaults());
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    /** The transpose of each {@code rows x cols} matrix of a batch, written out in the test. */
    static double[] transposed(double[] v, int batch, int rows, int cols) {
        double[] t = new double[v.length];
        for (int b = 0; b < batch; b++) {
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    t[b * rows * cols + c * rows + r] = v[b * rows * cols + r * cols + c];
                }
            }
        }
        return t;
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void all_four_transpose_combinations_give_the_same_product(DType dtype) {
        Tensor a = tensor(backend, dtype, A, 2, 3);
        Tensor at = tensor(backend, dtype, transposed(A, 1, 2, 3), 3, 2);
        Tensor b = tensor(backend, dtype, B, 3, 4);
        Tensor bt = tensor(backend, dtype, transposed(B, 1, 3, 4), 4, 3);
        assertAllClose(AB, Shape.of(2, 4), a.matmul(b));
        assertAllClose(AB, Shape.of(2, 4), at.matmul(b, true, false));
        assertAllClose(AB, Shape.of(2, 4), a.matmul(bt, false, true));
        assertAllClose(AB, Shape.of(2, 4), at.matmul(bt, true, true));
        // (AB)^T = B^T A^T
        assertAllClose(transposed(AB, 1, 2, 4), Shape.of(4, 2), b.matmul(a, true, true));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void batched_products_use_each_batchs_own_matrices(DType dtype) {
        // batch 0: [[1,2,3],[4,5,6]] [[1,0],[0,1],[1,1]] = [[4,5],[10,11]]
        // batch 1: [[1,0,-1],[2,1,0]] [[2,1],[3,4],[5,6]] = [[-3,-5],[7,6]]
        double[] a = {1, 2, 3, 4, 5, 6, 1, 0, -1, 2, 1, 0};
        double[] b = {1, 0, 0, 1, 1, 1, 2, 1, 3, 4, 5, 6};
        double[] ab = {4, 5, 10, 11, -3, -5, 7, 6};
        Tensor ta = tensor(backend, dtype, a, 2, 2, 3);
        Tensor tb = tensor(backend, dtype, b, 2, 3, 2);
        Tensor tat = tensor(backend, dtype, transposed(a, 2, 2, 3), 2, 3, 2);
        Tensor tbt = tensor(backend, dtype, transposed(b, 2, 3, 2), 2, 2, 3);
        assertAllClose(ab, Shape.of(2, 2, 2), ta.matmul(tb));
        assertAllClose(ab, Shape.of(2, 2, 2), tat.matmul(tb, true, false));
        assertAllClose(ab, Shape.of(2, 2, 2), ta.matmul(tbt, false, true));
        assertAllClose(ab, Shape.of(2, 2, 2), tat.matmul(tbt, true, true));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void zero_inner_dimension_gives_zeros_and_empty_outer_gives_empty(DType dtype) {
        assertAllClose(
                new double[6],
                Shape.of(2, 3),
                Tensor.zeros(backend, dtype, 2, 0).matmul(Tensor.zeros(backend, dtype, 0, 3)));
        assertAllClose(
                new double[12],
                Shape.of(2, 2, 3),
                Tensor.zeros(backend, dtype, 2, 2, 0).matmul(Tensor.zeros(backend, dtype, 2, 0, 3)));
        assertAllClose(
                new double[6],
                Shape.of(2, 3),
                Tensor.zeros(backend, dtype, 0, 2).matmul(Tensor.zeros(backend, dtype, 3, 0), true, true));
        assertAllClose(
                new double[0],
                Shape.of(0, 2),
                Tensor.zeros(backend, dtype, 0, 3).matmul(tensor(backend, dtype, A, 3, 2)));
        assertAllClose(
                new double[0],
                Shape.of(0, 2, 4),
                Tensor.zeros(backend, dtype, 0, 2, 3).matmul(Tensor.zeros(backend, dtype, 0, 3, 4)));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void nan_and_infinity_reach_every_product_they_touch(DType dtype) {
        // 0 * NaN and 0 * inf are NaN: a zero factor must not be skipped
        Tensor a = tensor(backend, dtype, new double[] {NAN, 1, 0, 1}, 2, 2);
        Tensor b = tensor(backend, dtype, new double[] {0, 0, 1, Double.POSITIVE_INFINITY}, 2, 2);
        assertAllClose(new double[] {NAN, NAN, 1, Double.POSITIVE_INFINITY}, Shape.of(2, 2), a.matmul(b));
    }

    @Test
    void float64_dot_products_keep_every_term() {
        // 1e8 + 1 is exact in double; float32 products accumulate in float32 (as BLAS does), so
        // their error bound is relative to the sum of |terms| (FastPathTest checks it)
        Tensor a = tensor(backend, DType.FLOAT64, new double[] {1e8, 1, 1, -1e8}, 1, 4);
        Tensor ones = Tensor.ones(backend, DType.FLOAT64, 4, 1);
        assertAllClose(new double[] {2}, Shape.of(1, 1), a.matmul(ones));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void rank3_by_shared_matrix_flattens_the_batch(DType dtype) {
        Tensor a = tensor(backend, dtype, new double[] {1, 2, 3, 4, 5, 6, 1, 0, -1, 2, 1, 0}, 2, 2, 3);
        Tensor b = tensor(backend, dtype, B, 3, 4);
        // batch 0 is A, whose product is AB; batch 1 rows: [1,0,-1]B = [-2, 2, 2, -2], [2,1,0]B = [2, 1, 5, 0]
        double[] expected = {10, -4, 4, 6, 22, -7, 13, 12, -2, 2, 2, -2, 2, 1, 5, 0};
        assertAllClose(expected, Shape.of(2, 2, 4), a.matmul(b));
    }
}
