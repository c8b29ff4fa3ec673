package org.flows4j.api.random;

import java.math.BigDecimal;

/**
 * The natural logarithm in plain Java arithmetic, so that it gives the same bits on every JVM and
 * CPU (as {@link StrictMath#log} does) while the JIT can inline it: {@code StrictMath.log} and
 * {@code log1p} are native calls on JDK 17, and drawing a batch of logistic noise with them took
 * a tenth of sampling NICE.
 *
 * <p>The argument {@code x = 2^k m} with {@code m} in {@code [sqrt(1/2), sqrt(2)]}; with
 * {@code f = m - 1} (exact) and {@code s = f / (2 + f)}, {@code ln m = 2 atanh(s) = 2s (1 + s^2/3
 * + s^4/5 + ...)}. Since {@code |s| <= 0.1716}, ten terms of the series leave a truncation error
 * under {@code 2^-55} of the result, and {@code k ln 2} is added in two parts, the first of which
 * has 24 bits, so that its product with {@code k} is exact. The result is within 2 ulps of
 * {@code StrictMath.log} (itself within 1 of the exact value) over the tests' arguments; it is
 * not correctly rounded, and it is not {@code StrictMath.log}'s bits.
 */
final class PortableLog {

    private PortableLog() {}

    /** {@code ln 2} rounded to 24 bits: its product with any exponent is exact. */
    private static final double LN2_HI = (float) 0.6931471805599453;

    /** {@code ln 2 - LN2_HI}, to double precision. */
    private static final double LN2_LO = new BigDecimal("0.693147180559945309417232121458176568075500134360255")
            .subtract(new BigDecimal(LN2_HI))
            .doubleValue();

    /** The bits of {@code sqrt(1/2)} rounded to double. */
    private static final long SQRT_HALF_BITS = Double.doubleToRawLongBits(0.7071067811865476);

    /**
     * {@code ln x} for a positive normal {@code x}, the domain this package calls it on.
     *
     * @param x a positive, finite, normal double
     * @return the natural logarithm of {@code x}, within a few ulps
     */
    static double log(double x) {
        // x in [2^k sqrt(1/2), 2^k sqrt(2)) exactly when its bits lie in [c + k 2^52, c + (k+1) 2^52),
        // c the bits of sqrt(1/2): k and m without a branch, which random arguments mispredict
        long bits = Double.doubleToRawLongBits(x);
        long k = (bits - SQRT_HALF_BITS) >> 52;
        double m = Double.longBitsToDouble(bits - (k << 52));
        double f = m - 1.0;
        double s = f / (2.0 + f);
        double z = s * s;
        // p = 1/3 + z/5 + ... + z^8/19, by Horner's rule from the last term
        double p = 1.0 / 19;
        p = 1.0 / 17 + z * p;
        p = 1.0 / 15 + z * p;
        p = 1.0 / 13 + z * p;
        p = 1.0 / 11 + z * p;
        p = 1.0 / 9 + z * p;
        p = 1.0 / 7 + z * p;
        p = 1.0 / 5 + z * p;
        p = 1.0 / 3 + z * p;
        // ln m = 2s + 2s z p, and 2s = f - s f: f is exact, so the rounding of s reaches only
        // the correction s (f - 2 z p), about f^2 / 2, a fifth of the result or less
        double lnM = f - s * (f - 2.0 * z * p);
        return k * LN2_HI + (k * LN2_LO + lnM);
    }
}
