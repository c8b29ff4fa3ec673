package org.flows4j.backend.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.pytorch.jni.JniUtils;
import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.backend.BinaryOp;
import org.flows4j.api.backend.CompareOp;
import org.flows4j.api.backend.ReduceOp;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.backend.UnaryOp;
import org.flows4j.testing.Tolerance;
import org.junit.jupiter.api.Test;

/**
 * The backend's own promises: deterministic release of native memory, its lifecycle, and the
 * kernels it composes (log1p, expm1, softplus, sign, scatter-add, the convolution gradients)
 * against hand-computed values. The conformance kit (integration-tests, DjlConformanceTest)
 * checks every kernel against the reference backend.
 */
class DjlBackendTest {

    private static final double NAN = Double.NaN;
    private static final double INF = Double.POSITIVE_INFINITY;

    private static DjlBackend start(int threads) {
        return (DjlBackend)
                new DjlBackendProvider().create(BackendOptions.defaults().withThreads(threads));
    }

    private static DjlBackend start() {
        return start(2);
    }

    private static Storage vec(Backend b, DType dt, double... v) {
        return b.fromDoubles(v.clone(), Shape.of(v.length), dt);
    }

    /** Runs {@code op}, reads and frees its result. */
    private static double[] read(Backend b, Storage s) {
        try {
            return b.toDoubles(s);
        } finally {
            b.free(s);
        }
    }

    private static int managed(DjlBackend b) {
        return b.root().getManagedArrays().size();
    }

    @Test
    void create_and_close_twice_through_discovery() {
        Backend b = Backends.create("djl", BackendOptions.defaults().withThreads(1));
        try {
            assertEquals("djl", b.name());
            assertTrue(b.holdsNativeMemory());
            assertEquals(1, JniUtils.getNumThreads(), "libtorch intra-op threads from the options");
            assertArrayEquals(new double[] {1, 2}, read(b, vec(b, DType.FLOAT64, 1, 2)));
        } finally {
            b.close();
            b.close();
        }
    }

    @Test
    void free_releases_at_once_and_close_releases_the_rest() {
        DjlBackend b = start();
        Storage left;
        try {
            int base = managed(b);
            Storage x = vec(b, DType.FLOAT32, 1, 2, 3);
            assertEquals(base + 1, managed(b));
            b.free(x);
            assertEquals(base, managed(b), "free released the tensor");
            b.free(x); // the API frees once; a second release is still harmless
            assertThrows(IllegalStateException.class, () -> b.toDoubles(x));
            left = vec(b, DType.FLOAT64, 4);
        } finally {
            b.close();
            b.close();
        }
        Storage unreachable = left;
        assertThrows(IllegalStateException.class, () -> b.toDoubles(unreachable), "close released the rest");
    }

