package org.flows4j.backend.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.BinaryOp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Sums, differences and products of arrays of one shape large enough for
 * {@link DirectKernels#binary}: every element (whole vectors and the tail, NaN, infinities and
 * signed zeros among them) is the one IEEE operation in the dtype.
 */
class DirectBinaryTest {

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
    @CsvSource({"ADD, FLOAT32", "SUB, FLOAT32", "MUL, FLOAT32", "ADD, FLOAT64", "SUB, FLOAT64", "MUL, FLOAT64"})
    void each_element_is_one_ieee_operation(BinaryOp op, DType dtype) {
        int n = Elementwise.DIRECT_ELEMENTS + 5;
        Random r = new Random(11);
        double[] specials = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0};
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = i % 97 < specials.length ? specials[i % 97] : r.nextGaussian() * 1e3;
            y[i] = i % 89 < specials.length ? specials[(i + 2) % specials.length] : r.nextGaussian();
        }
        double[] got = backend.toDoubles(backend.binary(op, backend.fromDoubles(x, Shape.of(n), dtype),
                backend.fromDoubles(y, Shape.of(n), dtype)));
        for (int i = 0; i < n; i++) {
            double expected;
            if (dtype == DType.FLOAT32) {
                float a = (float) x[i];
                float b = (float) y[i];
                expected = op == BinaryOp.ADD ? a + b : op == BinaryOp.SUB ? a - b : a * b;
            } else {
                expected = op == BinaryOp.ADD ? x[i] + y[i] : op == BinaryOp.SUB ? x[i] - y[i] : x[i] * y[i];
            }
            assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(got[i]),
                    op + " at " + i + " of " + x[i] + " and " + y[i]);
        }
    }
}
