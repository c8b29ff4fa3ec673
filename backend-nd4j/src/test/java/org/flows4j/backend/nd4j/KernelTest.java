package org.flows4j.backend.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.AdamStep;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.BinaryOp;
import org.flows4j.api.backend.CompareOp;
import org.flows4j.api.backend.ReduceOp;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.backend.UnaryOp;
import org.flows4j.testing.Tolerance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Hand-computed kernels, chosen where ND4J's own operation needed help (small arguments of
 * log1p, expm1 and tanh; NaN in sign, maximum, minimum and max; C99 pow) and at the size-0
 * and layout corner cases the backend answers itself. The conformance kit in
 * integration-tests checks everything else against the reference backend.
 *
 * <p>Tolerance, relative, as in {@link #check}: float64 1e-14 (each expected value is a
 * correctly rounded library result or a short exact formula, and a kernel is within a few
 * ulps of it); float32 (one rounding to float, 6e-8, of
 * a value computed from float inputs, plus the few ulps of ND4J's float functions, so 1e-6,
 * about 16 ulps).
 */
class KernelTest {

    private static final double NAN = Double.NaN;
    private static final double INF = Double.POSITIVE_INFINITY;

    private static Backend b;

    @BeforeAll
    static void start() {
        b = new Nd4jBackendProvider().create(BackendOptions.defaults());
    }

    @AfterAll
    static void stop() {
        b.close();
    }

    private static Storage of(DType dtype, double[] data, int... dims) {
        return b.fromDoubles(data.clone(), Shape.of(dims), dtype);
    }

