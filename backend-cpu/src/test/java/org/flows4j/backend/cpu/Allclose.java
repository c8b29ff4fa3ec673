package org.flows4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.testing.Tolerance;

/**
 * The closeness checks of these tests, on flows4j-testing's {@link Tolerance} (the one
 * {@code allclose}: {@code |actual - expected| <= atol + rtol * |expected|}, NaN matching only
 * NaN and an infinity only the same infinity).
 *
 * <p>Tolerances, tighter than the conformance kit's because every expected value here is exact
 * in double or computed in the test by a formula of a few operations. Float64:
 * {@code rtol = atol = 1e-12} leaves a thousand ulps of room and still catches any real error.
 * Float32: the backend rounds each result once to float (relative error {@code <= 2^-24 ~ 6e-8})
 * and inputs such as 0.1 are rounded to float before use (another {@code 6e-8}, amplified by the
 * condition of the operation, at most about 10 for the inputs used), so {@code rtol = atol = 1e-6}.
 */
final class Allclose {

    static final Tolerance FLOAT64 =
            new Tolerance(1e-12, 1e-12, "float64, expected values exact or a few operations: ~1000 ulps of room");
    static final Tolerance FLOAT32 = new Tolerance(
            1e-6, 1e-6, "float32, one rounding of the result and of each input (6e-8 each, condition <= 10)");

    private Allclose() {}

    static Tolerance of(DType dtype) {
        return dtype == DType.FLOAT64 ? FLOAT64 : FLOAT32;
    }

    static double tolerance(DType dtype) {
        return of(dtype).rtol();
    }

    /** Checks the shape and every element of {@code actual} with the tolerance of its dtype. */
    static void assertAllClose(double[] expected, Shape expectedShape, Tensor actual) {
        assertEquals(expectedShape, actual.shape(), "shape");
        of(actual.dtype()).assertAllclose(actual.dtype().label(), actual.toDoubleArray(), expected);
    }

    /** Checks every element of {@code actual}. */
    static void assertAllClose(double[] expected, double[] actual, double rtol, double atol, String what) {
        new Tolerance(rtol, atol, "stated by the test").assertAllclose(what, actual, expected);
    }

    static boolean close(double expected, double actual, double rtol, double atol) {
        return new Tolerance(rtol, atol, "stated by the test").close(actual, expected);
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
