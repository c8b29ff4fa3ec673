package org.flows4j.testing;

import java.util.Arrays;

/**
 * The one definition of "close enough" in flows4j's tests and its conformance kit: an element {@code a} matches an
 * expected element {@code b} when
 *
 * <pre>{@code |a - b| <= atol + rtol * scale}</pre>
 *
 * <p>where {@code scale} is {@code |b|} for a value computed by one rounding of an exact
 * result (elementwise kernels), and the sum of the absolute values of the terms for a value
 * that accumulates (sums, means, matrix products, convolutions, log-sum-exp): the rounding
 * error of a sum is bounded relative to its terms, not to its result, which may cancel to
 * almost nothing. The kit gets that scale by running the same operation on the absolute
 * values of the inputs ({@code |A|·|B|} for a matrix product).
 *
 * <p>Special values: NaN matches only NaN; an infinity matches only the same infinity;
 * {@code -0.0} matches {@code 0.0}. A scale that is infinite or NaN (the terms overflowed)
 * bounds nothing, so then only an equal value matches.
 *
 * @param rtol the bound relative to the scale
 * @param atol the absolute floor
 * @param source where the numbers come from, shown in every failure
 */
public record Tolerance(double rtol, double atol, String source) {

    /**
     * Data movement (reshape, permute, slice, concat, gather, broadcast), comparisons,
     * {@code where}, casts and sign-like kernels: they compute nothing that rounds, so
     * every bit must match.
     */
    public static final Tolerance EXACT =
            new Tolerance(0, 0, "exact: the kernel moves, selects or rounds once to the target dtype");

    /**
     * float64 arithmetic. Elementwise kernels are correctly rounded or within a few ulps
     * (2^-53 ~ 1.1e-16 each) in any libm; an accumulation of n &lt;= 10^4 terms is within
     * n * 1.1e-16 &lt;= 1.1e-12 of the sum of its absolute terms even summed naively. 1e-10
     * leaves two orders of magnitude above both while any wrong formula, index or
     * broadcast is off by far more. No absolute floor: the checks use no values that
     * underflow, so a relative bound is meaningful down to the smallest result.
     */
    public static final Tolerance FLOAT64 = new Tolerance(
            1e-10, 0, "float64: a few ulps (1.1e-16) per kernel, n * 1.1e-16 for sums of n <= 10^4 terms");

    /**
     * float32 arithmetic. Unit roundoff is 2^-24 ~ 6e-8; vectorized or GPU transcendental
     * kernels are within a few ulps (~1e-6 relative) and naive float32 summation of the
     * n &lt;= 1000 terms the kit uses is within n * 6e-8 = 6e-5 of the absolute sum, so rtol is
     * 1e-4. The absolute floor 1e-6 is about 8 ulps of a value of order 1 (ulp(1) = 1.2e-7):
     * a result that nearly cancels (tanh or expm1 near 0 computed through exp, a difference
     * of close values) carries an absolute error of a few ulps of its O(1) operands, which
     * no relative bound on the tiny result can express.
     */
    public static final Tolerance FLOAT32 = new Tolerance(
            1e-4,
            1e-6,
            "float32: rtol 1e-4 (n * 6e-8 for n <= 1000 terms, a few ulps per kernel), "
                    + "atol 1e-6 (~8 ulps of O(1) operands)");

    /**
     * An autodiff gradient against a central finite difference in float64 with step
     * {@code h = 1e-6 max(1, |x|)}. The difference carries a truncation error
     * {@code h^2 |f'''| / 6 ~ 1e-12} and a rounding error {@code 1.1e-16 * S / h ~ 1e-10 S},
     * where S is the sum of the absolute terms of the loss (at most ~100 in the kit's
     * checks), so below 1e-8; atol 1e-6 and rtol 1e-5 stay two orders above that, while a
     * wrong backward rule (a missing factor, a gradient not summed back over a broadcast
     * axis) is off by O(1).
     */
    public static final Tolerance GRADIENT = new Tolerance(
            1e-5,
            1e-6,
            "finite differences, h = 1e-6 max(1, |x|): truncation ~1e-12, rounding ~1e-10 * sum|loss terms|");