    private static void check(double[] expected, Shape shape, Storage actual) {
        assertEquals(shape, actual.shape(), "shape");
        double tol = actual.dtype() == DType.FLOAT64 ? 1e-14 : 1e-6;
        double[] a = b.toDoubles(actual);
        assertEquals(expected.length, a.length, "elements");
        double[] e = new double[expected.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = actual.dtype() == DType.FLOAT64 ? expected[i] : (float) expected[i];
        }
        // Double.MIN_NORMAL as the floor: an expected 0 must come out as 0, up to a subnormal
        new Tolerance(tol, Double.MIN_NORMAL, "stated by the caller, relative to the expected value")
                .assertAllclose(actual.dtype().label(), a, e);
        b.free(actual);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void small_arguments_keep_full_relative_accuracy(DType dt) {
        double[] x = {1e-10, -1e-10, 3e-5, -3e-5, 0.5, -0.5, 0.0};
        Storage s = of(dt, x, 7);
        double[] xs = b.toDoubles(s);
        Shape shape = Shape.of(7);
        check(map(xs, Math::log1p), shape, b.unary(UnaryOp.LOG1P, s));
        check(map(xs, Math::expm1), shape, b.unary(UnaryOp.EXPM1, s));
        check(map(xs, Math::tanh), shape, b.unary(UnaryOp.TANH, s));
        b.free(s);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void softplus_is_accurate_far_below_zero_and_never_overflows(DType dt) {
        Storage s = of(dt, new double[] {-30, -1000, 30, 1000, 0, NAN}, 6);
        double[] expected = {Math.log1p(Math.exp(-30)), 0, 30 + Math.log1p(Math.exp(-30)), 1000, Math.log(2), NAN};
        check(expected, Shape.of(6), b.unary(UnaryOp.SOFTPLUS, s));
        b.free(s);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void nan_propagates_through_sign_relu_maximum_minimum_and_max(DType dt) {
        Storage x = of(dt, new double[] {NAN, -2, 0, 3}, 4);
        check(new double[] {NAN, -1, 0, 1}, Shape.of(4), b.unary(UnaryOp.SIGN, x));
        check(new double[] {NAN, 0, 0, 3}, Shape.of(4), b.unary(UnaryOp.RELU, x));
        // the NaN on either side, and broadcast: [2, 1] against [3]
        Storage col = of(dt, new double[] {NAN, 1}, 2, 1);
        Storage row = of(dt, new double[] {0, NAN, 2}, 3);
        check(new double[] {NAN, NAN, NAN, 1, NAN, 2}, Shape.of(2, 3), b.binary(BinaryOp.MAXIMUM, col, row));
        check(new double[] {NAN, NAN, NAN, 0, NAN, 1}, Shape.of(2, 3), b.binary(BinaryOp.MINIMUM, col, row));
        check(new double[] {NAN, NAN, NAN, 0, NAN, 1}, Shape.of(2, 3), b.binary(BinaryOp.MINIMUM, row, col));
        Storage m = of(dt, new double[] {1, NAN, 2, -INF, -INF, -INF}, 2, 3);
        check(new double[] {NAN, -INF}, Shape.of(2), b.reduce(ReduceOp.MAX, m, new int[] {1}, false));
        check(new double[] {1, NAN, 2}, Shape.of(1, 3), b.reduce(ReduceOp.MAX, m, new int[] {0}, true));
        for (Storage s : List.of(x, col, row, m)) {
            b.free(s);
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void pow_follows_c99(DType dt) {
        Storage a = of(dt, new double[] {1, -1, -1, 1, 2, -8, 0}, 7);
        Storage e = of(dt, new double[] {NAN, INF, -INF, INF, 0.5, 1.0 / 3, -1}, 7);
        check(new double[] {1, 1, 1, 1, Math.sqrt(2), NAN, INF}, Shape.of(7), b.binary(BinaryOp.POW, a, e));
        b.free(a);
        b.free(e);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void comparisons_and_where_follow_ieee(DType dt) {
        Storage a = of(dt, new double[] {NAN, 1, -0.0}, 3);
        Storage z = of(dt, new double[] {0}, 1);
        check(new double[] {1, 1, 0}, Shape.of(3), b.compare(CompareOp.NE, a, z));
        check(new double[] {0, 0, 1}, Shape.of(3), b.compare(CompareOp.LE, a, z));
        Storage t = of(dt, new double[] {10, 20, 30}, 3);
        Storage f = of(dt, new double[] {-1}, 1, 1);
        // NaN selects ifTrue, -0 selects ifFalse; the result broadcasts to [1, 3]
        check(new double[] {10, 20, -1}, Shape.of(1, 3), b.where(a, t, f));
        for (Storage s : List.of(a, z, t, f)) {
            b.free(s);
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void size_zero_cases_are_answered_without_nd4j(DType dt) {
        Storage empty = of(dt, new double[0], 0, 3);
        check(new double[] {0, 0, 0}, Shape.of(3), b.reduce(ReduceOp.SUM, empty, new int[] {0}, false));
        check(new double[] {NAN, NAN, NAN}, Shape.of(3), b.reduce(ReduceOp.MEAN, empty, new int[] {0}, false));
        check(new double[] {-INF, -INF, -INF}, Shape.of(1, 3), b.reduce(ReduceOp.MAX, empty, new int[] {0}, true));
        check(new double[0], Shape.of(0), b.reduce(ReduceOp.SUM, empty, new int[] {1}, false));
        check(new double[0], Shape.of(0, 3), b.unary(UnaryOp.EXP, empty));
        Storage k0a = of(dt, new double[0], 2, 0);
        Storage k0b = of(dt, new double[0], 0, 3);
        check(new double[6], Shape.of(2, 3), b.matmul(k0a, k0b, false, false));
        Storage part = of(dt, new double[] {1, 2, 3}, 1, 3);
        check(new double[] {1, 2, 3}, Shape.of(1, 3), b.concat(List.of(empty, part, empty), 0));
        check(new double[0], Shape.of(1, 0), b.gather(part, 1, new int[] {}));
        Storage none = of(dt, new double[0], 0, 2);
        check(new double[] {0, 0, 0, 0}, Shape.of(2, 2), b.scatterAdd(Shape.of(2, 2), 0, new int[] {}, none));
        b.free(none);
        for (Storage s : List.of(empty, k0a, k0b, part)) {
            b.free(s);
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void matmul_transposes_and_batches(DType dt) {
        Storage a = of(dt, new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Storage c = of(dt, new double[] {1, 0, 2, 1, 0, 3}, 2, 3);
        // a · c^T = [[1*1+2*0+3*2, 1*1+2*0+3*3], [4+0+12, 4+0+18]]
        check(new double[] {7, 10, 16, 22}, Shape.of(2, 2), b.matmul(a, c, false, true));
        // a^T · c = [3, 3]
        check(new double[] {5, 0, 14, 7, 0, 19, 9, 0, 24}, Shape.of(3, 3), b.matmul(a, c, true, false));
        Storage joined = b.concat(List.of(a, c), 0);
        Storage a3 = b.reshape(joined, Shape.of(2, 2, 3));
        check(new double[] {14, 32, 32, 77, 5, 7, 7, 10}, Shape.of(2, 2, 2), b.matmul(a3, a3, false, true));
        for (Storage s : List.of(a3, joined, a, c)) {
            b.free(s);
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void gather_and_scatter_add_repeat_indices(DType dt) {
        Storage x = of(dt, new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        check(new double[] {3, 3, 1, 6, 6, 4}, Shape.of(2, 3), b.gather(x, 1, new int[] {2, 2, 0}));
        // sources 0 and 2 add into index 1 along axis 1, source 1 into index 3
        check(
                new double[] {0, 4, 0, 2, 0, 10, 0, 5},
                Shape.of(2, 4),
                b.scatterAdd(Shape.of(2, 4), 1, new int[] {1, 3, 1}, x));
        check(new double[] {5, 7, 9, 0, 0, 0}, Shape.of(2, 3), b.scatterAdd(Shape.of(2, 3), 0, new int[] {0, 0}, x));
        b.free(x);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void layout_kernels_copy_into_row_major_order(DType dt) {
        Storage x = of(dt, new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        check(new double[] {1, 4, 2, 5, 3, 6}, Shape.of(3, 2), b.permute(x, new int[] {1, 0}));
        check(new double[] {2, 3, 5, 6}, Shape.of(2, 2), b.slice(x, 1, 1, 3));
        check(new double[] {1, 2, 3, 1, 2, 3}, Shape.of(2, 3), b.broadcastTo(b.slice(x, 0, 0, 1), Shape.of(2, 3)));
        Storage scalar = of(dt, new double[] {7}, 1, 1);
        Storage r0 = b.reshape(scalar, Shape.scalar());
        check(new double[] {49}, Shape.scalar(), b.binary(BinaryOp.MUL, r0, r0));
        assertSame(x, b.reshape(x, Shape.of(2, 3)), "reshape to the same shape returns the storage itself");
        b.free(r0);
        b.free(scalar);
        b.free(x);
    }

    /** Direct loops: cross-correlation, stride 1, zero padding. */
    private static double[] conv(double[] x, int[] xs, double[] w, int[] ws, int ph, int pw) {
        int oh = xs[2] + 2 * ph - ws[2] + 1;
        int ow = xs[3] + 2 * pw - ws[3] + 1;
        double[] o = new double[xs[0] * ws[0] * oh * ow];
        for (int n = 0; n < xs[0]; n++) {
            for (int k = 0; k < ws[0]; k++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double s = 0;
                        for (int c = 0; c < xs[1]; c++) {
                            for (int u = 0; u < ws[2]; u++) {
                                for (int v = 0; v < ws[3]; v++) {
                                    int y = i + u - ph;
                                    int z = j + v - pw;
                                    if (y >= 0 && y < xs[2] && z >= 0 && z < xs[3]) {
                                        s += x[((n * xs[1] + c) * xs[2] + y) * xs[3] + z]
                                                * w[((k * xs[1] + c) * ws[2] + u) * ws[3] + v];
                                    }
                                }
                            }
                        }
                        o[((n * ws[0] + k) * oh + i) * ow + j] = s;
                    }
                }
            }
        }
        return o;
    }

    /**
     * conv2d against direct loops, and both backward kernels through the adjoint identity
     * {@code <conv(x, w), g> = <dW, w> = <dX, x>} (both gradients of the bilinear form).
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void conv2d_and_its_backward_kernels(DType dt) {
        int[] xs = {3, 2, 5, 4};
        int[] ws = {3, 2, 3, 1};
        double[] x = new double[3 * 2 * 5 * 4];
        double[] w = new double[3 * 2 * 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = ((i * 7) % 11 - 5) / 4.0;
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = ((i * 5) % 7 - 3) / 2.0;
        }
        int ph = 2;
        int pw = 1;
        Storage xt = of(dt, x, xs);
        Storage wt = of(dt, w, ws);
        double[] expected = conv(x, xs, w, ws, ph, pw);
        Shape outShape = Shape.of(3, 3, 5 + 4 - 3 + 1, 4 + 2 - 1 + 1);
        Storage out = b.conv2d(xt, wt, ph, pw);
        assertEquals(outShape, out.shape());
        check(expected, outShape, out);
        double[] g = new double[outShape.size()];
        for (int i = 0; i < g.length; i++) {
            g[i] = ((i * 3) % 5 - 2) / 2.0;
        }
        Storage gt = of(dt, g, outShape.dims());
        double form = 0;
        for (int i = 0; i < g.length; i++) {
            form += expected[i] * g[i];
        }
        double[] dx = b.toDoubles(b.conv2dBackwardInput(gt, wt, Shape.of(xs), ph, pw));
        double[] dw = b.toDoubles(b.conv2dBackwardWeight(xt, gt, Shape.of(ws), ph, pw));
        double viaX = 0;
        for (int i = 0; i < x.length; i++) {
            viaX += dx[i] * x[i];
        }
        double viaW = 0;
        for (int i = 0; i < w.length; i++) {
            viaW += dw[i] * w[i];
        }
        // the inputs are multiples of 1/8 and the sums short, so float64 is exact and float32 close
        double tol = dt == DType.FLOAT64 ? 1e-12 : 1e-4;
        assertEquals(form, viaX, tol * Math.abs(form));
        assertEquals(form, viaW, tol * Math.abs(form));
        for (Storage s : List.of(xt, wt, gt)) {
            b.free(s);
        }
    }

    /** The in-place update gives the formula of {@link AdamStep} and returns the same three storages. */
    @ParameterizedTest
    @EnumSource(DType.class)
    void adam_updates_in_place(DType dt) {
        double[] p = {1, -2, 0.5};
        double[] g = {0.1, 0.2, -0.3};
        double[] m = {0.01, 0, -0.02};
        double[] v = {0.001, 0.002, 0};
        AdamStep step = new AdamStep(0.01, 0.9, 0.999, 1e-8, 0.1, 3);
        Storage ps = of(dt, p, 3);
        Storage gs = of(dt, g, 3);
        Storage ms = of(dt, m, 3);
        Storage vs = of(dt, v, 3);
        Storage[] out = b.adamUpdate(ps, gs, ms, vs, step);
        assertSame(ps, out[0]);
        assertSame(ms, out[1]);
        assertSame(vs, out[2]);
        double[] ep = new double[3];
        double[] em = new double[3];
        double[] ev = new double[3];
        for (int i = 0; i < 3; i++) {
            double gi = g[i] + 0.1 * p[i];
            em[i] = 0.9 * m[i] + 0.1 * gi;
            ev[i] = 0.999 * v[i] + 0.001 * gi * gi;
            ep[i] = p[i]
                    - 0.01
                            * (em[i] / step.firstBiasCorrection())
                            / (Math.sqrt(ev[i] / step.secondBiasCorrection()) + 1e-8);
        }
        double tol = dt == DType.FLOAT64 ? 1e-14 : 1e-5;
        assertArrayEquals(ep, b.toDoubles(ps), tol);
        assertArrayEquals(em, b.toDoubles(ms), tol);
        assertArrayEquals(ev, b.toDoubles(vs), tol);
        for (Storage s : List.of(ps, gs, ms, vs)) {
            b.free(s);
        }
    }

    private static double[] map(double[] x, java.util.function.DoubleUnaryOperator f) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = f.applyAsDouble(x[i]);
        }
        return y;
    }
}
