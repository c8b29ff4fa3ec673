package org.flows4j.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.Test;

class BuildContextTest {

    @Test
    void carries_backend_dtype_and_the_shared_random_source() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(1);
            BuildContext ctx = BuildContext.of(backend, DType.FLOAT64, r);
            assertSame(backend, ctx.backend());
            assertEquals(DType.FLOAT64, ctx.dtype());
            assertSame(r, ctx.random(), "shared, not copied");
        }
    }

    @Test
    void split_is_the_random_sources_split_on_the_same_backend_and_dtype() {
        try (Backend backend = Backends.create("cpu")) {
            BuildContext ctx = BuildContext.of(backend, DType.FLOAT32, RandomSource.seeded(4));
            BuildContext s = ctx.split();
            RandomSource expected = RandomSource.seeded(4).split();
            assertSame(backend, s.backend());
            assertEquals(DType.FLOAT32, s.dtype());
            assertEquals(expected.nextLong(), s.random().nextLong());
            assertEquals(stepped(4), ctx.random().nextLong(), "the parent advanced by one draw");
        }
    }

    private static long stepped(long seed) {
        RandomSource r = RandomSource.seeded(seed);
        r.nextLong();
        return r.nextLong();
    }

    @Test
    void tensor_helpers_use_the_dtype_and_draw_only_for_uniform() {
        try (Backend backend = Backends.create("cpu")) {
            BuildContext ctx = BuildContext.of(backend, DType.FLOAT32, RandomSource.seeded(2));
            Tensor z = ctx.zeros(Shape.of(2, 3));
            assertEquals(DType.FLOAT32, z.dtype());
            assertArrayEquals(new double[6], z.toDoubleArray());
            assertArrayEquals(
                    new double[] {1.5, 1.5}, ctx.full(Shape.of(2), 1.5).toDoubleArray());
            assertArrayEquals(
                    new double[] {1, 2},
                    ctx.tensor(new double[] {1, 2}, Shape.of(2)).toDoubleArray());
            Tensor u = ctx.uniform(Shape.of(3), -1, 1);
            Tensor expected = RandomSource.seeded(2).uniform(backend, DType.FLOAT32, Shape.of(3), -1, 1);
            assertArrayEquals(expected.toDoubleArray(), u.toDoubleArray(), "zeros, full and tensor drew nothing");
        }
    }

    @Test
    void names_the_null_argument() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(1);
            assertEquals(
                    "backend",
                    assertThrows(NullPointerException.class, () -> BuildContext.of(null, DType.FLOAT32, r))
                            .getMessage());
            assertEquals(
                    "dtype",
                    assertThrows(NullPointerException.class, () -> BuildContext.of(backend, null, r))
                            .getMessage());
            assertEquals(
                    "random",
                    assertThrows(NullPointerException.class, () -> BuildContext.of(backend, DType.FLOAT32, null))
                            .getMessage());
        }
    }
}