    /** Every kernel, composed ones included, leaves exactly its result attached. */
    @Test
    void kernels_release_their_intermediates() {
        try (DjlBackend b = start()) {
            for (DType dt : DType.values()) {
                Storage x = b.fromDoubles(new double[] {0.5, -1, 2, 3, NAN, -0.0}, Shape.of(2, 3), dt);
                Storage y = b.fromDoubles(new double[] {1, 2, 3}, Shape.of(3), dt);
                Storage w = b.fromDoubles(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, Shape.of(1, 1, 3, 3), dt);
                Storage img = b.fromDoubles(new double[16], Shape.of(1, 1, 4, 4), dt);
                int base = managed(b);
                List<java.util.function.Supplier<Storage>> kernels = new java.util.ArrayList<>();
                for (UnaryOp op : UnaryOp.values()) {
                    kernels.add(() -> b.unary(op, x));
                }
                for (BinaryOp op : BinaryOp.values()) {
                    kernels.add(() -> b.binary(op, x, y));
                }
                for (CompareOp op : CompareOp.values()) {
                    kernels.add(() -> b.compare(op, x, y));
                }
                for (ReduceOp op : ReduceOp.values()) {
                    kernels.add(() -> b.reduce(op, x, new int[] {0, 1}, false));
                    kernels.add(() -> b.reduce(op, x, new int[] {1}, true));
                    kernels.add(() -> b.reduce(op, x, new int[] {}, false));
                }
                kernels.add(() -> b.full(Shape.of(2, 2), dt, 0.1));
                kernels.add(() -> b.where(y, x, y));
                kernels.add(() -> b.matmul(x, x, false, true));
                kernels.add(() -> b.cast(x, DType.FLOAT32));
                kernels.add(() -> b.reshape(x, Shape.of(3, 2)));
                kernels.add(() -> b.broadcastTo(y, Shape.of(4, 3)));
                kernels.add(() -> b.permute(x, new int[] {1, 0}));
                kernels.add(() -> b.slice(x, 1, 1, 3));
                kernels.add(() -> b.concat(List.of(x, x), 0));
                kernels.add(() -> b.concat(List.of(x), 1));
                kernels.add(() -> b.gather(x, 1, new int[] {2, 2, 0}));
                kernels.add(() -> b.scatterAdd(Shape.of(2, 4), 1, new int[] {3, 3, 0}, x));
                kernels.add(() -> b.scatterAdd(Shape.of(2, 6), 1, new int[] {1, 2, 3}, x)); // a slice's backward
                kernels.add(() -> b.scatterAdd(Shape.of(2, 3), 1, new int[] {0, 1, 2}, x)); // a permutation
                kernels.add(() -> b.conv2d(img, w, 1, 1));
                kernels.add(() -> b.conv2dBackwardInput(img, w, Shape.of(1, 1, 4, 4), 1, 1));
                kernels.add(() -> b.conv2dBackwardInput(img, w, Shape.of(1, 1, 8, 8), 4, 4));
                kernels.add(() -> b.conv2dBackwardWeight(img, img, Shape.of(1, 1, 3, 3), 1, 1));
                for (int i = 0; i < kernels.size(); i++) {
                    Storage r = kernels.get(i).get();
                    assertEquals(base + 1, managed(b), "kernel " + i + " (" + r + ") left intermediates");
                    b.toDoubles(r);
                    b.free(r);
                    assertEquals(base, managed(b), "kernel " + i + " result freed");
                }
                for (Storage s : List.of(x, y, w, img)) {
                    b.free(s);
                }
            }
        }
    }

