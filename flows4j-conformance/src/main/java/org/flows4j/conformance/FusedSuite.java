package org.flows4j.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.AdamStep;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.backend.UnaryOp;
import org.flows4j.testing.Tolerance;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;

/**
 * The SPI's fused kernels ({@link Backend#linear}, {@link Backend#reluBackward},
 * {@link Backend#affineCoupling}, {@link Backend#sumOfSquares}, {@link Backend#adamUpdate}) on
 * the backend under test against a host computation of their formulas: a backend that overrides
 * one must give the composition's values. The dense layer and the sum of squares accumulate, so
 * their error is bounded relative to the sum of the absolute terms; the others round once per
 * operation.
 */
final class FusedSuite {

    private final Session session;
    private final long seed;
    private final DType dtype;

    private FusedSuite(Session session, long seed, DType dtype) {
        this.session = session;
        this.seed = seed;
        this.dtype = dtype;
    }

    static DynamicContainer container(Session session, long seed, DType dtype) {
        FusedSuite s = new FusedSuite(session, seed, dtype);
        List<DynamicNode> tests = new ArrayList<>();
        for (UnaryOp act : new UnaryOp[] {null, UnaryOp.RELU, UnaryOp.TANH}) {
            for (boolean bias : new boolean[] {true, false}) {
                String name = "linear [17, 9]·[9, 5]" + (bias ? " + b" : "") + (act == null ? "" : " then " + act) + " "
                        + dtype.label();
                tests.add(DynamicTest.dynamicTest(name, () -> s.linear(17, 9, 5, bias, act)));
            }
        }
        tests.add(DynamicTest.dynamicTest(
                "linear with an empty batch [0, 4]·[4, 3] " + dtype.label(),
                () -> s.linear(0, 4, 3, true, UnaryOp.RELU)));
        tests.add(DynamicTest.dynamicTest("reluBackward [4, 7] " + dtype.label(), s::reluBackward));
        for (boolean inverse : new boolean[] {false, true}) {
            tests.add(DynamicTest.dynamicTest(
                    "affineCoupling " + (inverse ? "inverse" : "forward") + " [3, 8] " + dtype.label(),
                    () -> s.affineCoupling(inverse)));
        }
        // 1041 = 65 vectors of 16 and one element, 70,001 crosses blocks of 65,536: a kernel that
        // runs in lanes, runs or blocks must not drop or repeat a piece at any of those seams
        for (int n : new int[] {1, 37, 1041, 70_001}) {
            tests.add(DynamicTest.dynamicTest("sumOfSquares [" + n + "] " + dtype.label(), () -> s.sumOfSquares(n)));
        }
        tests.add(DynamicTest.dynamicTest(
                "sumOfSquares of nothing, of a NaN and of an overflowing square " + dtype.label(),
                s::sumOfSquaresSpecialValues));
        for (double scale : new double[] {1, 0.3}) {
            for (double decay : new double[] {0, 0.01}) {
                tests.add(DynamicTest.dynamicTest(
                        "adamUpdate [5, 7], gradient scale " + scale + ", weight decay " + decay + " " + dtype.label(),
                        () -> s.adamUpdate(scale, decay)));
            }
        }
        return DynamicContainer.dynamicContainer("fused kernels [" + dtype.label() + "]", tests);
    }

    private Tolerance tolerance() {
        return Tolerance.of(dtype == DType.FLOAT32, false);
    }

