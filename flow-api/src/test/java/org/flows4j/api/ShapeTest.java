package org.flows4j.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ShapeTest {

    @Test
    void valueSemanticsAndDefensiveCopies() {
        int[] dims = {2, 3};
        Shape s = Shape.of(dims);
        dims[0] = 9;
        assertEquals(Shape.of(2, 3), s);
        assertEquals(Shape.of(2, 3).hashCode(), s.hashCode());
        assertNotEquals(Shape.of(3, 2), s);
        s.dims()[1] = 7;
        assertEquals(3, s.dim(1));
        assertEquals("[2, 3]", s.toString());
    }

    @Test
    void sizesRanksAndStrides() {
        assertEquals(1, Shape.scalar().size());
        assertEquals(0, Shape.scalar().rank());
        assertEquals(0, Shape.of(4, 0, 2).size());
        assertEquals(24, Shape.of(2, 3, 4).size());
        assertArrayEquals(new int[] {12, 4, 1}, Shape.of(2, 3, 4).strides());
        assertEquals(4, Shape.of(2, 3, 4).dim(-1));
        assertEquals(Shape.of(2, 5, 4), Shape.of(2, 3, 4).withDim(1, 5));
    }

    @Test
    void rejectsNegativeAndOverflowingDimensions() {
        IllegalArgumentException neg = assertThrows(IllegalArgumentException.class, () -> Shape.of(2, -1));
        assertTrue(neg.getMessage().contains("[2, -1]"), neg.getMessage());
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class, () -> Shape.of(1 << 20, 1 << 20));
        assertTrue(big.getMessage().contains("elements"), big.getMessage());
        IllegalArgumentException axis = assertThrows(
                IllegalArgumentException.class, () -> Shape.of(2, 3).dim(2));
        assertTrue(axis.getMessage().contains("axis 2") && axis.getMessage().contains("[2, 3]"), axis.getMessage());
    }

    @Test
    void broadcastsNumPyStyle() {
        assertEquals(Shape.of(3, 4), Shape.broadcast("add", Shape.of(3, 1), Shape.of(1, 4)));
        assertEquals(Shape.of(2, 3), Shape.broadcast("add", Shape.scalar(), Shape.of(2, 3)));
        assertEquals(Shape.of(2, 4, 3), Shape.broadcast("add", Shape.of(2, 1, 3), Shape.of(4, 1)));
        assertEquals(Shape.of(0, 3), Shape.broadcast("add", Shape.of(0, 3), Shape.of(3)));
        assertEquals(Shape.of(0), Shape.broadcast("add", Shape.of(1), Shape.of(0)));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Shape.broadcast("mul", Shape.of(2, 3), Shape.of(4)));
        assertEquals("mul: shapes [2, 3] and [4] do not broadcast", e.getMessage());
    }

    @Test
    void parsesDTypes() {
        assertEquals(DType.FLOAT32, DType.parse("float32"));
        assertEquals(DType.FLOAT64, DType.parse(" F64 "));
        assertEquals("float64", DType.FLOAT64.label());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DType.parse("int8"));
        assertTrue(e.getMessage().contains("int8"), e.getMessage());
    }
}
