package org.flows4j.layers.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** MADE's autoregressive property, checked on the Jacobian itself, and its construction. */
class MadeTest {

    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = Backends.create("cpu");
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static BuildContext ctx(long seed) {
        return BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(seed));
    }

    /**
     * For a random ordering, output {@code (p, i)} changes with input {@code j} only if
     * {@code j} precedes {@code i}: a central difference of an output that does not depend on
     * {@code x_j} is exactly 0 (the masked weights contribute exact zeros), and every allowed
     * dependency on the immediately preceding dimension is present (hidden width >= D - 1).
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void jacobianIsStrictlyTriangularInARandomOrdering(long seed) {
        int d = 6;
        int k = 3;
        Made.Ordering ordering = Made.Ordering.random(d, RandomSource.seeded(100 + seed));
        Made made = Made.hidden(12, 12, 12)
                .zeroInitLast(false)
                .activation(Activation.TANH)
                .create(ctx(seed), ordering, k, 2);
        int[] m = ordering.degrees();
        double[] x0 = RandomSource.seeded(seed + 7).normal(d);
        Tensor context = Tensor.of(backend, new double[] {0.3, -1.2}, 1, 2);
        double h = 1e-6;
        for (int j = 0; j < d; j++) {
            double[] plus = x0.clone();
            double[] minus = x0.clone();
            plus[j] += h;
            minus[j] -= h;
            double[] yp = made.apply(Tensor.of(backend, plus, 1, d), context).toDoubleArray();
            double[] ym = made.apply(Tensor.of(backend, minus, 1, d), context).toDoubleArray();
            for (int p = 0; p < k; p++) {
                for (int i = 0; i < d; i++) {
                    double dij = (yp[p * d + i] - ym[p * d + i]) / (2 * h);
                    if (m[j] >= m[i]) {
                        assertEquals(
                                0.0,
                                dij,
                                0.0,
                                "output (" + p + ", " + i + ") depends on x_" + j + " though " + j
                                        + " does not precede " + i + " in " + ordering);
                    } else if (m[j] == m[i] - 1) {
                        assertTrue(Math.abs(dij) > 1e-8, "output (" + p + ", " + i + ") lost its dependency on x_" + j);
                    }
                }
            }
        }
    }

    @Test
    void theContextReachesEveryOutputIncludingTheFirstDimensions() {
        int d = 4;
        Made made = Made.hidden(8).zeroInitLast(false).create(ctx(9), Made.Ordering.natural(d), 2, 1);
        Tensor x = Tensor.of(backend, new double[] {0.1, 0.2, 0.3, 0.4}, 1, d);
        double[] a = made.apply(x, Tensor.of(backend, new double[] {0.0}, 1, 1)).toDoubleArray();
        double[] b = made.apply(x, Tensor.of(backend, new double[] {1.0}, 1, 1)).toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            assertTrue(a[i] != b[i], "output " + i + " ignores the context");
        }
    }

    @Test
    void orderingsAndDegrees() {
        assertArrayEquals(new int[] {1, 2, 3}, Made.Ordering.natural(3).degrees());
        assertArrayEquals(new int[] {3, 2, 1}, Made.Ordering.reversed(3).degrees());
        assertArrayEquals(new int[] {2, 0, 1}, Made.Ordering.of(2, 0, 1).order());
        assertArrayEquals(new int[] {2, 3, 1}, Made.Ordering.of(2, 0, 1).degrees());
        assertEquals(Made.Ordering.of(1, 0, 2), Made.Ordering.of(2, 0, 1).reverse());
        assertEquals(Made.Ordering.random(5, RandomSource.seeded(3)), Made.Ordering.random(5, RandomSource.seeded(3)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Made.Ordering.of(0, 0, 1));
        assertTrue(e.getMessage().contains("order"), e.getMessage());
    }

    @Test
    void slotsShapesAndErrors() {
        Made made = Made.hidden(16, 8).create(ctx(1), Made.Ordering.natural(3), 2, 0);
        assertEquals(
                List.of(
                        "layers.0.weight",
                        "layers.0.bias",
                        "layers.1.weight",
                        "layers.1.bias",
                        "layers.2.weight",
                        "layers.2.bias"),
                List.copyOf(made.variables().keySet()));
        assertEquals(3 * 16 + 16 + 16 * 8 + 8 + 8 * 6 + 6, made.parameterCount());
        Tensor y = made.apply(Tensor.zeros(backend, DType.FLOAT64, 5, 3));
        assertEquals(Shape.of(5, 6), y.shape());
        assertEquals(0.0, y.abs().sum().item(), 0.0, "a zero-initialized output layer gives zeros");
        assertTrue(assertThrows(
                        IllegalArgumentException.class, () -> made.apply(Tensor.zeros(backend, DType.FLOAT64, 5, 4)))
                .getMessage()
                .contains("x must be"));
        Made conditional = Made.hidden(4).create(ctx(1), Made.Ordering.natural(3), 1, 2);
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> conditional.apply(Tensor.zeros(backend, DType.FLOAT64, 5, 3)))
                .getMessage()
                .contains("context is null"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Made.hidden(4, 0))
                .getMessage()
                .contains("hidden size #1"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> Made.hidden(4).create(ctx(1), Made.Ordering.natural(3), 0, 0))
                .getMessage()
                .contains("outputsPerFeature"));
    }
}
