package org.flows4j.backend.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.UnaryOp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * sign through {@link DirectKernels} (whole vectors and the scalar tail): +-1 off zero, +0 at
 * both zeros, NaN at NaN, the bits of the reference backend's sign.
 */
class SignTest {

    private static Backend backend;

    @BeforeAll
    static void start() {
        backend = new Nd4jBackendProvider().create(BackendOptions.defaults());
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void signs_of_every_kind_of_value(DType dtype) {
        double[] specials = {-0.0, 0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -2.5, 1e-30,
            -1e-30, 7};
        int n = 3 * 16 + 5;
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = specials[i % specials.length];
        }
        double[] s = backend.toDoubles(backend.unary(UnaryOp.SIGN, backend.fromDoubles(x, Shape.of(n), dtype)));
        for (int i = 0; i < n; i++) {
            double v = dtype == DType.FLOAT32 ? (float) x[i] : x[i];
            double expected = Double.isNaN(v) ? Double.NaN : v > 0 ? 1 : v < 0 ? -1 : 0.0;
            assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(s[i]), "sign(" + x[i] + ")");
        }
    }
}
