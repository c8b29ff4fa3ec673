package org.flows4j.backend.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Nd#hasNaN}: the vector scan (whole arrays) and ND4J's count (views into a buffer) agree
 * on where a NaN is, at every position of a vector and its scalar tail, in both types.
 */
class NaNScanTest {

    @BeforeAll
    static void start() {
        new Nd4jBackendProvider().create(org.flows4j.api.backend.BackendOptions.defaults());
        assertTrue(DirectKernels.available(), "the tests run with --add-modules jdk.incubator.vector");
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
}
