package org.flows4j.layers.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Component;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Layer;
import org.flows4j.testing.Tolerance;

/** Shared checks for the network tests: one allclose, a finite-difference gradient check, parameter helpers. */
public final class NetTesting {

    private NetTesting() {}

    /**
     * Asserts {@code |actual - expected| <= atol + rtol |expected|} elementwise, reporting the
     * first element that fails.
     */
    public static void assertAllClose(double[] expected, double[] actual, double atol, double rtol, String what) {
        new Tolerance(rtol, atol, "stated by the test").assertAllclose(what, actual, expected);
    }

    /** Every parameter's values, concatenated in name order. */
    public static double[] flatParameters(Component module) {
        List<Double> out = new ArrayList<>();
        for (Parameter p : module.parameters().values()) {
            for (double d : p.value().toDoubleArray()) {
                out.add(d);
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** A build context on {@code backend} seeded with {@code seed}. */
    public static BuildContext ctx(Backend backend, DType dtype, long seed) {
        return BuildContext.of(backend, dtype, RandomSource.seeded(seed));
    }

    /** The arrays one after the other. */
    public static double[] concat(double[]... parts) {
        int n = 0;
        for (double[] p : parts) {
            n += p.length;
        }
        double[] out = new double[n];
        int at = 0;
        for (double[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /**
     * Sets every parameter to uniform values in {@code [-scale, scale)}, so no layer is the
     * zero map and gradients reach every parameter.
     */
    public static void perturb(Component module, RandomSource random, double scale) {
        for (Parameter p : module.parameters().values()) {
            Backend b = p.value().backend();
            Tensor t = random.uniform(b, p.dtype(), p.shape(), -scale, scale);
            p.set(t);
            t.free();
        }
    }

    /** The weighted sum {@code sum(net(x) * w)}: a scalar whose gradient reaches every output. */
    static Tensor loss(Layer net, Tensor x, Tensor w) {
        return net.apply(x).mul(w).sum();
    }

    /**
     * Compares autodiff gradients of {@code sum(net(x) * w)} (w random) with central finite
     * differences {@code (L(p + h) - L(p - h)) / 2h} at {@code samples} random elements of every
     * parameter, in float64. With {@code h = 1e-6} the truncation error is {@code O(h^2)} times
     * the third derivative and the rounding error about {@code 1e-16 |L| / h = 1e-10 |L|}, so
     * {@code atol 1e-7, rtol 1e-6} leaves a wide margin while catching any wrong rule, whose
     * error is of the size of the gradient itself.
     */
    public static void checkGradients(Layer net, Tensor x, RandomSource random, int samples) {
        Backend b = x.backend();
        Tensor out = Autodiff.noGrad(() -> net.apply(x));
        Tensor w = random.uniform(b, x.dtype(), out.shape(), -1, 1);
        Map<String, Parameter> params = net.parameters();
        List<String> names = new ArrayList<>(params.keySet());
        List<Tensor> values = new ArrayList<>();
        for (String n : names) {
            values.add(params.get(n).value());
        }
        List<Tensor> grads = Autodiff.grad(loss(net, x, w), values);
        double h = 1e-6;
        for (int k = 0; k < names.size(); k++) {
            Parameter p = params.get(names.get(k));
            double[] g = grads.get(k).toDoubleArray();
            double[] base = p.value().toDoubleArray();
            boolean anyNonZero = false;
            for (int s = 0; s < samples; s++) {
                int i = random.nextInt(base.length);
                double plus = lossWith(net, x, w, p, base, i, h);
                double minus = lossWith(net, x, w, p, base, i, -h);
                double numeric = (plus - minus) / (2 * h);
                assertAllClose(
                        new double[] {numeric},
                        new double[] {g[i]},
                        1e-7,
                        1e-6,
                        "gradient of " + names.get(k) + "[" + i + "]");
                anyNonZero |= numeric != 0;
            }
            restore(p, base);
            assertTrue(
                    anyNonZero || samples == 0,
                    "every sampled gradient of " + names.get(k) + " is zero: the check would not see a wrong rule");
        }
        w.free();
        out.free();
    }

    private static double lossWith(Layer net, Tensor x, Tensor w, Parameter p, double[] base, int i, double h) {
        double[] d = base.clone();
        d[i] += h;
        restore(p, d);
        return Autodiff.noGrad(() -> loss(net, x, w)).item();
    }

    private static void restore(Parameter p, double[] values) {
        Tensor t = Tensor.of(p.value().backend(), p.dtype(), values, p.shape());
        p.set(t);
        t.free();
    }

    /** A float64 input of uniform values in [-1, 1). */
    public static Tensor input(Backend backend, RandomSource random, int... dims) {
        return random.uniform(backend, DType.FLOAT64, Shape.of(dims), -1, 1);
    }
}
