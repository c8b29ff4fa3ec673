package org.flows4j.backend.cpu;

import static org.flows4j.api.internal.TensorAccess.storage;
import static org.flows4j.backend.cpu.Allclose.assertAllClose;
import static org.flows4j.backend.cpu.Allclose.iota;
import static org.flows4j.backend.cpu.Allclose.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Creation, transfer, casts and the layout kernels. The rank-3 input is
 * {@code x[i, j, k] = 12 i + 4 j + k} of shape {@code [2, 3, 4]}, so every expected element
 * can be read off its indices.
 */
class LayoutTest {

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

    // ---- creation, transfer, cast --------------------------------------------------------

    @Test
    void float32_storage_rounds_doubles_and_float64_keeps_them() {
        double[] v = {0.1, 1e-50, 1e40, -2.5};
        float[] f = Tensor.of(backend, DType.FLOAT32, v, Shape.of(4)).toFloatArray();
        assertArrayEquals(new float[] {0.1f, 0f, Float.POSITIVE_INFINITY, -2.5f}, f);
        assertArrayEquals(v, Tensor.of(backend, v, 2, 2).toDoubleArray());
        float[] fs = {0.1f, -3f};
        assertArrayEquals(
                new double[] {0.1f, -3},
                Tensor.of(backend, fs, 2).to(DType.FLOAT64).toDoubleArray());
        assertArrayEquals(new double[] {0.1f, -3}, Tensor.of(backend, fs, 2).toDoubleArray());
        assertArrayEquals(
                new float[] {0.1f, -3f},
                Tensor.of(backend, new double[] {0.1, -3}, 2).toFloatArray());
    }

