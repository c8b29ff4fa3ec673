package org.flows4j.backend.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.AdamStep;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.Storage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The fused Adam update ({@link DirectKernels}, which the tests run with: the build adds the Vector
 * API module) against the formula of {@link AdamStep} evaluated in Java operation by operation
 * in the dtype, as the composed default of {@link Backend#adamUpdate} does with IEEE kernels:
 * the same bits in both dtypes, with and without weight decay, on lengths with whole vectors
 * and a scalar tail, over several steps (so the bias corrections change).
 */
class FusedAdamTest {

    private static Backend backend;

    @BeforeAll
    static void start() {
        backend = new Nd4jBackendProvider().create(BackendOptions.defaults());
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    @Test
    void the_fused_path_is_the_one_under_test() {
        assertTrue(DirectKernels.available(), "the tests run with --add-modules jdk.incubator.vector");
    }

    @ParameterizedTest
    @CsvSource({"FLOAT32, 0, 1000", "FLOAT32, 0.01, 1003", "FLOAT64, 0, 1000", "FLOAT64, 0.01, 37", "FLOAT32, 0, 5"})
    void matches_the_formula_bit_for_bit(DType dtype, double decay, int n) {
        Random r = new Random(n);
        double[] p = new double[n];
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            p[i] = round(dtype, r.nextGaussian());
            g[i] = round(dtype, r.nextGaussian() * Math.pow(10, -r.nextInt(6)));
        }
        double[] m = new double[n];
        double[] v = new double[n];
        Shape shape = Shape.of(n);
        Storage[] s = {backend.fromDoubles(p, shape, dtype), backend.fromDoubles(g, shape, dtype),
            backend.full(shape, dtype, 0), backend.full(shape, dtype, 0)};
        for (long t = 1; t <= 3; t++) {
            AdamStep step = new AdamStep(1e-3, 0.9, 0.999, 1e-8, decay, t);
            Storage[] next = backend.adamUpdate(s[0], s[1], s[2], s[3], step);
            assertSame(s[0], next[0], "the parameter is updated in place");
            assertSame(s[2], next[1], "the first moment is updated in place");
            assertSame(s[3], next[2], "the second moment is updated in place");
            for (int i = 0; i < n; i++) {
                if (dtype == DType.FLOAT32) {
                    float pi = (float) p[i];
                    float gi = decay != 0 ? (float) g[i] + pi * (float) decay : (float) g[i];
                    float mi = (float) m[i] * (float) step.beta1() + gi * (float) (1 - step.beta1());
                    float vi = (float) v[i] * (float) step.beta2() + (gi * gi) * (float) (1 - step.beta2());
                    m[i] = mi;
                    v[i] = vi;
                    p[i] = pi - (mi / (float) step.firstBiasCorrection())
                            / ((float) Math.sqrt(vi / (float) step.secondBiasCorrection()) + (float) step.epsilon())
                            * (float) step.learningRate();
                } else {
                    double gi = decay != 0 ? g[i] + p[i] * decay : g[i];
                    m[i] = m[i] * step.beta1() + gi * (1 - step.beta1());
                    v[i] = v[i] * step.beta2() + (gi * gi) * (1 - step.beta2());
                    p[i] = p[i] - (m[i] / step.firstBiasCorrection())
                            / (Math.sqrt(v[i] / step.secondBiasCorrection()) + step.epsilon()) * step.learningRate();
                }
            }
            assertArrayEquals(p, backend.toDoubles(s[0]), "parameter after step " + t);
            assertArrayEquals(m, backend.toDoubles(s[2]), "first moment after step " + t);
            assertArrayEquals(v, backend.toDoubles(s[3]), "second moment after step " + t);
        }
    }

    private static double round(DType dtype, double x) {
        return dtype == DType.FLOAT32 ? (float) x : x;
    }
}
