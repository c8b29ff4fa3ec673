package org.flows4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.tensor.Tensor;

/**
 * The one closeness check of these tests: {@code |actual - expected| <= atol + rtol * |expected|},
 * with NaN matching only NaN and an infinity only the same infinity.
 *
 * <p>Tolerances. Float64: every expected value here is either exact in double or computed in
 * the test by a formula of a few operations, so {@code rtol = atol = 1e-12} leaves a thousand
 * ulps of room and still catches any real error. Float32: the backend rounds each result once
 * to float (relative error {@code <= 2^-24 ~ 6e-8}) and inputs such as 0.1 are rounded to
 * float before use (another {@code 6e-8}, amplified by the condition of the operation, at
 * most about 10 for the inputs used), so {@code rtol = atol = 1e-6}.
 */
final class Allclose {

    private Allclose() {
    }

    static double tolerance(DType dtype) {
        return dtype == DType.FLOAT64 ? 1e-12 : 1e-6;
    }

    /** Checks the shape and every element of {@code actual} with the tolerance of its dtype. */
    static void assertAllClose(double[] expected, Shape expectedShape, Tensor actual) {
        assertEquals(expectedShape, actual.shape(), "shape");
        double tol = tolerance(actual.dtype());
        assertAllClose(expected, actual.toDoubleArray(), tol, tol, actual.dtype().label());
    }

    /** Checks every element of {@code actual}. */
    static void assertAllClose(double[] expected, double[] actual, double rtol, double atol, String what) {
        assertEquals(expected.length, actual.length, what + ": number of elements");
        for (int i = 0; i < expected.length; i++) {
            if (!close(expected[i], actual[i], rtol, atol)) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]
                        + " (rtol " + rtol + ", atol " + atol + ")");
            }
        }
    }

    static boolean close(double expected, double actual, double rtol, double atol) {
        if (Double.isNaN(expected) || Double.isNaN(actual)) {
            return Double.isNaN(expected) && Double.isNaN(actual);
        }
        if (Double.isInfinite(expected) || Double.isInfinite(actual)) {
            return expected == actual;
        }
        return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
    }

    /** A tensor of {@code dtype} holding {@code data} (rounded to float for float32). */
    static Tensor tensor(Backend backend, DType dtype, double[] data, int... dims) {
        return Tensor.of(backend, dtype, data, Shape.of(dims));
    }

    /** {@code 0, 1, ..., n - 1}. */
    static double[] iota(int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = i;
        }
        return v;
    }
}
