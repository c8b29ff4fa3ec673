package org.flows4j.backend.cpu;

/**
 * {@code exp}, the logistic sigmoid, softplus and {@code tanh} in float32 arithmetic, written only with
 * additions, multiplications, one division and bit manipulation, so that the Vector API
 * kernels ({@code VectorKernels}) compute the same operations lane by lane and give the same
 * bits as these scalar versions. The float64 kernels keep {@link Math}.
 *
 * <p>{@link #exp}: Cody and Waite's reduction {@code x = n ln 2 + r} with {@code ln 2} split in
 * two ({@code n * LN2_HI} is exact for the {@code |n| <= 150} that occur), {@code e^r} on
 * {@code |r| <= ln 2 / 2} by the degree-6 minimax polynomial of the Cephes library's
 * {@code expf}, and the scaling by {@code 2^n} in two halves, so that results in the
 * subnormal range round once. Within 1 ulp of the exact value in the normal range, the sigmoid
 * and softplus within 3 (checked against {@link Math} by {@code FloatMathTest}); overflow gives
 * infinity, underflow 0, NaN stays NaN.
 *
 * <p>{@link #softplus}: {@code max(x, 0) + log1p(t)} with {@code t = e^-|x|} in {@code (0, 1]},
 * and {@code log1p(t) = 2 atanh(s)} with {@code s = t / (2 + t)} in {@code (0, 1/3]}, summed
 * as its odd series to {@code s^15 / 15} (the next term is below {@code 3e-9} of the sum):
 * accurate for the smallest {@code t} too, where {@code log(1 + t)} would lose it.
 *
 * <p>{@link #tanh}: on {@code |x| < 0.625} the odd degree-11 minimax polynomial of the Cephes
 * library's {@code tanhf}, {@code x + x^3 P(x^2)}; beyond, {@code (1 - e) / (1 + e)} with
 * {@code e = e^-2|x|} at most {@code e^-1.25}, so that {@code 1 - e} cancels nothing; both on
 * {@code |x|}, then the sign bit of {@code x}. Within 3 ulps ({@code FloatMathTest}).
 *
 * <p>These kernels replace the scalar double-precision path for float32 storages, which ran
 * at about 5 to 9 ns per element (measured with {@code ModelBench --profile}: the logistic
 * prior of NICE and Glow's sigmoid gates and softplus terms).
 */
final class FloatMath {

    /** Arguments beyond these give infinity or 0 (ln of the largest float is 88.72). */
    static final float EXP_HIGH = 89f;

    static final float EXP_LOW = -104f;
    static final float LOG2E = 1.442695f;
    /** {@code ln 2 = LN2_HI + LN2_LO}, {@code LN2_HI} with 9 significant bits (exactly 0.693359375). */
    static final float LN2_HI = 0x1.63p-1f;

    static final float LN2_LO = -2.1219444e-4f;
    /** Adding and subtracting {@code 1.5 * 2^23} rounds a float of magnitude below {@code 2^22} to an integer, ties to even. */
    static final float ROUND = 12582912f;
    /** The bits of {@link #ROUND}. */
    static final int ROUND_BITS = 0x4B400000;

    static final float P0 = 1.9875691e-4f;
    static final float P1 = 1.3981999e-3f;
    static final float P2 = 8.333452e-3f;
    static final float P3 = 4.1665796e-2f;
    static final float P4 = 1.6666666e-1f;
    static final float P5 = 0.5f; // Cephes' 5.0000001201e-1, which rounds to 0.5f
    /** {@code 1 / (2k + 1)} for the atanh series, {@code k = 1..7}. */
    static final float A3 = 1f / 3;

    static final float A5 = 1f / 5;
    static final float A7 = 1f / 7;
    static final float A9 = 1f / 9;
    static final float A11 = 1f / 11;
    static final float A13 = 1f / 13;
    static final float A15 = 1f / 15;

    /** The sign bit of a float. */
    static final int SIGN_BIT = 0x80000000;
    /** Below this {@code |x|}, {@link #tanh} is its polynomial. */
    static final float TANH_SMALL = 0.625f;
    /** Cephes' {@code tanhf} coefficients, highest degree first. */
    static final float T0 = -0.0057049887f;

    static final float T1 = 0.020639088f;
    static final float T2 = -0.053739715f;
    static final float T3 = 0.13331442f;
    static final float T4 = -0.3333328f;

    private FloatMath() {}

    /** {@code e^x}. */
    static float exp(float x) {
        float c = Math.min(Math.max(x, EXP_LOW), EXP_HIGH);
        float t = c * LOG2E + ROUND;
        float n = t - ROUND;
        float r = (c - n * LN2_HI) - n * LN2_LO;
        float z = r * r;
        float p = (((((P0 * r + P1) * r + P2) * r + P3) * r + P4) * r + P5) * z + r + 1f;
        // t = 1.5 * 2^23 + n exactly, so its low bits hold n (no float-to-int conversion, which
        // the Vector API of JDK 17 does not compile to an instruction and boxes instead)
        int k = Float.floatToRawIntBits(t) - ROUND_BITS;
        int k1 = k >> 1;
        return p * Float.intBitsToFloat((k1 + 127) << 23) * Float.intBitsToFloat((k - k1 + 127) << 23);
    }

    /** {@code 1 / (1 + e^-x)}, from {@code e^-|x|}, which never overflows. */
    static float sigmoid(float x) {
        float e = exp(-Math.abs(x));
        float num = x >= 0 ? 1f : e;
        return num / (1f + e);
    }

    /** {@code ln(1 + e^x)}. */
    static float softplus(float x) {
        float t = exp(-Math.abs(x));
        float s = t / (2f + t);
        float s2 = s * s;
        float q = ((((((A15 * s2 + A13) * s2 + A11) * s2 + A9) * s2 + A7) * s2 + A5) * s2 + A3) * s2 + 1f;
        return Math.max(x, 0f) + (s + s) * q;
    }

    /** The hyperbolic tangent. */
    static float tanh(float x) {
        float a = Math.abs(x);
        float r;
        if (a < TANH_SMALL) {
            float z = a * a;
            r = ((((T0 * z + T1) * z + T2) * z + T3) * z + T4) * z * a + a;
        } else {
            float e = exp(a * -2f);
            r = (1f - e) / (1f + e);
        }
        // the sign bit of x on |tanh x|, so that -0 stays -0
        return Float.intBitsToFloat(Float.floatToRawIntBits(r) | (Float.floatToRawIntBits(x) & SIGN_BIT));
    }
}
