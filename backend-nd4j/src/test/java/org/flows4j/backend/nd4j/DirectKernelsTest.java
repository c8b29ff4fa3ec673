package org.flows4j.backend.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.BinaryOp;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.backend.UnaryOp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The loops this backend runs from Java on ND4J's buffers ({@link DirectKernels}) and the
 * broadcast by addition ({@link Nd#broadcast}), bit for bit on whole vectors and the scalar tail,
 * with NaN, infinities and signed zeros among the values:
 * <ul>
 *   <li>sign: +-1 off zero, +0 at both zeros, NaN at NaN;</li>
 *   <li>sums, differences and products of one shape: each element the one IEEE operation;</li>
 *   <li>the NaN scan agrees with ND4J's count at every position, for whole arrays and views;</li>
 *   <li>broadcasting copies every value exactly.</li>
 * </ul>
 * The tests run with the Vector API module, so these paths are the ones under test.
 */
class DirectKernelsTest {

    private static Backend backend;

    @BeforeAll
    static void start() {
        backend = new Nd4jBackendProvider().create(BackendOptions.defaults());
        assertTrue(DirectKernels.available(), "the tests run with --add-modules jdk.incubator.vector");
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void signs_of_every_kind_of_value(DType dtype) {
        double[] specials = {
            -0.0, 0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -2.5, 1e-30, -1e-30, 7
        };
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
        double[] got = backend.toDoubles(backend.binary(
                op, backend.fromDoubles(x, Shape.of(n), dtype), backend.fromDoubles(y, Shape.of(n), dtype)));
        for (int i = 0; i < n; i++) {
            double expected;
            if (dtype == DType.FLOAT32) {
                float a = (float) x[i];
                float b = (float) y[i];
                expected = op == BinaryOp.ADD ? a + b : op == BinaryOp.SUB ? a - b : a * b;
            } else {
                expected = op == BinaryOp.ADD ? x[i] + y[i] : op == BinaryOp.SUB ? x[i] - y[i] : x[i] * y[i];
            }
            assertEquals(
                    Double.doubleToLongBits(expected),
                    Double.doubleToLongBits(got[i]),
                    op + " at " + i + " of " + x[i] + " and " + y[i]);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"FLOAT", "DOUBLE"})
    void finds_a_nan_anywhere(String type) {
        DataType t = DataType.valueOf(type);
        int n = 37;
        for (int at = -1; at < n; at++) {
            double[] values = new double[n];
            for (int i = 0; i < n; i++) {
                values[i] = i == at ? Double.NaN : i - 5;
            }
            INDArray a = Nd4j.createFromArray(values).castTo(t);
            assertEquals(at >= 0, Nd.hasNaN(a), "NaN at " + at);
            // a view of the first 10 elements starts at the buffer's start: the scan sees only them
            INDArray head = Nd.sharing(a, new long[] {10});
            assertEquals(at >= 0 && at < 10, Nd.hasNaN(head), "first 10, NaN at " + at);
            // a view further in: ND4J's count
            INDArray tail = Nd.sharing(a, new long[] {10}, 20);
            assertEquals(at >= 20 && at < 30, Nd.hasNaN(tail), "elements 20 to 29, NaN at " + at);
            a.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"FLOAT", "DOUBLE"})
    void infinities_are_not_nan(String type) {
        INDArray a = Nd4j.createFromArray(1.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0)
                .castTo(DataType.valueOf(type));
        assertFalse(Nd.hasNaN(a));
    }

    private static final double[] VALUES = {
        -0.0, 0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -1.5
    };

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
                assertEquals(
                        Double.doubleToRawLongBits(VALUES[i]),
                        Double.doubleToRawLongBits(c[i * 3 + j]),
                        "column value " + VALUES[i]);
            }
            for (int k = 0; k < 2; k++) {
                assertEquals(
                        Double.doubleToRawLongBits(VALUES[i]),
                        Double.doubleToRawLongBits(r[k * n + i]),
                        "row value " + VALUES[i]);
            }
        }
        double[] s = backend.toDoubles(
                backend.broadcastTo(backend.fromDoubles(new double[] {-0.0}, Shape.scalar(), dtype), Shape.of(4)));
        for (double v : s) {
            assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(v), "scalar -0");
        }
    }
}
