package org.flows4j.layers.nn;

import static org.flows4j.layers.nn.NetTesting.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LinearTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 17})
    void output_is_batch_by_out(int batch) {
        try (Backend backend = Backends.create("cpu")) {
            Linear layer = new Linear(NetTesting.ctx(backend, DType.FLOAT32, 1), 5, 3, false);
            Tensor x = Tensor.zeros(backend, DType.FLOAT32, batch, 5);
            assertEquals(Shape.of(batch, 3), layer.apply(x).shape());
        }
    }

    @Test
    void computes_x_W_plus_b_with_W_in_by_out() {
        try (Backend backend = Backends.create("cpu")) {
            Linear layer = new Linear(NetTesting.ctx(backend, DType.FLOAT64, 2), 3, 2, false);
            double[] w = layer.parameters().get("weight").value().toDoubleArray();
            double[] b = layer.parameters().get("bias").value().toDoubleArray();
            double[] x = {0.5, -1, 2, 3, 0.25, -0.75};
            double[] expected = new double[4];
            for (int n = 0; n < 2; n++) {
                for (int o = 0; o < 2; o++) {
                    double s = b[o];
                    for (int i = 0; i < 3; i++) {
                        s += x[n * 3 + i] * w[i * 2 + o];
                    }
                    expected[n * 2 + o] = s;
                }
            }
            double[] y = layer.apply(Tensor.of(backend, x, 2, 3)).toDoubleArray();
            // a 3-term dot product in float64: a few ulps
            assertAllClose(expected, y, 1e-15, 1e-14, "x W + b");
        }
    }

    @Test
    void initialization_is_the_documented_uniform_draw_weight_then_bias() {
        try (Backend backend = Backends.create("cpu")) {
            int in = 4;
            int out = 3;
            Linear layer = new Linear(NetTesting.ctx(backend, DType.FLOAT64, 7), in, out, false);
            double bound = 1 / Math.sqrt(in);
            double[] u = RandomSource.seeded(7).uniform(in * out + out);
            double[] expectedW = new double[in * out];
            double[] expectedB = new double[out];
            for (int i = 0; i < u.length; i++) {
                double v = -bound + 2 * bound * u[i];
                if (i < in * out) {
                    expectedW[i] = v;
                } else {
                    expectedB[i - in * out] = v;
                }
            }
            assertArrayEquals(
                    expectedW, layer.parameters().get("weight").value().toDoubleArray());
            assertArrayEquals(expectedB, layer.parameters().get("bias").value().toDoubleArray());
            for (double d : NetTesting.flatParameters(layer)) {
                assertTrue(d >= -bound && d < bound, d + " outside [-1/sqrt(in), 1/sqrt(in))");
            }
        }
    }

    @Test
    void names_shapes_and_count() {
        try (Backend backend = Backends.create("cpu")) {
            Linear layer = new Linear(NetTesting.ctx(backend, DType.FLOAT32, 1), 6, 4, false);
            assertEquals(
                    List.of("weight", "bias"), List.copyOf(layer.parameters().keySet()));
            assertEquals(Shape.of(6, 4), layer.parameters().get("weight").shape());
            assertEquals(Shape.of(4), layer.parameters().get("bias").shape());
            assertEquals(28, layer.parameterCount());
        }
    }

    @Test
    void zero_init_gives_zero_output_and_draws_nothing() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(3);
            Linear layer = new Linear(BuildContext.of(backend, DType.FLOAT32, r), 5, 2, true);
            Tensor y = layer.apply(RandomSource.seeded(4).uniform(backend, DType.FLOAT32, Shape.of(3, 5), -1, 1));
            assertArrayEquals(new double[6], y.toDoubleArray());
            assertEquals(RandomSource.seeded(3).nextLong(), r.nextLong(), "zero init must not advance the source");
        }
    }

    @Test
    void same_seed_same_parameters_other_seed_differs() {
        try (Backend backend = Backends.create("cpu")) {
            double[] a = NetTesting.flatParameters(new Linear(NetTesting.ctx(backend, DType.FLOAT32, 9), 5, 4, false));
            double[] b = NetTesting.flatParameters(new Linear(NetTesting.ctx(backend, DType.FLOAT32, 9), 5, 4, false));
            double[] c = NetTesting.flatParameters(new Linear(NetTesting.ctx(backend, DType.FLOAT32, 10), 5, 4, false));
            assertArrayEquals(a, b);
            assertFalse(java.util.Arrays.equals(a, c));
        }
    }

    @Test
    void gradients_match_finite_differences() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(11);
            Linear layer = new Linear(BuildContext.of(backend, DType.FLOAT64, r), 4, 3, false);
            NetTesting.checkGradients(layer, NetTesting.input(backend, r, 5, 4), r, 4);
        }
    }

    @Test
    void rejects_bad_sizes_and_inputs() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(1);
            assertThrows(
                    IllegalArgumentException.class,
                    () -> new Linear(BuildContext.of(backend, DType.FLOAT32, r), 0, 3, false));
            Linear layer = new Linear(BuildContext.of(backend, DType.FLOAT32, r), 4, 3, false);
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> layer.apply(Tensor.zeros(backend, DType.FLOAT32, 2, 5)));
            assertTrue(e.getMessage().contains("[batch, 4]"), e.getMessage());
        }
    }
}
