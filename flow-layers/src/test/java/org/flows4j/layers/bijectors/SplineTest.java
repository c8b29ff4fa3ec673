package org.flows4j.layers.bijectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rational-quadratic spline, in float64 on one scalar spline (every point of a batch gets
 * the same raw parameters): monotone and continuous, including at the knots and into the
 * tails; the inverse round trip to 1e-9 at points in the bins, exactly at the knots and in the
 * tails; the log-derivative against a central difference.
 */
class SplineTest {

    private static final int K = 6;
    private static final double B = 2.5;
    private static final RationalQuadraticSpline SPLINE =
            RationalQuadraticSpline.builder().bins(K).bound(B).build();

    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = Backends.create("cpu");
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    /** Raw parameters, {@code 3K - 1} of them, drawn with spread 1.5 so bins and slopes differ widely. */
    private static double[] raw(long seed) {
        return RandomSource.seeded(seed).normal(3 * K - 1);
    }

    private static List<Tensor> params(double[] u, int n) {
        List<Tensor> out = new ArrayList<>();
        for (double v : u) {
            out.add(Tensor.full(backend, DType.FLOAT64, org.flows4j.api.Shape.of(n, 1), v * 1.5));
        }
        return out;
    }

    /** The knots, computed here from the documented formula: {@code x} ones if {@code !heights}. */
    private static double[] knots(double[] u, boolean heights) {
        double[] w = new double[K];
        double max = Double.NEGATIVE_INFINITY;
        int off = heights ? K : 0;
        for (int i = 0; i < K; i++) {
            max = Math.max(max, 1.5 * u[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < K; i++) {
            w[i] = Math.exp(1.5 * u[off + i] - max);
            sum += w[i];
        }
        double[] knots = new double[K + 1];
        knots[0] = -B;
        double acc = 0;
        for (int i = 0; i < K; i++) {
            acc += 1e-3 + (1 - K * 1e-3) * w[i] / sum;
            knots[i + 1] = i == K - 1 ? B : -B + 2 * B * acc;
        }
        return knots;
    }

    private static CouplingTransform.Result apply(double[] u, double[] x, boolean inverse) {
        Tensor t = Tensor.of(backend, x, x.length, 1);
        List<Tensor> p = params(u, x.length);
        return inverse ? SPLINE.inverse(t, p) : SPLINE.forward(t, p);
    }

    /** Points in the bins, at every knot, just beside every knot, at +-B and in both tails. */
    private static double[] probes(double[] knots) {
        List<Double> xs = new ArrayList<>();
        for (double k : knots) {
            xs.add(k);
            xs.add(k - 1e-7);
            xs.add(k + 1e-7);
        }
        for (int i = 0; i < 200; i++) {
            xs.add(-4 + 8 * i / 199.0);
        }
        xs.add(-100.0);
        xs.add(37.0);
        return xs.stream().mapToDouble(Double::doubleValue).toArray();
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void monotoneAndContinuousAtTheKnotsAndTails(long seed) {
        double[] u = raw(seed);
        double[] grid = new double[20001];
        for (int i = 0; i < grid.length; i++) {
            grid[i] = -4 + 8.0 * i / (grid.length - 1);
        }
        double[] y = apply(u, grid, false).value().toDoubleArray();
        for (int i = 1; i < y.length; i++) {
            assertTrue(y[i] > y[i - 1], "not increasing between " + grid[i - 1] + " and " + grid[i]);
        }
        double[] knots = knots(u, false);
        double[] yKnots = knots(u, true);
        for (int k = 0; k <= K; k++) {
            double[] around = {knots[k] - 1e-9, knots[k], knots[k] + 1e-9};
            double[] v = apply(u, around, false).value().toDoubleArray();
            assertEquals(yKnots[k], v[1], 1e-12, "knot " + k + " maps to its height");
            assertEquals(v[1], v[0], 1e-7, "continuous from the left at knot " + k);
            assertEquals(v[1], v[2], 1e-7, "continuous from the right at knot " + k);
        }
        double[] tails =
                apply(u, new double[] {-B - 1, B + 1, -50, 50}, false).value().toDoubleArray();
        assertEquals(-B - 1, tails[0], 0.0);
        assertEquals(B + 1, tails[1], 0.0);
        assertEquals(-50, tails[2], 0.0);
        assertEquals(50, tails[3], 0.0);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void inverseRoundTripTo1e9IncludingKnotsAndTails(long seed) {
        double[] u = raw(seed);
        double[] x = probes(knots(u, false));
        CouplingTransform.Result f = apply(u, x, false);
        CouplingTransform.Result b = SPLINE.inverse(f.value(), params(u, x.length));
        double[] back = b.value().toDoubleArray();
        double[] ld = f.logDet().toDoubleArray();
        double[] ldInv = b.logDet().toDoubleArray();
        for (int i = 0; i < x.length; i++) {
            assertEquals(x[i], back[i], 1e-9 * Math.max(1, Math.abs(x[i])), "round trip at " + x[i]);
            assertEquals(-ld[i], ldInv[i], 1e-9, "inverse log-det at f(" + x[i] + ")");
        }
        // and from the y side: the y knots themselves
        double[] yk = knots(u, true);
        double[] xs = SPLINE.inverse(Tensor.of(backend, yk, yk.length, 1), params(u, yk.length))
                .value()
                .toDoubleArray();
        double[] xk = knots(u, false);
        for (int k = 0; k <= K; k++) {
            assertEquals(xk[k], xs[k], 1e-9, "inverse at y knot " + k);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void logDerivativeMatchesACentralDifference(long seed) {
        double[] u = raw(seed);
        double[] x = new double[300];
        for (int i = 0; i < x.length; i++) {
            x[i] = -3.5 + 7.0 * (i + 0.37) / x.length;
        }
        double h = 1e-6;
        double[] plus = x.clone();
        double[] minus = x.clone();
        for (int i = 0; i < x.length; i++) {
            plus[i] += h;
            minus[i] -= h;
        }
        double[] yp = apply(u, plus, false).value().toDoubleArray();
        double[] ym = apply(u, minus, false).value().toDoubleArray();
        double[] ld = apply(u, x, false).logDet().toDoubleArray();
        for (int i = 0; i < x.length; i++) {
            // central difference of a piecewise-smooth map: error O(h^2 f''') ~ 1e-10, rounding 1e-16 / h = 1e-10
            // (compared as derivatives: where the slope is ~1e-4 the difference's rounding is relatively larger)
            double numeric = (yp[i] - ym[i]) / (2 * h);
            assertEquals(numeric, Math.exp(ld[i]), 1e-9 + 1e-6 * numeric, "derivative at " + x[i]);
        }
    }

    @Test
    void zeroParametersAreTheIdentity() {
        double[] x = {-3, -1.2, 0, 0.4, 2.49, 7};
        CouplingTransform.Result r = apply(new double[3 * K - 1], x, false);
        double[] y = r.value().toDoubleArray();
        for (int i = 0; i < x.length; i++) {
            assertEquals(x[i], y[i], 1e-12);
            assertEquals(0, r.logDet().toDoubleArray()[i], 1e-12);
        }
    }

    @Test
    void settingsAreValidatedByName() {
        assertEquals(3 * 8 - 1, RationalQuadraticSpline.builder().build().parameterCount());
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> RationalQuadraticSpline.builder().bins(1).build())
                .getMessage()
                .contains("bins"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> RationalQuadraticSpline.builder().bound(-1).build())
                .getMessage()
                .contains("bound"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> RationalQuadraticSpline.builder().minBinWidth(0.2).build())
                .getMessage()
                .contains("minBinWidth"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> RationalQuadraticSpline.builder().minDerivative(0).build())
                .getMessage()
                .contains("minDerivative"));
    }
}
