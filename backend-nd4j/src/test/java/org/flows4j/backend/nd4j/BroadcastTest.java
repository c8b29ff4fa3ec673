package org.flows4j.backend.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.Storage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Nd#broadcast} (an addition into negative zeros) copies every value bit for bit: signed
 * zeros, NaN and infinities, for a column, a row and a scalar.
 */
class BroadcastTest {

    private static Backend backend;

    @BeforeAll
    static void start() {
        backend = new Nd4jBackendProvider().create(BackendOptions.defaults());
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    private static final double[] VALUES = {-0.0, 0.0, Double.NaN, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY, -1.5};

    @ParameterizedTest
    @EnumSource(DType.class)
    void every_value_is_copied_exactly(DType dtype) {
        int n = VALUES.length;
        Storage column = backend.fromDoubles(VALUES, Shape.of(n, 1), dtype);
        double[] c = backend.toDoubles(backend.broadcastTo(column, Shape.of(n, 3)));
        Storage row = backend.fromDoubles(VALUES, Shape.of(n), dtype);
        double[] r = backend.toDoubles(backend.broadcastTo(row, Shape.of(2, n)));
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 3; j++) {
                assertEquals(Double.doubleToRawLongBits(VALUES[i]), Double.doubleToRawLongBits(c[i * 3 + j]),
                        "column value " + VALUES[i]);
            }
            for (int k = 0; k < 2; k++) {
                assertEquals(Double.doubleToRawLongBits(VALUES[i]), Double.doubleToRawLongBits(r[k * n + i]),
                        "row value " + VALUES[i]);
            }
        }
        double[] s = backend.toDoubles(backend.broadcastTo(backend.fromDoubles(new double[] {-0.0}, Shape.scalar(),
                dtype), Shape.of(4)));
        for (double v : s) {
            assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(v), "scalar -0");
        }
    }
}
