package org.flows4j.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.backend.UnaryOp;
import org.flows4j.testing.Tolerance;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;

/**
 * The SPI's fused kernels ({@link Backend#linear}, {@link Backend#reluBackward},
 * {@link Backend#affineCoupling}) on the backend under test against a host computation of
 * their formulas: a backend that overrides one must give the composition's values. The dense
 * layer accumulates, so its error is bounded relative to the sum of the absolute terms
 * ({@code |x| |W| + |b|}); the others round once per operation.
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
}
