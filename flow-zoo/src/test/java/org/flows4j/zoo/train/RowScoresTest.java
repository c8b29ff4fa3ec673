package org.flows4j.zoo.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** A row's dequantization noise depends on the seed and its id only, not on the rows beside it. */
@SuppressWarnings("try")
class RowScoresTest {

    @Test
    void a_rows_noise_is_the_same_in_any_batch() {
        try (Backend backend = Backends.create("cpu");
                MemoryScope scope = MemoryScope.open()) {
            Tensor four = Tensor.zeros(backend, DType.FLOAT64, 4, 3);
            double[] all =
                    RowScores.dequantize(four, 9, new long[] {10, 11, 12, 13}).toDoubleArray();
            Tensor one = Tensor.zeros(backend, DType.FLOAT64, 1, 3);
            double[] alone = RowScores.dequantize(one, 9, new long[] {12}).toDoubleArray();
            assertArrayEquals(new double[] {all[6], all[7], all[8]}, alone, 0.0, "row 12 alone and in a batch of 4");
            double[] otherSeed = RowScores.dequantize(one, 10, new long[] {12}).toDoubleArray();
            assertFalse(otherSeed[0] == alone[0], "another seed, other noise");
            assertThrows(IllegalArgumentException.class, () -> RowScores.dequantize(four, 9, new long[] {1}));
        }
    }
}
