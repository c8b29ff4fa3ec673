package org.flows4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The accuracy of {@link FloatMath} against {@link Math} in double precision rounded to float:
 * at most 1 ulp for {@code exp} in the normal range and 3 ulps for the sigmoid, softplus and tanh
 * (measured maxima 2.1 and 2.7: the rounding of {@code e^-|x|} carries into the quotient and
 * the series), over a dense sweep of the arguments that give finite nonzero results and random
 * ones, plus the special values. The conformance kit's float32 tolerance is 1e-4, about 1,700
 * ulps.
 */
class FloatMathTest {

    /** Float arguments: a sweep in steps of 1/64 over [-110, 110] and 200,000 random ones over [-120, 120]. */
    private static float[] arguments() {
        Random r = new Random(7);
        float[] x = new float[14081 + 200_000];
        int k = 0;
        for (int i = -7040; i <= 7040; i++) {
            x[k++] = i / 64f;
        }
        while (k < x.length) {
            x[k++] = (float) (r.nextDouble() * 240 - 120) * (r.nextInt(4) == 0 ? 1e-3f : 1f);
        }
        return x;
    }

    /** The largest error in ulps of the exact result (its float rounding's ulp), over results that are normal floats. */
    private static double maxUlps(FloatMathFunction f, DoubleUnaryOperator exact) {
        double worst = 0;
        for (float x : arguments()) {
            double e = exact.applyAsDouble(x);
            float rounded = (float) e;
            if (!Float.isFinite(rounded) || Math.abs(rounded) < Float.MIN_NORMAL) {
                continue;
            }
            worst = Math.max(worst, Math.abs(f.apply(x) - e) / Math.ulp(rounded));
        }
        return worst;
    }

    @FunctionalInterface
    private interface FloatMathFunction {
        float apply(float x);
    }

    @Test
    void exp_is_within_one_ulp() {
        double ulps = maxUlps(FloatMath::exp, Math::exp);
        assertTrue(ulps <= 1.0, "exp: " + ulps + " ulps");
    }

    @Test
    void sigmoid_is_within_three_ulps() {
        double ulps = maxUlps(FloatMath::sigmoid, Elementwise::sigmoid);
        assertTrue(ulps <= 3.0, "sigmoid: " + ulps + " ulps");
    }

    @Test
    void softplus_is_within_three_ulps() {
        double ulps = maxUlps(FloatMath::softplus, Elementwise::softplus);
        assertTrue(ulps <= 3.0, "softplus: " + ulps + " ulps");
    }

    @Test
    void tanh_is_within_three_ulps() {
        double ulps = maxUlps(FloatMath::tanh, Math::tanh);
        assertTrue(ulps <= 3.0, "tanh: " + ulps + " ulps");
    }

    @Test
    void special_values() {
        assertEquals(1f, FloatMath.exp(0f));
        assertEquals(1f, FloatMath.exp(-0f));
        assertEquals(Float.POSITIVE_INFINITY, FloatMath.exp(88.73f));
        assertEquals(Float.POSITIVE_INFINITY, FloatMath.exp(Float.POSITIVE_INFINITY));
        assertEquals(0f, FloatMath.exp(-104f));
        assertEquals(0f, FloatMath.exp(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(FloatMath.exp(Float.NaN)));
        // the largest float result and a subnormal one, rounded once
        assertEquals((float) Math.exp(88.72f), FloatMath.exp(88.72f), Math.ulp((float) Math.exp(88.72f)));
        assertEquals((float) Math.exp(-100f), FloatMath.exp(-100f), Float.MIN_VALUE);
        assertEquals(0.5f, FloatMath.sigmoid(0f));
        assertEquals(0.5f, FloatMath.sigmoid(-0f));
        assertEquals(1f, FloatMath.sigmoid(Float.POSITIVE_INFINITY));
        assertEquals(0f, FloatMath.sigmoid(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(FloatMath.sigmoid(Float.NaN)));
        assertEquals((float) Math.log(2), FloatMath.softplus(0f));
        assertEquals(Float.POSITIVE_INFINITY, FloatMath.softplus(Float.POSITIVE_INFINITY));
        assertEquals(0f, FloatMath.softplus(Float.NEGATIVE_INFINITY));
        assertEquals(100f, FloatMath.softplus(100f));
        assertEquals((float) Math.exp(-90.0), FloatMath.softplus(-90f), Float.MIN_VALUE);
        assertTrue(Float.isNaN(FloatMath.softplus(Float.NaN)));
        assertEquals(0f, FloatMath.tanh(0f));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(FloatMath.tanh(-0f)));
        assertEquals(1f, FloatMath.tanh(Float.POSITIVE_INFINITY));
        assertEquals(-1f, FloatMath.tanh(Float.NEGATIVE_INFINITY));
        assertEquals(1f, FloatMath.tanh(20f));
        assertEquals(1e-30f, FloatMath.tanh(1e-30f));
        assertTrue(Float.isNaN(FloatMath.tanh(Float.NaN)));
    }
}
