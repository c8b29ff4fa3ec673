package org.flows4j.backend.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.Pointer;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.backend.UnaryOp;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Native buffers are released by free, at once, and views never release their base's. */
class MemoryTest {

    @Test
    void free_closes_the_buffer_at_once_and_twice_is_harmless() {
        try (Backend b = new Nd4jBackendProvider().create(BackendOptions.defaults())) {
            Nd4jStorage s = (Nd4jStorage) b.full(Shape.of(4, 4), DType.FLOAT64, 1);
            assertFalse(s.array().wasClosed());
            b.free(s);
            assertTrue(s.array().wasClosed());
            b.free(s);
            assertThrows(IllegalStateException.class, () -> b.toDoubles(s));
        }
    }

    @Test
    void freeing_a_view_leaves_its_base_readable() {
        try (Backend b = new Nd4jBackendProvider().create(BackendOptions.defaults())) {
            Storage base = b.fromDoubles(new double[] {1, 2, 3, 4, 5, 6}, Shape.of(2, 3), DType.FLOAT64);
            Nd4jStorage view = (Nd4jStorage) b.reshape(base, Shape.of(3, 2));
            assertTrue(view.isView());
            assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, b.toDoubles(view));
            b.free(view);
            assertFalse(((Nd4jStorage) base).array().wasClosed());
            assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, b.toDoubles(base));
            Storage r = b.unary(UnaryOp.NEG, base);
            assertArrayEquals(new double[] {-1, -2, -3, -4, -5, -6}, b.toDoubles(r));
            b.free(r);
            b.free(base);
            assertTrue(((Nd4jStorage) base).array().wasClosed());
        }
    }

    /**
     * A loop that makes and frees 2 x 8 MB per iteration keeps the process's resident memory
     * flat: nothing waits for the garbage collector, which would not even run here, since the
     * Java objects are tiny (if storages leaked, 40 iterations would add 640 MB).
     */
    @Test
    void resident_memory_stays_flat_in_a_loop_of_scopes() {
        try (Backend b = new Nd4jBackendProvider().create(BackendOptions.defaults())) {
            Shape shape = Shape.of(1 << 20);
            runLoop(b, shape, 3);
            long before = Pointer.physicalBytes();
            runLoop(b, shape, 40);
            long grown = Pointer.physicalBytes() - before;
            assertTrue(grown < 160L << 20, "resident memory grew by " + (grown >> 20) + " MB");
        }
    }

    @SuppressWarnings("try") // the scope frees what the body makes; the body never names it
    private static void runLoop(Backend b, Shape shape, int iterations) {
        for (int i = 0; i < iterations; i++) {
            try (MemoryScope scope = MemoryScope.open()) {
                Tensor x = Tensor.full(b, DType.FLOAT64, shape, 0.5);
                Tensor y = x.tanh().add(1.0).sum();
                assertTrue(y.item() > 0);
            }
        }
    }
}
