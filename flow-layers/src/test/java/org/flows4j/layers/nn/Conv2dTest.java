package org.flows4j.layers.nn;

import static org.flows4j.layers.nn.NetTesting.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
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

class Conv2dTest {

    /** Same-padded cross-correlation on the host, straight from the formula in Conv2d's Javadoc. */
    static double[] reference(
            double[] x, int n, int cin, int h, int w, double[] weight, double[] bias, int cout, int k) {
        double[] y = new double[n * cout * h * w];
        int r = k / 2;
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < cout; o++) {
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < w; j++) {
                        double s = bias == null ? 0 : bias[o];
                        for (int c = 0; c < cin; c++) {
                            for (int u = 0; u < k; u++) {
                                for (int v = 0; v < k; v++) {
                                    int ii = i + u - r;
                                    int jj = j + v - r;
                                    if (ii >= 0 && ii < h && jj >= 0 && jj < w) {
                                        s += weight[((o * cin + c) * k + u) * k + v]
                                                * x[((b * cin + c) * h + ii) * w + jj];
                                    }
                                }
                            }
                        }
                        y[((b * cout + o) * h + i) * w + j] = s;
                    }
                }
            }
        }
        return y;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 17})
    void output_keeps_height_and_width(int batch) {
        try (Backend backend = Backends.create("cpu")) {
            Conv2d conv = new Conv2d(NetTesting.ctx(backend, DType.FLOAT32, 1), 3, 5, 3, true, false);
            Tensor x = RandomSource.seeded(2).uniform(backend, DType.FLOAT32, Shape.of(batch, 3, 6, 4), -1, 1);
            assertEquals(Shape.of(batch, 5, 6, 4), conv.apply(x).shape());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 5})
    void matches_the_host_formula(int k) {
        try (Backend backend = Backends.create("cpu")) {
            for (boolean bias : new boolean[] {true, false}) {
                Conv2d conv = new Conv2d(NetTesting.ctx(backend, DType.FLOAT64, k), 2, 3, k, bias, false);
                Tensor x = NetTesting.input(backend, RandomSource.seeded(10 + k), 2, 2, 5, 4);
                double[] b = bias ? conv.parameters().get("bias").value().toDoubleArray() : null;
                double[] expected = reference(
                        x.toDoubleArray(),
                        2,
                        2,
                        5,
                        4,
                        conv.parameters().get("weight").value().toDoubleArray(),
                        b,
                        3,
                        k);
                // sums of at most 2 * 25 + 1 products in float64
                assertAllClose(expected, conv.apply(x).toDoubleArray(), 1e-14, 1e-12, "conv k=" + k + " bias=" + bias);
            }
        }
    }

    @Test
    void names_shapes_counts_and_init_bound() {
        try (Backend backend = Backends.create("cpu")) {
            Conv2d conv = new Conv2d(NetTesting.ctx(backend, DType.FLOAT32, 1), 4, 6, 3, true, false);
            assertEquals(
                    List.of("weight", "bias"), List.copyOf(conv.parameters().keySet()));
            assertEquals(Shape.of(6, 4, 3, 3), conv.parameters().get("weight").shape());
            assertEquals(Shape.of(6), conv.parameters().get("bias").shape());
            assertEquals(6 * 4 * 9 + 6, conv.parameterCount());
            double bound = 1 / Math.sqrt(4 * 9);
            for (double d : NetTesting.flatParameters(conv)) {
                assertTrue(d >= -bound && d < bound, d + " outside the fan-in bound");
            }
            Conv2d noBias = new Conv2d(NetTesting.ctx(backend, DType.FLOAT32, 1), 4, 6, 1, false, false);
            assertEquals(List.of("weight"), List.copyOf(noBias.parameters().keySet()));
            assertEquals(24, noBias.parameterCount());
        }
    }

    @Test
    void zero_init_gives_zero_output() {
        try (Backend backend = Backends.create("cpu")) {
            Conv2d conv = new Conv2d(NetTesting.ctx(backend, DType.FLOAT32, 1), 2, 3, 3, true, true);
            Tensor x = RandomSource.seeded(2).uniform(backend, DType.FLOAT32, Shape.of(2, 2, 4, 4), -1, 1);
            assertArrayEquals(new double[2 * 3 * 16], conv.apply(x).toDoubleArray());
        }
    }

    @Test
    void same_seed_same_parameters_other_seed_differs() {
        try (Backend backend = Backends.create("cpu")) {
            double[] a = NetTesting.flatParameters(
                    new Conv2d(NetTesting.ctx(backend, DType.FLOAT32, 4), 2, 3, 3, true, false));
            double[] b = NetTesting.flatParameters(
                    new Conv2d(NetTesting.ctx(backend, DType.FLOAT32, 4), 2, 3, 3, true, false));
            double[] c = NetTesting.flatParameters(
                    new Conv2d(NetTesting.ctx(backend, DType.FLOAT32, 5), 2, 3, 3, true, false));
            assertArrayEquals(a, b);
            assertFalse(Arrays.equals(a, c));
        }
    }

    @Test
    void gradients_match_finite_differences() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(21);
            Conv2d conv = new Conv2d(BuildContext.of(backend, DType.FLOAT64, r), 2, 3, 3, true, false);
            NetTesting.checkGradients(conv, NetTesting.input(backend, r, 2, 2, 4, 5), r, 5);
        }
    }

    @Test
    void rejects_even_kernels_and_wrong_channels() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(1);
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> new Conv2d(BuildContext.of(backend, DType.FLOAT32, r), 2, 3, 2, true, false));
            assertTrue(e.getMessage().contains("odd"), e.getMessage());
            Conv2d conv = new Conv2d(BuildContext.of(backend, DType.FLOAT32, r), 2, 3, 3, true, false);
            e = assertThrows(
                    IllegalArgumentException.class, () -> conv.apply(Tensor.zeros(backend, DType.FLOAT32, 1, 3, 4, 4)));
            assertTrue(e.getMessage().contains("NCHW"), e.getMessage());
        }
    }
}