    /**
     * Validates.
     *
     * @param rtol the bound relative to the scale, {@code >= 0}; 0 means no relative slack
     * @param atol the absolute floor, {@code >= 0}; 0 means no absolute slack
     * @param source where the numbers come from, shown in every failure; not null or blank
     * @throws IllegalArgumentException if {@code rtol} or {@code atol} is negative or NaN, or
     *         {@code source} is null or blank
     */
    public Tolerance {
        if (!(rtol >= 0) || !(atol >= 0)) {
            throw new IllegalArgumentException("tolerances must be >= 0, got rtol " + rtol + ", atol " + atol);
        }
        if (source == null || source.isBlank()) {
            throw new IllegalArgumentException("every tolerance says where it comes from");
        }
    }

    /**
     * {@link #EXACT} for exact kernels, else the arithmetic tolerance of the precision
     * ({@link #FLOAT32} or {@link #FLOAT64}).
     *
     * @param float32 whether the values were computed in float32 rather than float64
     * @param exact whether the computation involves no rounding (data movement, selection)
     * @return {@link #EXACT} when {@code exact}, else {@link #FLOAT32} or {@link #FLOAT64}
     */
    public static Tolerance of(boolean float32, boolean exact) {
        if (exact) {
            return EXACT;
        }
        return float32 ? FLOAT32 : FLOAT64;
    }

    /**
     * This tolerance with another absolute floor, stated and justified by the caller in {@code why}.
     *
     * @param newAtol the absolute floor that replaces {@link #atol()}, {@code >= 0}
     * @param why why the floor is needed; appended to {@link #source()} and shown in every failure
     * @return a new tolerance with the same {@code rtol}; this one is unchanged
     * @throws IllegalArgumentException if {@code newAtol} is negative or NaN
     */
    public Tolerance withAtol(double newAtol, String why) {
        return new Tolerance(rtol, newAtol, source + "; atol " + newAtol + ": " + why);
    }

    /**
     * This tolerance with another relative bound, stated and justified by the caller in {@code why}.
     *
     * @param newRtol the relative bound that replaces {@link #rtol()}, {@code >= 0}
     * @param why why the bound is needed; appended to {@link #source()} and shown in every failure
     * @return a new tolerance with the same {@code atol}; this one is unchanged
     * @throws IllegalArgumentException if {@code newRtol} is negative or NaN
     */
    public Tolerance withRtol(double newRtol, String why) {
        return new Tolerance(newRtol, atol, source + "; rtol " + newRtol + ": " + why);
    }

    /**
     * Throws an {@link AssertionError} naming {@code what} unless one value matches with scale {@code |expected|}.
     *
     * @param what what the value is, the start of the failure message
     * @param actual the computed value
     * @param expected the reference value
     * @throws AssertionError if {@code actual} does not match {@code expected}; the message gives both, their
     *         difference, the bound and this tolerance's source
     */
    public void assertClose(String what, double actual, double expected) {
        if (!close(actual, expected)) {
            throw new AssertionError(what + ": " + actual + " expected " + expected + " (|diff| "
                    + Math.abs(actual - expected) + ", bound " + (atol + rtol * Math.abs(expected)) + "; rtol " + rtol
                    + ", atol " + atol + ": " + source + ")");
        }
    }

    /**
     * Whether {@code actual} matches {@code expected} with the scale {@code |expected|}.
     *
     * @param actual the computed value
     * @param expected the reference value
     * @return whether {@code |actual - expected| <= atol + rtol * |expected|}, with the special values
     *         matching as the class comment says
     */
    public boolean close(double actual, double expected) {
        return close(actual, expected, Math.abs(expected));
    }

    /**
     * Whether {@code actual} matches {@code expected} with the given error scale.
     *
     * @param actual the computed value
     * @param expected the reference value
     * @param scale the magnitude the rounding error is relative to (its sign is ignored), e.g. the sum of the
     *        absolute terms of an accumulation; infinite or NaN means only an equal value matches
     * @return whether {@code |actual - expected| <= atol + rtol * |scale|}, with the special values matching
     *         as the class comment says
     */
    public boolean close(double actual, double expected, double scale) {
        if (Double.isNaN(actual) || Double.isNaN(expected)) {
            return Double.isNaN(actual) && Double.isNaN(expected);
        }
        if (Double.isInfinite(actual) || Double.isInfinite(expected)) {
            return actual == expected;
        }
        double bound = atol + rtol * Math.abs(scale);
        if (!Double.isFinite(bound)) {
            // a scale that overflowed or is NaN bounds nothing: only the same value matches
            return actual == expected;
        }
        return Math.abs(actual - expected) <= bound;
    }