    @Test
    void a_reshape_view_outlives_its_base() {
        try (DjlBackend b = start()) {
            Storage base = b.fromDoubles(new double[] {1, 2, 3, 4, 5, 6}, Shape.of(2, 3), DType.FLOAT64);
            Storage view = b.reshape(base, Shape.of(3, 2));
            b.free(base);
            assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, read(b, view));
        }
    }

    /** Math.log1p and Math.expm1 (within 1 ulp in the JDK) as the reference. */
    @Test
    void log1p_and_expm1_are_accurate_near_zero_and_far_from_it() {
        double[] x = {
            0, -0.0, 1e-300, -1e-300, 1e-16, -1e-16, 1e-10, -1e-10, 1e-8, -1e-8, 1e-5, -3e-4, 0.1, -0.3, 0.49, -0.49,
            0.5, -0.5, 0.51, 1, -0.9, -0.999999, 2, 10, 30, -30, 700, -700, 1e300
        };
        try (DjlBackend b = start()) {
            double[] l = read(b, b.unary(UnaryOp.LOG1P, vec(b, DType.FLOAT64, x)));
            double[] e = read(b, b.unary(UnaryOp.EXPM1, vec(b, DType.FLOAT64, x)));
            for (int i = 0; i < x.length; i++) {
                assertClose("log1p(" + x[i] + ")", Math.log1p(x[i]), l[i], 1e-15);
                assertClose("expm1(" + x[i] + ")", Math.expm1(x[i]), e[i], 1e-15);
            }
            double[] special = {-1, -2, INF, -INF, NAN, 710, -1000};
            assertArrayEquals(
                    new double[] {-INF, NAN, INF, NAN, NAN, Math.log1p(710), NAN},
                    read(b, b.unary(UnaryOp.LOG1P, vec(b, DType.FLOAT64, special))),
                    1e-15);
            assertArrayEquals(
                    new double[] {Math.expm1(-1), Math.expm1(-2), INF, -1, NAN, INF, -1},
                    read(b, b.unary(UnaryOp.EXPM1, vec(b, DType.FLOAT64, special))),
                    1e-15);
            // float32: a few float ulps (6e-8) relative
            double[] f = {1e-30, -1e-7, 3e-4, -0.2, 0.45, 3, -20};
            double[] lf = read(b, b.unary(UnaryOp.LOG1P, vec(b, DType.FLOAT32, f)));
            double[] ef = read(b, b.unary(UnaryOp.EXPM1, vec(b, DType.FLOAT32, f)));
            for (int i = 0; i < f.length; i++) {
                double xf = (float) f[i];
                assertClose("float32 log1p(" + xf + ")", Math.log1p(xf), lf[i], 4e-7);
                assertClose("float32 expm1(" + xf + ")", Math.expm1(xf), ef[i], 4e-7);
            }
        }
    }

    private static void assertClose(String what, double expected, double actual, double rtol) {
        new Tolerance(rtol, 0, "stated by the test, relative to the expected value")
                .assertClose(what, actual, expected);
    }

    @Test
    void softplus_sign_relu_and_pow_follow_the_spi_at_the_edges() {
        try (DjlBackend b = start()) {
            double[] x = {20.0001, -20, 0, 800, -800, NAN, INF, -INF};
            double[] sp = read(b, b.unary(UnaryOp.SOFTPLUS, vec(b, DType.FLOAT64, x)));
            double[] expected = {
                20.0001 + Math.log1p(Math.exp(-20.0001)), Math.log1p(Math.exp(-20)), Math.log(2), 800, 0, NAN, INF, 0
            };
            for (int i = 0; i < x.length; i++) {
                if (Double.isNaN(expected[i]) || Double.isInfinite(expected[i]) || expected[i] == 0) {
                    assertEquals(expected[i], sp[i], "softplus(" + x[i] + ")");
                } else {
                    assertClose("softplus(" + x[i] + ")", expected[i], sp[i], 1e-15);
                }
            }
            assertArrayEquals(
                    new double[] {-1, 0, 0, 1, NAN},
                    read(b, b.unary(UnaryOp.SIGN, vec(b, DType.FLOAT32, -3, -0.0, 0, 2, NAN))));
            assertArrayEquals(
                    new double[] {0, 0, 2, NAN}, read(b, b.unary(UnaryOp.RELU, vec(b, DType.FLOAT64, -3, 0, 2, NAN))));
            // C99 pow: pow(1, y) = 1 for any y, pow(-1, ±inf) = 1; Java's Math.pow gives NaN there
            assertArrayEquals(
                    new double[] {1, 1, 1, 1, 0.25, NAN},
                    read(
                            b,
                            b.binary(
                                    BinaryOp.POW,
                                    vec(b, DType.FLOAT64, 1, 1, -1, -1, 2, -8),
                                    vec(b, DType.FLOAT64, NAN, INF, INF, -INF, -2, 1.0 / 3))));
        }
    }

    @Test
    void reductions_handle_several_axes_and_empty_axes() {
        try (DjlBackend b = start()) {
            Storage x = b.fromDoubles(new double[] {1, 5, 2, 8, 3, 4}, Shape.of(2, 3), DType.FLOAT64);
            assertArrayEquals(new double[] {8}, read(b, b.reduce(ReduceOp.MAX, x, new int[] {0, 1}, false)));
            assertArrayEquals(new double[] {23.0 / 6}, read(b, b.reduce(ReduceOp.MEAN, x, new int[] {0, 1}, true)));
            Storage e = b.fromDoubles(new double[0], Shape.of(0, 3), DType.FLOAT32);
            assertArrayEquals(
                    new double[] {-INF, -INF, -INF}, read(b, b.reduce(ReduceOp.MAX, e, new int[] {0}, false)));
            assertArrayEquals(new double[] {NAN}, read(b, b.reduce(ReduceOp.MEAN, e, new int[] {0, 1}, false)));
            assertArrayEquals(new double[] {0, 0, 0}, read(b, b.reduce(ReduceOp.SUM, e, new int[] {0}, false)));
            Storage s = b.reduce(ReduceOp.SUM, x, new int[] {}, true);
            assertEquals(Shape.of(2, 3), s.shape(), "no axes reduces nothing");
            assertArrayEquals(new double[] {1, 5, 2, 8, 3, 4}, read(b, s));
        }
    }

    @Test
    void where_broadcasts_all_three_and_a_nan_condition_selects() {
        try (DjlBackend b = start()) {
            Storage c = b.fromDoubles(new double[] {0, NAN, 1}, Shape.of(3, 1), DType.FLOAT64);
            Storage t = b.fromDoubles(new double[] {1, 2}, Shape.of(2), DType.FLOAT64);
            Storage f = b.fromDoubles(new double[] {-1}, Shape.of(), DType.FLOAT64);
            Storage r = b.where(c, t, f);
            assertEquals(Shape.of(3, 2), r.shape());
            assertArrayEquals(new double[] {-1, -1, 1, 2, 1, 2}, read(b, r));
        }
    }

    @Test
    void scatter_add_accumulates_repeats_in_order_and_keeps_infinities_to_their_targets() {
        try (DjlBackend b = start()) {
            Storage src = b.fromDoubles(new double[] {1, 2, 3, 4, INF, 6, 7, 8}, Shape.of(4, 2), DType.FLOAT64);
            Storage r = b.scatterAdd(Shape.of(3, 2), 0, new int[] {2, 0, 2, 1}, src);
            // target 0 <- row 1; target 1 <- row 3; target 2 <- rows 0 and 2
            assertArrayEquals(new double[] {3, 4, 7, 8, 1 + INF, 2 + 6}, read(b, r));
        }
    }

    /** A 1-channel 3x3 input, a 2x2 kernel, padding 1: the gradients written out by hand. */
    @Test
    void convolution_gradients_match_a_direct_computation() {
        double[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        double[] w = {1, -1, 2, 0.5};
        int h = 3;
        int k = 2;
        int p = 1;
        int o = h + 2 * p - k + 1; // 4
        double[] g = new double[o * o];
        for (int i = 0; i < g.length; i++) {
            g[i] = i % 3 - 1;
        }
        double[] dx = new double[h * h];
        double[] dw = new double[k * k];
        for (int y = 0; y < o; y++) {
            for (int c = 0; c < o; c++) {
                for (int a = 0; a < k; a++) {
                    for (int bb = 0; bb < k; bb++) {
                        int iy = y + a - p;
                        int ix = c + bb - p;
                        if (iy >= 0 && iy < h && ix >= 0 && ix < h) {
                            dx[iy * h + ix] += g[y * o + c] * w[a * k + bb];
                            dw[a * k + bb] += g[y * o + c] * x[iy * h + ix];
                        }
                    }
                }
            }
        }
        try (DjlBackend b = start()) {
            for (DType dt : DType.values()) {
                Storage xs = b.fromDoubles(x.clone(), Shape.of(1, 1, h, h), dt);
                Storage ws = b.fromDoubles(w.clone(), Shape.of(1, 1, k, k), dt);
                Storage gs = b.fromDoubles(g.clone(), Shape.of(1, 1, o, o), dt);
                assertArrayEquals(dx, read(b, b.conv2dBackwardInput(gs, ws, Shape.of(1, 1, h, h), p, p)), 1e-6);
                assertArrayEquals(dw, read(b, b.conv2dBackwardWeight(xs, gs, Shape.of(1, 1, k, k), p, p)), 1e-6);
            }
        }
    }

    @Test
    void float64_values_that_are_not_floats_survive_full_and_transfer() {
        try (DjlBackend b = start()) {
            assertArrayEquals(new double[] {0.1, 0.1}, read(b, b.full(Shape.of(2), DType.FLOAT64, 0.1)));
            assertArrayEquals(new double[] {(float) 0.1}, read(b, b.full(Shape.of(1), DType.FLOAT32, 0.1)));
            float[] f = b.toFloats(b.fromDoubles(new double[] {1.0 / 3}, Shape.of(), DType.FLOAT64));
            assertArrayEquals(new float[] {(float) (1.0 / 3)}, f);
        }
    }
}
