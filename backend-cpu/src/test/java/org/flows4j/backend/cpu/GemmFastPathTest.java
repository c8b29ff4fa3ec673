package org.flows4j.backend.cpu;

import static org.flows4j.backend.cpu.FastPaths.assertWithinSumBound;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every GEMM path (direct loops, packed scalar kernels, packed vector kernels; one thread and
 * several) against the exact product of the stored inputs, on odd sizes, all four transposes
 * and both dtypes, within the error bound of a sum (see {@link FastPaths}). Sizes cross every
 * blocking boundary: a tile (4 x 48 floats), a k slice (256), a row block (128) and a column
 * block (1024 floats, 512 doubles), with ragged ends.
 */
class GemmFastPathTest {

    /** {m, k, n}: 1, 7, 33, 1000 x 1 on either side, tall, wide, and past every block. */
    private static final int[][] SIZES = {
        {1, 1, 1},
        {7, 7, 7},
        {33, 33, 33},
        {1000, 1, 1},
        {1, 1000, 1},
        {1, 1, 1000},
        {1000, 7, 3},
        {3, 7, 1000},
        {1000, 33, 40},
        {40, 33, 1000},
        {130, 300, 1100},
        {257, 513, 49}
    };

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (DType dtype : DType.values()) {
            for (int[] s : SIZES) {
                out.add(Arguments.of(dtype, s[0], s[1], s[2]));
            }
        }
        return out.stream();
    }

    /** A matrix of {@code rows x cols} stored at offset 5 with row stride {@code cols + 3}, as {@code float[]} or {@code double[]}. */
    // A carrier of a matrix under test: no Stored is ever compared or hashed, so the
    // arrays' identity equality is never used.
    @SuppressWarnings("ArrayRecordComponent")
    private record Stored(Object array, double[] values, int rows, int cols) {

        static final int OFFSET = 5;

        int ld() {
            return cols + 3;
        }

        static Stored random(RandomSource rng, DType dtype, int rows, int cols) {
            int ld = cols + 3;
            double[] all = rng.normal(OFFSET + rows * ld);
            double[] values = new double[rows * cols];
            Object array;
            if (dtype == DType.FLOAT32) {
                float[] f = new float[all.length];
                for (int i = 0; i < f.length; i++) {
                    f[i] = (float) all[i];
                }
                array = f;
            } else {
                array = all;
            }
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    int at = OFFSET + r * ld + c;
                    values[r * cols + c] = array instanceof float[] f ? f[at] : all[at];
                }
            }
            return new Stored(array, values, rows, cols);
        }

        /** Element {@code (i, p)} of op(this). */
        double op(boolean transpose, int i, int p) {
            return transpose ? values[p * cols + i] : values[i * cols + p];
        }

        double[] read() {
            double[] out = new double[rows * cols];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    int at = OFFSET + r * ld() + c;
                    out[r * cols + c] = array instanceof float[] f ? f[at] : ((double[]) array)[at];
                }
            }
            return out;
        }
    }

    /** C + op(A) op(B) exactly in double (products of floats are exact), and the scale sum |C| + sum |a b|. */
    private static double[][] exact(Stored a, boolean ta, Stored b, boolean tb, Stored c, int m, int k, int n) {
        double[] e = new double[m * n];
        double[] scale = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = c.values[i * n + j];
                double abs = Math.abs(s);
                for (int p = 0; p < k; p++) {
                    double t = a.op(ta, i, p) * b.op(tb, p, j);
                    s += t;
                    abs += Math.abs(t);
                }
                e[i * n + j] = s;
                scale[i * n + j] = abs;
            }
        }
        return new double[][] {e, scale};
    }

    @ParameterizedTest(name = "{0} {1}x{2} by {2}x{3}")
    @MethodSource("cases")
    void direct_and_packed_paths_of_both_kernels_add_the_exact_product(DType dtype, int m, int k, int n) {
        RandomSource rng = RandomSource.seeded(31L * m + 7L * k + n);
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0;
            boolean tb = (t & 2) != 0;
            Stored a = ta ? Stored.random(rng, dtype, k, m) : Stored.random(rng, dtype, m, k);
            Stored b = tb ? Stored.random(rng, dtype, n, k) : Stored.random(rng, dtype, k, n);
            Stored c0 = Stored.random(rng, dtype, m, n);
            double[][] e = exact(a, ta, b, tb, c0, m, k, n);
            String what = dtype.label() + " " + m + "x" + k + "x" + n + " ta=" + ta + " tb=" + tb;
            double[][] p = exact(a, ta, b, tb, new Stored(c0.array(), new double[m * n], m, n), m, k, n);
            for (Kernels kern : FastPaths.kernels()) {
                for (String path : List.of("direct", "packed", "packed-parallel", "dispatch")) {
                    Stored c = new Stored(copy(c0.array()), c0.values(), m, n);
                    run(path, kern, m, n, k, a, ta, b, tb, c, true);
                    assertWithinSumBound(
                            e[0], e[1], c.read(), k + 1, dtype, what + " " + path + " " + kern.description());
                    // C = AB over garbage: NaN in C would poison any element whose old value is read
                    Stored garbage = new Stored(nans(c0.array()), c0.values(), m, n);
                    run(path, kern, m, n, k, a, ta, b, tb, garbage, false);
                    assertWithinSumBound(
                            p[0], p[1], garbage.read(), k, dtype, what + " " + path + " stored " + kern.description());
                }
            }
        }
    }

    /** An array like {@code array}, all NaN. */
    private static Object nans(Object array) {
        if (array instanceof float[] f) {
            float[] g = f.clone();
            java.util.Arrays.fill(g, Float.NaN);
            return g;
        }
        double[] d = ((double[]) array).clone();
        java.util.Arrays.fill(d, Double.NaN);
        return d;
    }

    private static Object copy(Object array) {
        return array instanceof float[] f ? f.clone() : ((double[]) array).clone();
    }

    private static void run(
            String path,
            Kernels kern,
            int m,
            int n,
            int k,
            Stored a,
            boolean ta,
            Stored b,
            boolean tb,
            Stored c,
            boolean add) {
        int o = Stored.OFFSET;
        try (Parallel two = new Parallel(2)) {
            if (c.array() instanceof float[] cf) {
                float[] x = (float[]) a.array();
                float[] y = (float[]) b.array();
                switch (path) {
                    case "direct" -> Gemm.direct(m, n, k, x, o, a.ld(), ta, y, o, b.ld(), tb, cf, o, c.ld(), add);
                    case "packed" ->
                        Gemm.packed(
                                kern, Parallel.SERIAL, m, n, k, x, o, a.ld(), ta, y, o, b.ld(), tb, cf, o, c.ld(), add);
                    case "packed-parallel" ->
                        Gemm.packed(kern, two, m, n, k, x, o, a.ld(), ta, y, o, b.ld(), tb, cf, o, c.ld(), add);
                    default -> Gemm.gemm(kern, two, m, n, k, x, o, a.ld(), ta, y, o, b.ld(), tb, cf, o, c.ld(), add);
                }
            } else {
                double[] x = (double[]) a.array();
                double[] y = (double[]) b.array();
                double[] cd = (double[]) c.array();
                switch (path) {
                    case "direct" -> Gemm.direct(m, n, k, x, o, a.ld(), ta, y, o, b.ld(), tb, cd, o, c.ld(), add);
                    case "packed" ->
                        Gemm.packed(
                                kern, Parallel.SERIAL, m, n, k, x, o, a.ld(), ta, y, o, b.ld(), tb, cd, o, c.ld(), add);
                    case "packed-parallel" ->
                        Gemm.packed(kern, two, m, n, k, x, o, a.ld(), ta, y, o, b.ld(), tb, cd, o, c.ld(), add);
                    default -> Gemm.gemm(kern, two, m, n, k, x, o, a.ld(), ta, y, o, b.ld(), tb, cd, o, c.ld(), add);
                }
            }
        }
    }

    @Test
    void batched_products_agree_between_kernels_with_the_batch_split_or_not() {
        // large enough that a batch of one is split over the threads (Gemm.MIN_THREADED_WORK)
        int m = 130;
        int k = 140;
        int n = 250;
        assertEquals(true, (long) m * k * n >= Gemm.MIN_THREADED_WORK, "the product must be split");
        for (DType dtype : DType.values()) {
            // batch 3 >= 2 threads: one matrix per thread; batch 1: the product itself is split
            for (int batch : new int[] {1, 3}) {
                RandomSource rng = RandomSource.seeded(batch);
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 1) != 0;
                    boolean tb = (t & 2) != 0;
                    Shape as = ta ? Shape.of(batch, k, m) : Shape.of(batch, m, k);
                    Shape bs = tb ? Shape.of(batch, n, k) : Shape.of(batch, k, n);
                    double[] av = rng.normal(as.size());
                    double[] bv = rng.normal(bs.size());
                    double[] scalar;
                    double[] fast;
                    double[] ar;
                    double[] br;
                    try (Backend s = FastPaths.scalar();
                            Backend f = FastPaths.fast()) {
                        Tensor x = Tensor.of(s, dtype, av, as);
                        Tensor y = Tensor.of(s, dtype, bv, bs);
                        ar = x.toDoubleArray();
                        br = y.toDoubleArray();
                        scalar = x.matmul(y, ta, tb).toDoubleArray();
                        fast = Tensor.of(f, dtype, av, as)
                                .matmul(Tensor.of(f, dtype, bv, bs), ta, tb)
                                .toDoubleArray();
                    }
                    double[] exact = new double[batch * m * n];
                    double[] scale = new double[exact.length];
                    for (int bt = 0; bt < batch; bt++) {
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < n; j++) {
                                double sum = 0;
                                double abs = 0;
                                for (int p = 0; p < k; p++) {
                                    double x = ta ? ar[bt * m * k + p * m + i] : ar[bt * m * k + i * k + p];
                                    double y = tb ? br[bt * k * n + j * k + p] : br[bt * k * n + p * n + j];
                                    sum += x * y;
                                    abs += Math.abs(x * y);
                                }
                                exact[(bt * m + i) * n + j] = sum;
                                scale[(bt * m + i) * n + j] = abs;
                            }
                        }
                    }
                    String what = dtype.label() + " batch " + batch + " ta=" + ta + " tb=" + tb;
                    assertWithinSumBound(exact, scale, scalar, k, dtype, what + " scalar");
                    assertWithinSumBound(exact, scale, fast, k, dtype, what + " fast");
                }
            }
        }
    }

    @Test
    void the_thread_count_never_changes_a_bit() {
        // rows split (m large), columns split (m small, n large), batch split
        int[][] shapes = {{512, 200, 300}, {8, 300, 2000}};
        for (DType dtype : DType.values()) {
            for (Kernels kern : FastPaths.kernels()) {
                for (int[] s : shapes) {
                    RandomSource rng = RandomSource.seeded(s[0]);
                    double[] av = rng.normal(s[0] * s[1]);
                    double[] bv = rng.normal(s[1] * s[2]);
                    List<double[]> results = new ArrayList<>();
                    for (int threads : new int[] {1, 2, 3}) {
                        try (Backend b = new CpuBackend(FastPaths.OPTIONS.withThreads(threads), kern)) {
                            results.add(Tensor.of(b, dtype, av, Shape.of(s[0], s[1]))
                                    .matmul(Tensor.of(b, dtype, bv, Shape.of(s[1], s[2])))
                                    .toDoubleArray());
                        }
                    }
                    assertArrayEquals(results.get(0), results.get(1));
                    assertArrayEquals(results.get(0), results.get(2));
                }
            }
        }
    }

    @Test
    void skinny_direct_products_give_the_bits_of_the_plain_loops_row_by_row() {
        // many rows, few columns: the skinny loops; one row at a time: the plain loops
        RandomSource rng = RandomSource.seeded(77);
        int m = 45;
        int k = 33;
        for (int n = 1; n < Gemm.SKINNY; n++) {
            for (int t = 0; t < 8; t++) {
                boolean ta = (t & 1) != 0;
                boolean tb = (t & 2) != 0;
                boolean add = (t & 4) != 0;
                float[] af = floats(rng.normal(m * k));
                float[] bf = floats(rng.normal(k * n));
                float[] c0 = floats(rng.normal(m * n));
                double[] ad = rng.normal(m * k);
                double[] bd = rng.normal(k * n);
                double[] d0 = rng.normal(m * n);
                int lda = ta ? m : k;
                int ldb = tb ? k : n;
                float[] cf = c0.clone();
                double[] cd = d0.clone();
                Gemm.direct(m, n, k, af, 0, lda, ta, bf, 0, ldb, tb, cf, 0, n, add);
                Gemm.direct(m, n, k, ad, 0, lda, ta, bd, 0, ldb, tb, cd, 0, n, add);
                float[] rf = c0.clone();
                double[] rd = d0.clone();
                for (int i = 0; i < m; i++) {
                    int ai = ta ? i : i * lda;
                    Gemm.direct(1, n, k, af, ai, lda, ta, bf, 0, ldb, tb, rf, i * n, n, add);
                    Gemm.direct(1, n, k, ad, ai, lda, ta, bd, 0, ldb, tb, rd, i * n, n, add);
                }
                String what = "n=" + n + " ta=" + ta + " tb=" + tb + " add=" + add;
                assertArrayEquals(rf, cf, what);
                assertArrayEquals(rd, cd, what);
            }
        }
    }

    @Test
    void skinny_products_give_each_row_the_same_bits_whatever_rows_share_the_call() {
        // the vector kernels' own skinny loops (Kernels.skinnyF) and the plain ones: an element of
        // C must not depend on how many rows the call had, nor on where in a vector its row fell
        RandomSource rng = RandomSource.seeded(78);
        for (Kernels kern : FastPaths.kernels()) {
            for (int k : new int[] {5, 33, 64, 512}) {
                int m = 4 * 16 + 16 + 7; // four vectors of rows, one more, and a ragged end
                for (int n = 1; n < Gemm.SKINNY; n += 3) {
                    for (int t = 0; t < 8; t++) {
                        boolean ta = (t & 1) != 0;
                        boolean tb = (t & 2) != 0;
                        boolean add = (t & 4) != 0;
                        float[] a = floats(rng.normal(m * k));
                        float[] b = floats(rng.normal(k * n));
                        float[] c0 = floats(rng.normal(m * n));
                        int lda = ta ? m : k;
                        int ldb = tb ? k : n;
                        float[] whole = c0.clone();
                        Gemm.gemm(kern, Parallel.SERIAL, m, n, k, a, 0, lda, ta, b, 0, ldb, tb, whole, 0, n, add);
                        float[] rows = c0.clone();
                        for (int i = 0; i < m; i++) {
                            int ai = ta ? i : i * lda;
                            Gemm.gemm(
                                    kern, Parallel.SERIAL, 1, n, k, a, ai, lda, ta, b, 0, ldb, tb, rows, i * n, n, add);
                        }
                        String what =
                                kern.description() + " k=" + k + " n=" + n + " ta=" + ta + " tb=" + tb + " add=" + add;
                        assertArrayEquals(rows, whole, what);
                    }
                }
            }
        }
    }

    @Test
    void outer_products_give_the_bits_of_the_packed_kernels() {
        // k = 1 takes Kernels.outerF; the packed kernels' one-term sums are the reference
        RandomSource rng = RandomSource.seeded(79);
        for (Kernels kern : FastPaths.kernels()) {
            for (int m : new int[] {1, 5, 37, 512}) {
                for (int n : new int[] {1, 5, 17, 64, 100}) {
                    for (int t = 0; t < 8; t++) {
                        boolean ta = (t & 1) != 0;
                        boolean tb = (t & 2) != 0;
                        boolean add = (t & 4) != 0;
                        float[] a = floats(rng.normal(m));
                        float[] b = floats(rng.normal(n));
                        float[] c0 = floats(rng.normal(m * n));
                        int lda = ta ? m : 1;
                        int ldb = tb ? 1 : n;
                        float[] got = c0.clone();
                        Gemm.gemm(kern, Parallel.SERIAL, m, n, 1, a, 0, lda, ta, b, 0, ldb, tb, got, 0, n, add);
                        float[] want = c0.clone();
                        Gemm.packed(kern, Parallel.SERIAL, m, n, 1, a, 0, lda, ta, b, 0, ldb, tb, want, 0, n, add);
                        String what =
                                kern.description() + " " + m + "x1x" + n + " ta=" + ta + " tb=" + tb + " add=" + add;
                        assertArrayEquals(want, got, what);
                    }
                }
            }
        }
    }

    private static float[] floats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    @Test
    void the_direct_path_is_taken_for_small_and_skinny_products_only() {
        int mr = Kernels.best().gemmF().tile().mr();
        assertEquals(true, Gemm.isDirect(7, 7, 7, mr));
        assertEquals(true, Gemm.isDirect(1000, 1, 1, mr));
        assertEquals(true, Gemm.isDirect(1, 1000, 1000, mr));
        assertEquals(true, Gemm.isDirect(1000, 7, 1000, mr));
        assertEquals(false, Gemm.isDirect(1000, 1000, 7, mr));
        assertEquals(false, Gemm.isDirect(33, 33, 33, mr));
        assertEquals(false, Gemm.isDirect(512, 64, 64, mr));
    }
}