    /** Values rounded to the dtype, so that the host computes with exactly what the backend holds. */
    private double[] values(Random r, int n, double scale) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            double x = r.nextGaussian() * scale;
            v[i] = dtype == DType.FLOAT32 ? (float) x : x;
        }
        return v;
    }

    private void linear(int n, int in, int out, boolean withBias, UnaryOp act) {
        Backend b = session.target();
        // The ordinal only varies the seed of the random inputs between activations: reordering
        // UnaryOp would change which inputs a case draws, never what is checked against them.
        @SuppressWarnings("EnumOrdinal")
        Random r =
                new Random(seed ^ (31L * n + 7L * in + out + (withBias ? 1 : 0) + (act == null ? 0 : act.ordinal())));
        double[] x = values(r, n * in, 1);
        double[] w = values(r, in * out, 0.5);
        double[] bias = values(r, out, 0.5);
        double[] expected = new double[n * out];
        double[] scale = new double[n * out];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < out; j++) {
                double sum = withBias ? bias[j] : 0;
                double abs = withBias ? Math.abs(bias[j]) : 0;
                for (int k = 0; k < in; k++) {
                    sum += x[i * in + k] * w[k * out + j];
                    abs += Math.abs(x[i * in + k] * w[k * out + j]);
                }
                expected[i * out + j] = act == null ? sum : act == UnaryOp.RELU ? Math.max(sum, 0) : Math.tanh(sum);
                scale[i * out + j] = abs;
            }
        }
        Storage xs = b.fromDoubles(x, Shape.of(n, in), dtype);
        Storage ws = b.fromDoubles(w, Shape.of(in, out), dtype);
        Storage bs = withBias ? b.fromDoubles(bias, Shape.of(out), dtype) : null;
        Storage y = b.linear(xs, ws, bs, act);
        try {
            if (!y.shape().equals(Shape.of(n, out)) || y.dtype() != dtype) {
                throw new AssertionError("linear returned " + y.shape() + " " + y.dtype() + ", expected "
                        + Shape.of(n, out) + " " + dtype);
            }
            tolerance().assertAllclose("linear", b.toDoubles(y), expected, scale);
        } finally {
            b.free(y);
            b.free(xs);
            b.free(ws);
            if (bs != null) {
                b.free(bs);
            }
        }
    }

    private void reluBackward() {
        Backend b = session.target();
        Random r = new Random(seed ^ 0x5EED);
        double[] g = values(r, 28, 1);
        double[] y = values(r, 28, 1);
        y[3] = 0;
        y[5] = Double.NaN;
        double[] expected = new double[28];
        for (int i = 0; i < 28; i++) {
            expected[i] = Double.isNaN(y[i]) ? Double.NaN : y[i] > 0 ? g[i] : y[i] < 0 ? -g[i] : 0 * g[i];
        }
        Storage gs = b.fromDoubles(g, Shape.of(4, 7), dtype);
        Storage ys = b.fromDoubles(y, Shape.of(4, 7), dtype);
        Storage out = b.reluBackward(gs, ys);
        try {
            // g * sign(y): a selection and a sign change, which round nothing
            Tolerance.EXACT.assertAllclose("reluBackward", b.toDoubles(out), expected);
        } finally {
            b.free(out);
            b.free(gs);
            b.free(ys);
        }
    }

    private void affineCoupling(boolean inverse) {
        Backend b = session.target();
        Random r = new Random(seed ^ (inverse ? 0xC0FFEEL : 0xBEEFL));
        double[] x = values(r, 24, 1);
        double[] s = values(r, 24, 0.5);
        double[] t = values(r, 24, 1);
        double[] expected = new double[24];
        double[] scale = new double[24];
        for (int i = 0; i < 24; i++) {
            expected[i] = inverse ? (x[i] - t[i]) * Math.exp(-s[i]) : x[i] * Math.exp(s[i]) + t[i];
            // the product and the sum each round once: relative to their absolute terms
            scale[i] = inverse
                    ? (Math.abs(x[i]) + Math.abs(t[i])) * Math.exp(-s[i])
                    : Math.abs(x[i]) * Math.exp(s[i]) + Math.abs(t[i]);
        }
        Storage xs = b.fromDoubles(x, Shape.of(3, 8), dtype);
        Storage ss = b.fromDoubles(s, Shape.of(3, 8), dtype);
        Storage ts = b.fromDoubles(t, Shape.of(3, 8), dtype);
        Storage y = b.affineCoupling(xs, ss, ts, inverse);
        try {
            tolerance().assertAllclose("affineCoupling", b.toDoubles(y), expected, scale);
        } finally {
            b.free(y);
            b.free(xs);
            b.free(ss);
            b.free(ts);
        }
    }

    /** {@code x} rounded to the dtype, as the backend holds and computes it. */
    private double round(double x) {
        return dtype == DType.FLOAT32 ? (float) x : x;
    }

    private void sumOfSquares(int n) {
        Backend b = session.target();
        Random r = new Random(seed ^ (0x5150L + n));
        double[] x = values(r, n, 3);
        double expected = 0;
        for (double v : x) {
            expected += round(v * v);
        }
        // every term is positive, so the sum is its own error scale: naive float32 summation of
        // n terms is within n * 6e-8 of it (4.2e-3 at 70,001), float64 within n * 1.1e-16
        Tolerance t = dtype == DType.FLOAT32
                ? new Tolerance(Math.max(1e-4, n * 6e-8), 0, "float32: naive summation of n positive terms, n * 6e-8")
                : Tolerance.FLOAT64;
        Storage xs = b.fromDoubles(x, Shape.of(n), dtype);
        try {
            double got = b.sumOfSquares(xs);
            if (!t.close(got, expected)) {
                throw new AssertionError("sumOfSquares of " + n + " elements: " + got + ", expected " + expected
                        + " within rtol " + t.rtol() + " (" + t.source() + ")");
            }
        } finally {
            b.free(xs);
        }
    }

    private void sumOfSquaresSpecialValues() {
        Backend b = session.target();
        Storage empty = b.fromDoubles(new double[0], Shape.of(0, 3), dtype);
        Storage nan = b.fromDoubles(new double[] {1, Double.NaN, 2}, Shape.of(3), dtype);
        // 3e19 squared is 9e38: beyond float32 (about 3.4e38), within float64
        Storage big = b.fromDoubles(new double[] {1, 3e19, 2}, Shape.of(3), dtype);
        try {
            double none = b.sumOfSquares(empty);
            if (none != 0) {
                throw new AssertionError("sumOfSquares of no elements: " + none + ", expected 0");
            }
            double withNan = b.sumOfSquares(nan);
            if (!Double.isNaN(withNan)) {
                throw new AssertionError("sumOfSquares with a NaN element: " + withNan + ", expected NaN");
            }
            double overflow = b.sumOfSquares(big);
            double expected = dtype == DType.FLOAT32 ? Double.POSITIVE_INFINITY : 5 + 9e38;
            if (!Tolerance.FLOAT64.close(overflow, expected)) {
                throw new AssertionError("sumOfSquares of [1, 3e19, 2] in " + dtype.label() + ": " + overflow
                        + ", expected " + expected + (dtype == DType.FLOAT32 ? " (the square overflows float32)" : ""));
            }
        } finally {
            b.free(empty);
            b.free(nan);
            b.free(big);
        }
    }

    /**
     * One Adam update against the formula of {@link AdamStep} computed on the host, each operation
     * rounded to the dtype in the order the composed default takes them.
     */
    private void adamUpdate(double gradScale, double decay) {
        Backend b = session.target();
        Random r = new Random(seed ^ Double.doubleToLongBits(gradScale + 3 * decay));
        int n = 35;
        double[] p = values(r, n, 1);
        double[] g = values(r, n, 2);
        double[] m = values(r, n, 0.1);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = round(Math.abs(r.nextGaussian()) * 0.01);
        }
        AdamStep step = new AdamStep(1e-2, 0.9, 0.999, 1e-8, decay, 3, gradScale);
        double sc = round(gradScale);
        double wd = round(decay);
        double b1 = round(step.beta1());
        double nb1 = round(1 - step.beta1());
        double b2 = round(step.beta2());
        double nb2 = round(1 - step.beta2());
        double c1 = round(step.firstBiasCorrection());
        double c2 = round(step.secondBiasCorrection());
        double eps = round(step.epsilon());
        double lr = round(step.learningRate());
        double[] ep = new double[n];
        double[] em = new double[n];
        double[] ev = new double[n];
        for (int i = 0; i < n; i++) {
            double gi = round(g[i] * sc);
            if (decay != 0) {
                gi = round(gi + round(p[i] * wd));
            }
            em[i] = round(round(m[i] * b1) + round(gi * nb1));
            ev[i] = round(round(v[i] * b2) + round(round(gi * gi) * nb2));
            double denom = round(round(Math.sqrt(round(ev[i] / c2))) + eps);
            ep[i] = round(p[i] - round(round(round(em[i] / c1) / denom) * lr));
        }
        Shape shape = Shape.of(5, 7);
        Storage ps = b.fromDoubles(p, shape, dtype);
        Storage gs = b.fromDoubles(g, shape, dtype);
        Storage ms = b.fromDoubles(m, shape, dtype);
        Storage vs = b.fromDoubles(v, shape, dtype);
        Storage[] out = b.adamUpdate(ps, gs, ms, vs, step);
        try {
            if (out == null || out.length != 3) {
                throw new AssertionError("adamUpdate must return 3 storages");
            }
            String what = "adamUpdate (gradient scale " + gradScale + ", decay " + decay + ")";
            tolerance().assertAllclose(what + " parameter", b.toDoubles(out[0]), ep);
            tolerance().assertAllclose(what + " first moment", b.toDoubles(out[1]), em);
            tolerance().assertAllclose(what + " second moment", b.toDoubles(out[2]), ev);
            if (!java.util.Arrays.equals(b.toDoubles(gs), g)) {
                throw new AssertionError(what + " changed the gradient, which it must only read");
            }
        } finally {
            java.util.Set<Storage> owned = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            owned.addAll(java.util.Arrays.asList(ps, gs, ms, vs));
            if (out != null) {
                owned.addAll(java.util.Arrays.asList(out));
            }
            owned.forEach(b::free);
        }
    }
}
