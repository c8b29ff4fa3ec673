package org.flows4j.backend.support;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.flows4j.api.DType;
import org.flows4j.api.backend.AdamStep;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The fused Adam update over direct buffers (the tests run with the Vector API module, which the
 * parent build adds) against the formula of {@link AdamStep} evaluated in Java operation by
 * operation in the dtype, as the composed default of
 * {@link org.flows4j.api.backend.Backend#adamUpdate} does with IEEE kernels: the same bits in
 * both dtypes, with and without weight decay and a gradient scale (clipping), on lengths with whole vectors and a scalar tail,
 * over several steps (so the bias corrections change). Each backend that calls it checks its
 * own buffer handling in the cross-backend conformance suite (the same Adam steps as cpu).
 */
class DirectAdamTest {

    @Test
    void the_fused_path_is_the_one_under_test() {
        assertTrue(DirectAdam.available(), "the tests run with --add-modules jdk.incubator.vector");
    }

    @ParameterizedTest
    @CsvSource({
        "FLOAT32, 0, 1000, 1, 1",
        "FLOAT32, 0.01, 1003, 1, 1",
        "FLOAT64, 0, 1000, 1, 1",
        "FLOAT64, 0.01, 37, 1, 1",
        "FLOAT32, 0, 5, 1, 1",
        "FLOAT32, 0, 1003, 0.37, 1",
        "FLOAT32, 0.01, 1003, 0.37, 1",
        "FLOAT64, 0, 1003, 0.37, 1",
        "FLOAT64, 0.01, 37, 0.37, 1",
        // blocks on the fork-join pool: two, three with a short last one, and one (too few elements)
        "FLOAT32, 0.01, 200003, 0.37, 2",
        "FLOAT32, 0, 262147, 1, 3",
        "FLOAT64, 0.01, 131075, 0.37, 2",
        "FLOAT32, 0, 100003, 1, 4"
    })
    void matches_the_formula_bit_for_bit(DType dtype, double decay, int n, double scale, int threads) {
        Random r = new Random(n);
        double[] p = new double[n];
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            p[i] = round(dtype, r.nextGaussian());
            g[i] = round(dtype, r.nextGaussian() * Math.pow(10, -r.nextInt(6)));
        }
        double[] m = new double[n];
        double[] v = new double[n];
        boolean float32 = dtype == DType.FLOAT32;
        ByteBuffer pb = buffer(p, float32);
        ByteBuffer gb = buffer(g, float32);
        ByteBuffer mb = buffer(m, float32);
        ByteBuffer vb = buffer(v, float32);
        for (long t = 1; t <= 3; t++) {
            AdamStep step = new AdamStep(1e-3, 0.9, 0.999, 1e-8, decay, t, scale);
            DirectAdam.update(pb, gb, mb, vb, n, float32, step, threads);
            for (int i = 0; i < n; i++) {
                if (float32) {
                    float pi = (float) p[i];
                    float gs = (float) g[i] * (float) scale;
                    float gi = decay != 0 ? gs + pi * (float) decay : gs;
                    float mi = (float) m[i] * (float) step.beta1() + gi * (float) (1 - step.beta1());
                    float vi = (float) v[i] * (float) step.beta2() + (gi * gi) * (float) (1 - step.beta2());
                    m[i] = mi;
                    v[i] = vi;
                    p[i] = pi
                            - (mi / (float) step.firstBiasCorrection())
                                    / ((float) Math.sqrt(vi / (float) step.secondBiasCorrection())
                                            + (float) step.epsilon())
                                    * (float) step.learningRate();
                } else {
                    double gi = decay != 0 ? g[i] * scale + p[i] * decay : g[i] * scale;
                    m[i] = m[i] * step.beta1() + gi * (1 - step.beta1());
                    v[i] = v[i] * step.beta2() + (gi * gi) * (1 - step.beta2());
                    p[i] = p[i]
                            - (m[i] / step.firstBiasCorrection())
                                    / (Math.sqrt(v[i] / step.secondBiasCorrection()) + step.epsilon())
                                    * step.learningRate();
                }
            }
            assertArrayEquals(p, values(pb, n, float32), "parameter after step " + t);
            assertArrayEquals(m, values(mb, n, float32), "first moment after step " + t);
            assertArrayEquals(v, values(vb, n, float32), "second moment after step " + t);
        }
    }

    @Test
    void refuses_fewer_than_one_thread() {
        ByteBuffer b = buffer(new double[8], true);
        AdamStep step = new AdamStep(1e-3, 0.9, 0.999, 1e-8, 0, 1, 1);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> DirectAdam.update(b, b, b, b, 8, true, step, 0));
        assertEquals("DirectAdam: 8 elements on 0 threads", e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({
        "FLOAT32, 0",
        "FLOAT32, 1",
        "FLOAT32, 15",
        "FLOAT32, 1041",
        "FLOAT32, 100003",
        "FLOAT64, 7",
        "FLOAT64, 100003"
    })
    void sums_every_square_once_within_the_bound_of_its_lanes(DType dtype, int n) {
        Random r = new Random(n);
        boolean float32 = dtype == DType.FLOAT32;
        double[] x = new double[n];
        double exact = 0;
        for (int i = 0; i < n; i++) {
            x[i] = round(dtype, r.nextGaussian() * 3);
            exact += float32 ? (double) ((float) x[i] * (float) x[i]) : x[i] * x[i];
        }
        double got = DirectSquares.sum(buffer(x, float32), n, float32);
        // positive terms: a lane adds 64 squares before the sum widens, then 16 lanes in float
        double bound = (80 + 8) * 2 * (float32 ? 0x1p-24 : 0x1p-53) * exact;
        assertEquals(exact, got, bound, dtype + " n=" + n);
    }

    @Test
    void a_nan_propagates_and_a_float32_square_that_overflows_is_infinite() {
        double[] x = new double[100];
        java.util.Arrays.fill(x, 1);
        x[50] = Double.NaN;
        assertTrue(Double.isNaN(DirectSquares.sum(buffer(x, true), 100, true)));
        assertTrue(Double.isNaN(DirectSquares.sum(buffer(x, false), 100, false)));
        x[50] = 3e19;
        assertEquals(Double.POSITIVE_INFINITY, DirectSquares.sum(buffer(x, true), 100, true));
        assertEquals(99 + 9e38, DirectSquares.sum(buffer(x, false), 100, false), 1e25);
    }

    private static ByteBuffer buffer(double[] x, boolean float32) {
        ByteBuffer b = ByteBuffer.allocateDirect(x.length * (float32 ? 4 : 8)).order(ByteOrder.nativeOrder());
        for (int i = 0; i < x.length; i++) {
            if (float32) {
                b.putFloat(4 * i, (float) x[i]);
            } else {
                b.putDouble(8 * i, x[i]);
            }
        }
        return b;
    }

    private static double[] values(ByteBuffer b, int n, boolean float32) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = float32 ? b.getFloat(4 * i) : b.getDouble(8 * i);
        }
        return out;
    }

    private static double round(DType dtype, double x) {
        return dtype == DType.FLOAT32 ? (float) x : x;
    }
}