    @Test
    void the_backend_keeps_the_array_it_is_handed_and_returns_copies() {
        // the SPI hands the array over (Tensor.of passes a copy), so a matching dtype keeps it
        double[] data = {1, 2};
        Storage s = backend.fromDoubles(data, Shape.of(2), DType.FLOAT64);
        data[0] = 99;
        assertArrayEquals(new double[] {99, 2}, backend.toDoubles(s));
        backend.toDoubles(s)[1] = 7;
        assertArrayEquals(new double[] {99, 2}, backend.toDoubles(s));
        float[] fdata = {1, 2};
        Storage fs = backend.fromFloats(fdata, Shape.of(2), DType.FLOAT32);
        fdata[0] = 99;
        backend.toFloats(fs)[1] = 7;
        assertArrayEquals(new float[] {99, 2}, backend.toFloats(fs));
        // and the Tensor API copies what the caller passes
        double[] mine = {1, 2};
        Tensor t = Tensor.of(backend, mine, 2);
        mine[0] = 99;
        assertArrayEquals(new double[] {1, 2}, t.toDoubleArray());
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void full_and_zeros_fill_every_element(DType dtype) {
        assertAllClose(
                new double[] {2.5, 2.5, 2.5, 2.5, 2.5, 2.5},
                Shape.of(2, 3),
                Tensor.full(backend, dtype, Shape.of(2, 3), 2.5));
        assertAllClose(new double[] {Double.NaN}, Shape.scalar(), Tensor.scalar(backend, dtype, Double.NaN));
        assertAllClose(new double[0], Shape.of(3, 0), Tensor.ones(backend, dtype, 3, 0));
        assertEquals(dtype, Tensor.zeros(backend, dtype, 1).dtype());
    }

    @Test
    void cast_round_trips() {
        double[] v = {0.1, -2.5, 1e40, Double.NaN, Double.NEGATIVE_INFINITY};
        Tensor d = Tensor.of(backend, v, 5);
        Tensor f = d.to(DType.FLOAT32);
        assertEquals(DType.FLOAT32, f.dtype());
        assertArrayEquals(
                new double[] {0.1f, -2.5, Double.POSITIVE_INFINITY, Double.NaN, Double.NEGATIVE_INFINITY},
                f.to(DType.FLOAT64).toDoubleArray());
        // float -> double -> float is exact
        float[] fv = {0.1f, -7.25f, Float.MIN_VALUE, Float.MAX_VALUE};
        assertArrayEquals(
                fv,
                Tensor.of(backend, fv, 4).to(DType.FLOAT64).to(DType.FLOAT32).toFloatArray());
        // a cast to the same dtype is still a copy
        for (DType dt : DType.values()) {
            Tensor t = Tensor.of(backend, dt, new double[] {1, 2}, Shape.of(2));
            Tensor c = t.to(dt);
            assertNotSame(storage(t), storage(c));
            t.free();
            assertArrayEquals(new double[] {1, 2}, c.toDoubleArray());
        }
    }

    // ---- reshape and broadcast -----------------------------------------------------------

    @ParameterizedTest
    @EnumSource(DType.class)
    void freeing_a_reshape_view_leaves_its_base_readable(DType dtype) {
        Tensor base = tensor(backend, dtype, iota(6), 2, 3);
        Tensor view = base.reshape(3, 2);
        assertAllClose(iota(6), Shape.of(3, 2), view);
        view.free();
        assertTrue(view.isFreed());
        assertAllClose(iota(6), Shape.of(2, 3), base);
        assertAllClose(new double[] {3, 12}, Shape.of(2), base.sum(1));
        // views made in a scope: the one not kept is freed with it, the base and the kept one live on
        Tensor flat;
        Tensor kept;
        try (MemoryScope scope = MemoryScope.open()) {
            flat = base.reshape(6);
            assertAllClose(new double[] {1, 2, 3, 4, 5, 6}, Shape.of(6), flat.add(1.0));
            kept = scope.keep(base.reshape(1, 6));
        }
        assertTrue(flat.isFreed());
        assertAllClose(iota(6), Shape.of(2, 3), base);
        assertAllClose(iota(6), Shape.of(1, 6), kept);
        // and the other way round: the base is freed first, the view keeps the elements alive
        Tensor view2 = base.reshape(6);
        base.free();
        assertAllClose(iota(6), Shape.of(6), view2);
        assertAllClose(
                new double[0],
                Shape.of(0, 4),
                Tensor.zeros(backend, dtype, 2, 0).reshape(0, 4));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void broadcast_to_repeats_along_new_and_size_one_axes(DType dtype) {
        Tensor col = tensor(backend, dtype, new double[] {1, 2, 3}, 3, 1);
        double[] expected = new double[24];
        for (int i = 0; i < 24; i++) {
            expected[i] = 1 + (i / 4) % 3;
        }
        assertAllClose(expected, Shape.of(2, 3, 4), col.broadcastTo(Shape.of(2, 3, 4)));
        assertAllClose(
                new double[] {7, 7, 7, 7},
                Shape.of(2, 2),
                Tensor.scalar(backend, dtype, 7).broadcastTo(Shape.of(2, 2)));
        assertAllClose(
                new double[] {1, 2, 1, 2},
                Shape.of(2, 2),
                tensor(backend, dtype, new double[] {1, 2}, 2).broadcastTo(Shape.of(2, 2)));
        assertAllClose(
                new double[0],
                Shape.of(2, 0),
                col.broadcastTo(Shape.of(2, 3, 0)).reshape(2, 0));
    }

    // ---- permute, slice, concat ----------------------------------------------------------

    @ParameterizedTest
    @EnumSource(DType.class)
    void permute_of_rank_three(DType dtype) {
        // result [k, i, j] = x[i, j, k] = 12 i + 4 j + k
        double[] expected = new double[24];
        for (int k = 0, n = 0; k < 4; k++) {
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 3; j++) {
                    expected[n++] = 12 * i + 4 * j + k;
                }
            }
        }
        Tensor p = x(dtype).permute(2, 0, 1);
        assertAllClose(expected, Shape.of(4, 2, 3), p);
        assertEquals(0 + 4 * 1 + 0, p.toDoubleArray()[1], "p[0, 0, 1] = x[0, 1, 0]");
        assertEquals(12 + 8 + 3, p.toDoubleArray()[3 * 6 + 5], "p[3, 1, 2] = x[1, 2, 3]");
        // [j, i, k]: the last axis stays, so runs of 4 are contiguous
        assertAllClose(
                new double[] {0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7, 16, 17, 18, 19, 8, 9, 10, 11, 20, 21, 22, 23},
                Shape.of(3, 2, 4),
                x(dtype).permute(1, 0, 2));
        // the inverse permutation restores x
        assertAllClose(iota(24), Shape.of(2, 3, 4), p.permute(1, 2, 0));
        assertAllClose(
                new double[0],
                Shape.of(3, 0, 2),
                Tensor.zeros(backend, dtype, 0, 2, 3).permute(2, 0, 1));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void slice_keeps_the_indices_in_range(DType dtype) {
        // j in [1, 3): x[i, j, k] for j = 1, 2
        assertAllClose(
                new double[] {4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23},
                Shape.of(2, 2, 4),
                x(dtype).slice(1, 1, 3));
        assertAllClose(
                new double[] {1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22}, Shape.of(2, 3, 2), x(dtype).slice(-1, 1, 3));
        assertAllClose(
                new double[] {12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23},
                Shape.of(1, 3, 4),
                x(dtype).slice(0, 1, 2));
        assertAllClose(new double[0], Shape.of(2, 0, 4), x(dtype).slice(1, 2, 2));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void concat_joins_parts_including_empty_ones(DType dtype) {
        Tensor a = tensor(backend, dtype, new double[] {1, 2}, 2, 1);
        Tensor empty = Tensor.zeros(backend, dtype, 2, 0);
        Tensor b = tensor(backend, dtype, new double[] {3, 4, 5, 6}, 2, 2);
        assertAllClose(new double[] {1, 3, 4, 2, 5, 6}, Shape.of(2, 3), Tensor.concat(1, a, empty, b));
        assertAllClose(
                new double[] {3, 4, 5, 6, 3, 4, 5, 6},
                Shape.of(4, 2),
                Tensor.concat(0, b, Tensor.zeros(backend, dtype, 0, 2), b));
        assertAllClose(new double[0], Shape.of(2, 0), Tensor.concat(1, empty, empty));
        // along the middle axis of rank 3: [2, 3, 4] + [2, 1, 4]
        Tensor extra = tensor(backend, dtype, new double[] {-1, -1, -1, -1, -2, -2, -2, -2}, 2, 1, 4);
        double[] expected = {
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -1, -1, -1, -1, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, -2,
            -2, -2, -2
        };
        assertAllClose(expected, Shape.of(2, 4, 4), Tensor.concat(1, x(dtype), extra));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void slice_and_concat_move_short_and_long_blocks_alike(DType dtype) {
        // [3, 5, 40], x[i, j, k] = 200 i + 40 j + k: blocks of 2, 36 and 120 elements, on both
        // sides of Layout.SHORT_BLOCK
        Tensor big = tensor(backend, dtype, iota(600), 3, 5, 40);
        int[][] slices = {{2, 3, 5}, {2, 2, 38}, {1, 1, 4}, {2, 39, 40}};
        for (int[] sl : slices) {
            int axis = sl[0];
            int lo = sl[1];
            int hi = sl[2];
            int[] dims = {3, 5, 40};
            dims[axis] = hi - lo;
            double[] want = new double[dims[0] * dims[1] * dims[2]];
            for (int i = 0, at = 0; i < dims[0]; i++) {
                for (int j = 0; j < dims[1]; j++) {
                    for (int k = 0; k < dims[2]; k++) {
                        want[at++] = 200 * i + 40 * (axis == 1 ? j + lo : j) + (axis == 2 ? k + lo : k);
                    }
                }
            }
            assertAllClose(want, Shape.of(dims), big.slice(axis, lo, hi));
        }
        // joined along the last axis: rows of 40, then 2, then 40 again
        Tensor two = tensor(backend, dtype, iota(30), 3, 5, 2).neg();
        double[] want = new double[3 * 5 * 82];
        for (int r = 0, at = 0; r < 15; r++) {
            for (int k = 0; k < 40; k++) {
                want[at++] = 40 * r + k;
            }
            want[at++] = -(2 * r);
            want[at++] = -(2 * r + 1);
            for (int k = 0; k < 40; k++) {
                want[at++] = 40 * r + k;
            }
        }
        assertAllClose(want, Shape.of(3, 5, 82), Tensor.concat(2, big, two, big));
    }

    // ---- gather and scatterAdd -----------------------------------------------------------

    @ParameterizedTest
    @EnumSource(DType.class)
    void gather_repeats_indices(DType dtype) {
        Tensor m = tensor(backend, dtype, new double[] {0, 1, 2, 10, 11, 12}, 2, 3);
        assertAllClose(new double[] {2, 0, 2, 2, 12, 10, 12, 12}, Shape.of(2, 4), m.gather(1, 2, 0, 2, 2));
        assertAllClose(new double[] {10, 11, 12, 10, 11, 12, 0, 1, 2}, Shape.of(3, 3), m.gather(0, 1, 1, 0));
        assertAllClose(new double[0], Shape.of(2, 0), m.gather(1));
        // rank 3, middle axis: x[i, 2, k] then x[i, 0, k]
        assertAllClose(
                new double[] {8, 9, 10, 11, 0, 1, 2, 3, 20, 21, 22, 23, 12, 13, 14, 15},
                Shape.of(2, 2, 4),
                x(dtype).gather(1, 2, 0));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void scatter_add_accumulates_repeated_indices(DType dtype) {
        Tensor src = tensor(backend, dtype, new double[] {1, 2, 4, 8, 16, 32, 64, 128}, 2, 4);
        // column 2 receives sources 0, 2 and 3; column 0 source 1; column 1 nothing
        assertAllClose(
                new double[] {2, 0, 1 + 4 + 8, 32, 0, 16 + 64 + 128},
                Shape.of(2, 3),
                src.scatterAdd(Shape.of(2, 3), 1, 2, 0, 2, 2));
        // along axis 0 into [3, 4]: both rows into row 1
        assertAllClose(
                new double[] {0, 0, 0, 0, 17, 34, 68, 136, 0, 0, 0, 0},
                Shape.of(3, 4),
                src.scatterAdd(Shape.of(3, 4), 0, 1, 1));
        // gather's adjoint: <gather(x), y> = <x, scatterAdd(y)>
        Tensor x = tensor(backend, dtype, new double[] {0.5, -1, 2, 3, 0.25, -4}, 2, 3);
        int[] idx = {2, 0, 2, 2};
        double lhs = x.gather(1, idx).mul(src).sum().item();
        double rhs = x.mul(src.scatterAdd(Shape.of(2, 3), 1, idx)).sum().item();
        assertEquals(lhs, rhs, 1e-9 * Math.abs(lhs));
        assertAllClose(
                new double[] {0, 0, 0},
                Shape.of(1, 3),
                Tensor.zeros(backend, dtype, 1, 0).scatterAdd(Shape.of(1, 3), 1));
    }
}
