package org.flows4j.backend.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;

/**
 * The elementwise primitives DJL's {@code NDArray} lacks or computes differently from the SPI,
 * composed from PyTorch operations in numerically stable forms. Each works in the operand's
 * own precision (float32 or float64) and releases its intermediates.
 *
 * <p>log1p and expm1 use Kahan's correction (W. Kahan, via N. J. Higham, <i>Accuracy and
 * Stability of Numerical Algorithms</i>, 2nd ed., section 1.14.1): with {@code u = fl(1 + x)},
 * {@code log1p(x) = log(u) * x / (u - 1)}, where the rounding error of {@code 1 + x} appears in
 * both {@code log(u)} and {@code u - 1} (computed exactly) and cancels, leaving a few ulps;
 * likewise {@code expm1(x) = (u - 1) * x / log(u)} with {@code u = fl(e^x)}. Both are used for
 * {@code |x| < 1/2}, where {@code u} is near 1 (and {@code u = 1} means {@code x} is below half
 * an ulp of 1, so the answer is {@code x}); farther out {@code log(1 + x)} and {@code e^x - 1}
 * lose at most a few ulps and keep the IEEE results at the infinities, where the corrected
 * forms would give {@code inf / inf}.
 */
final class Stable {

    private static final double NEAR_ZERO = 0.5;

    private Stable() {}

    /** {@code ln(1 + x)}: Kahan's form near 0, {@code log(1 + x)} elsewhere; NaN stays NaN. */
    static NDArray log1p(NDArray x, DjlBackend b) {
        DataType dt = x.getDataType();
        try (Temps t = new Temps()) {
            NDArray one = t.add(b.scalar(1, dt));
            NDArray u = t.add(x.add(one));
            NDArray logU = t.add(u.log());
            NDArray d = t.add(u.sub(one)); // exact: u is within a factor 2 of 1 where it is used
            NDArray corrected = t.add(t.add(logU.mul(x)).div(d));
            NDArray near = t.add(NDArrays.where(t.add(d.eq(t.add(b.scalar(0, dt)))), x, corrected));
            NDArray small = t.add(t.add(x.abs()).lt(t.add(b.scalar(NEAR_ZERO, dt))));
            return NDArrays.where(small, near, logU);
        }
    }

    /** {@code e^x - 1}: Kahan's form near 0, {@code e^x - 1} elsewhere (-1 at -inf); NaN stays NaN. */
    static NDArray expm1(NDArray x, DjlBackend b) {
        DataType dt = x.getDataType();
        try (Temps t = new Temps()) {
            NDArray one = t.add(b.scalar(1, dt));
            NDArray u = t.add(x.exp());
            NDArray d = t.add(u.sub(one));
            NDArray corrected = t.add(t.add(d.mul(x)).div(t.add(u.log())));
            NDArray near = t.add(NDArrays.where(t.add(d.eq(t.add(b.scalar(0, dt)))), x, corrected));
            NDArray small = t.add(t.add(x.abs()).lt(t.add(b.scalar(NEAR_ZERO, dt))));
            return NDArrays.where(small, near, d);
        }
    }

    /**
     * {@code ln(1 + e^x)}. In float32, PyTorch's own softplus: {@code log1p(e^x)}, and {@code x}
     * itself above 20, where the two differ by {@code log1p(e^-20) = 2e-9}, below half an ulp of
     * 20 in float32 (9.5e-7), so the threshold costs nothing there; one call where the composition
     * below takes about twenty (DJL has no log1p), 1.2 ms of each of {@code maf:images}' scales
     * on a [64, 784] batch. In float64 that threshold would show, so float64 keeps {@code max(x,
     * 0) + log1p(e^-|x|)}, whose exponential never overflows.
     */
    static NDArray softplus(NDArray x, DjlBackend b) {
        if (x.getDataType() == DataType.FLOAT32) {
            return x.getNDArrayInternal().softPlus();
        }
        try (Temps t = new Temps()) {
            NDArray e = t.add(t.add(t.add(x.abs()).neg()).exp());
            NDArray l = t.add(log1p(e, b));
            return t.add(x.getNDArrayInternal().relu()).add(l);
        }
    }

    /** {@code -1, 0, +1} by sign; PyTorch's sign gives 0 for NaN, the SPI NaN. */
    static NDArray sign(NDArray x) {
        try (Temps t = new Temps()) {
            return NDArrays.where(t.add(x.isNaN()), x, t.add(x.sign()));
        }
    }
}
