package org.flows4j.backend.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Sign and ReLU's backward pass over direct buffers against the SPI's definitions evaluated in
 * Java: {@code sign} +-1 off zero, +0 at both zeros and NaN at NaN, and {@code g * sign(y)} one
 * rounded product; the same bits, in both dtypes, on lengths with whole vectors and a scalar tail,
 * with NaN, infinities and signed zeros in both operands.
 */
class DirectElementwiseTest {

    private static final double[] SPECIAL = {
        Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0, Double.MIN_VALUE, -1e-40, 3.5
    };

    private static double[] values(long seed, int n) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = i % 5 == 0 ? SPECIAL[r.nextInt(SPECIAL.length)] : r.nextGaussian();
        }
        return v;
    }

    private static ByteBuffer buffer(double[] v, boolean float32) {
        ByteBuffer b = ByteBuffer.allocateDirect(v.length * (float32 ? 4 : 8)).order(ByteOrder.nativeOrder());
        for (int i = 0; i < v.length; i++) {
            if (float32) {
                b.putFloat(4 * i, (float) v[i]);
            } else {
                b.putDouble(8 * i, v[i]);
            }
        }
        return b;
    }

    /** The bits, with every NaN the same (signed zeros stay apart). */
    private static long canonical(double v) {
        return Double.doubleToLongBits(v);
    }

    private static double sign(double v) {
        return v > 0 ? 1 : v < 0 ? -1 : v == 0 ? 0 : v;
    }

    @ParameterizedTest
    @CsvSource({"true, 1000", "true, 1003", "false, 1000", "false, 37", "true, 5"})
    void sign_and_relu_backward_give_the_composed_bits(boolean float32, int n) {
        assertTrue(DirectElementwise.available(), "the tests run with --add-modules jdk.incubator.vector");
        double[] g = values(n, n);
        double[] y = values(n + 1, n);
        ByteBuffer gb = buffer(g, float32);
        ByteBuffer yb = buffer(y, float32);
        ByteBuffer sign = buffer(new double[n], float32);
        ByteBuffer out = buffer(new double[n], float32);
        DirectElementwise.sign(yb, sign, n, float32);
        DirectElementwise.reluBackward(gb, yb, out, n, float32);
        for (int i = 0; i < n; i++) {
            // NaN results are compared as NaN: which operand's payload a product keeps is the hardware's
            if (float32) {
                float s = (float) sign((float) y[i]);
                float p = (float) g[i] * s;
                assertEquals(canonical(s), canonical(sign.getFloat(4 * i)), "sign at " + i + " of " + y[i]);
                assertEquals(canonical(p), canonical(out.getFloat(4 * i)), "g * sign(y) at " + i);
            } else {
                double s = sign(y[i]);
                assertEquals(canonical(s), canonical(sign.getDouble(8 * i)), "sign at " + i + " of " + y[i]);
                assertEquals(canonical(g[i] * s), canonical(out.getDouble(8 * i)), "g * sign(y) at " + i);
            }
        }
    }
}
