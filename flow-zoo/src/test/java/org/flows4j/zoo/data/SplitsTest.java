package org.flows4j.zoo.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.flows4j.api.Shape;
import org.junit.jupiter.api.Test;

/** The shared limit rule and the checks of {@link InMemoryDataset}. */
class SplitsTest {

    @Test
    void a_limit_shrinks_the_other_splits_in_proportion_rounding_up() {
        assertEquals(54000, Splits.keptTrain(54000, 0));
        assertEquals(1000, Splits.keptTrain(54000, 1000));
        assertEquals(54000, Splits.keptTrain(54000, 100000));
        assertEquals(112, Splits.keptOther(6000, 1000, 54000)); // 111.1 up
        assertEquals(186, Splits.keptOther(10000, 1000, 54000)); // 185.2 up
        assertEquals(1, Splits.keptOther(6000, 1, 54000)); // never empty
        assertEquals(6000, Splits.keptOther(6000, 54000, 54000));
        // no int overflow on large sizes
        assertEquals(1_000_000_000, Splits.keptOther(2_000_000_000, 1_000_000_000, 2_000_000_000));
    }

    @Test
    void a_dataset_checks_its_splits() {
        DataSplit two = new DataSplit(Shape.of(2), new float[] {1, 2, 3, 4}, null);
        DataSplit three = new DataSplit(Shape.of(3), new float[] {1, 2, 3}, null);
        DataSplit labelled = new DataSplit(Shape.of(2), new float[] {1, 2}, new int[] {4});
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> new InMemoryDataset(
                                "x", Dataset.Kind.CONTINUOUS, Shape.of(2), two, three, two, List.of()))
                .getMessage()
                .contains("the validation split has samples of shape [3], expected [2]"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> new InMemoryDataset(
                                "x",
                                Dataset.Kind.CONTINUOUS,
                                Shape.of(2),
                                labelled,
                                labelled,
                                labelled,
                                List.of("a", "b")))
                .getMessage()
                .contains("label 4 of sample 0 is not in 0..1"));
        assertEquals(
                "x [2] CONTINUOUS: 2 train, 2 validation, 2 test",
                new InMemoryDataset("x", Dataset.Kind.CONTINUOUS, Shape.of(2), two, two, two, List.of()).toString());
    }
}