    /**
     * Whether the arrays have one length and match element by element with scale {@code |expected|}.
     *
     * @param actual the computed values; not null
     * @param expected the reference values; not null
     * @return whether the lengths are equal and every element is {@link #close(double, double) close}
     */
    public boolean allclose(double[] actual, double[] expected) {
        return allclose(actual, expected, abs(expected));
    }

    /**
     * Whether the arrays have one length and match element by element with the given scales.
     *
     * @param actual the computed values; not null
     * @param expected the reference values; not null
     * @param scale the error scale of each element, as in {@link #close(double, double, double)}; not null
     * @return whether the three lengths are equal and every element is close with its scale
     */
    public boolean allclose(double[] actual, double[] expected, double[] scale) {
        return mismatch(actual, expected, scale) == null;
    }

    /**
     * Throws an {@link AssertionError} naming {@code what}, the first mismatching elements
     * and this tolerance unless {@code actual} matches {@code expected} with the given scales.
     *
     * @param what what the values are, the start of the failure message
     * @param actual the computed values; not null
     * @param expected the reference values; not null
     * @param scale the error scale of each element, as in {@link #close(double, double, double)}; not null
     * @throws AssertionError if the lengths differ or any element does not match; the message is
     *         {@code what} followed by {@link #mismatch(double[], double[], double[])}
     */
    public void assertAllclose(String what, double[] actual, double[] expected, double[] scale) {
        String m = mismatch(actual, expected, scale);
        if (m != null) {
            throw new AssertionError(what + ": " + m);
        }
    }

    /**
     * As {@link #assertAllclose(String, double[], double[], double[])} with scale {@code |expected|}.
     *
     * @param what what the values are, the start of the failure message
     * @param actual the computed values; not null
     * @param expected the reference values; not null
     * @throws AssertionError if the lengths differ or any element does not match
     */
    public void assertAllclose(String what, double[] actual, double[] expected) {
        assertAllclose(what, actual, expected, abs(expected));
    }

    /**
     * A description of how the arrays differ, or {@code null} when they match.
     *
     * @param actual the computed values; not null
     * @param expected the reference values; not null
     * @param scale the error scale of each element, as in {@link #close(double, double, double)}; not null
     * @return {@code null} when the lengths are equal and every element matches; else a message naming the
     *         differing lengths, or the number of mismatching elements, the first five of them (index, values,
     *         difference, bound) and this tolerance
     */
    public String mismatch(double[] actual, double[] expected, double[] scale) {
        if (actual.length != expected.length || scale.length != expected.length) {
            return "lengths differ: " + actual.length + " values, " + expected.length + " expected"
                    + (scale.length != expected.length ? ", " + scale.length + " scales" : "");
        }
        StringBuilder b = new StringBuilder();
        int bad = 0;
        for (int i = 0; i < actual.length; i++) {
            if (!close(actual[i], expected[i], scale[i])) {
                if (bad < 5) {
                    b.append("\n  [")
                            .append(i)
                            .append("] ")
                            .append(actual[i])
                            .append(" expected ")
                            .append(expected[i])
                            .append(" (|diff| ")
                            .append(Math.abs(actual[i] - expected[i]))
                            .append(", bound ")
                            .append(atol + rtol * Math.abs(scale[i]))
                            .append(')');
                }
                bad++;
            }
        }
        if (bad == 0) {
            return null;
        }
        return bad + " of " + actual.length + " elements differ beyond rtol " + rtol + ", atol " + atol + " (" + source
                + "):" + b + (bad > 5 ? "\n  ..." : "");
    }

    private static double[] abs(double[] x) {
        return Arrays.stream(x).map(Math::abs).toArray();
    }
}
