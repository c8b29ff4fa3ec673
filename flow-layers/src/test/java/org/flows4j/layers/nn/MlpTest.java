package org.flows4j.layers.nn;

import static org.flows4j.layers.nn.NetTesting.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MlpTest {

    private static Mlp small(Backend backend, DType dtype, boolean zeroLast, long seed) {
        return new Mlp(backend, dtype, 3, 8, 2, 5, Activation.RELU, zeroLast, RandomSource.seeded(seed));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 17})
    void output_is_batch_by_out(int batch) {
        try (Backend backend = Backends.create("cpu")) {
            Mlp mlp = small(backend, DType.FLOAT32, false, 1);
            Tensor x = RandomSource.seeded(2).uniform(backend, DType.FLOAT32, Shape.of(batch, 3), -1, 1);
            assertEquals(Shape.of(batch, 5), mlp.apply(x).shape());
        }
    }

    @Test
    void zero_init_last_gives_zero_output_and_keeps_hidden_layers() {
        try (Backend backend = Backends.create("cpu")) {
            Mlp zero = small(backend, DType.FLOAT32, true, 1);
            Mlp plain = small(backend, DType.FLOAT32, false, 1);
            Tensor x = RandomSource.seeded(2).uniform(backend, DType.FLOAT32, Shape.of(4, 3), -1, 1);
            assertArrayEquals(new double[20], zero.apply(x).toDoubleArray());
            // each layer draws from its own split, so zeroing the last one leaves the others as they were
            for (String name : List.of("layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias")) {
                assertArrayEquals(plain.parameters().get(name).value().toDoubleArray(),
                        zero.parameters().get(name).value().toDoubleArray(), name);
            }
        }
    }

    @Test
    void same_seed_same_parameters_and_outputs_other_seed_differs() {
        try (Backend backend = Backends.create("cpu")) {
            Tensor x = RandomSource.seeded(2).uniform(backend, DType.FLOAT32, Shape.of(4, 3), -1, 1);
            Mlp a = small(backend, DType.FLOAT32, false, 5);
            Mlp b = small(backend, DType.FLOAT32, false, 5);
            Mlp c = small(backend, DType.FLOAT32, false, 6);
            assertArrayEquals(NetTesting.flatParameters(a), NetTesting.flatParameters(b));
            assertArrayEquals(a.apply(x).toDoubleArray(), b.apply(x).toDoubleArray());
            assertFalse(Arrays.equals(NetTesting.flatParameters(a), NetTesting.flatParameters(c)));
            assertFalse(Arrays.equals(a.apply(x).toDoubleArray(), c.apply(x).toDoubleArray()));
        }
    }

    @Test
    void parameter_names_shapes_and_counts() {
        try (Backend backend = Backends.create("cpu")) {
            Mlp mlp = small(backend, DType.FLOAT32, false, 1);
            Map<String, Parameter> p = mlp.parameters();
            assertEquals(List.of("layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
                    "layers.2.weight", "layers.2.bias"), List.copyOf(p.keySet()));
            assertEquals(Shape.of(3, 8), p.get("layers.0.weight").shape());
            assertEquals(Shape.of(8, 8), p.get("layers.1.weight").shape());
            assertEquals(Shape.of(8, 5), p.get("layers.2.weight").shape());
            assertEquals(Shape.of(5), p.get("layers.2.bias").shape());
            long byHand = (3 * 8 + 8) + (8 * 8 + 8) + (8 * 5 + 5);
            assertEquals(byHand, mlp.parameterCount());
            assertEquals(byHand, Mlp.parameterCount(3, 8, 2, 5));
        }
    }

    @Test
    void depth_zero_is_one_linear_map() {
        try (Backend backend = Backends.create("cpu")) {
            Mlp mlp = new Mlp(backend, DType.FLOAT32, 4, 100, 0, 2, Activation.TANH, false, RandomSource.seeded(1));
            assertEquals(List.of("layers.0.weight", "layers.0.bias"), List.copyOf(mlp.parameters().keySet()));
            assertEquals(Shape.of(4, 2), mlp.parameters().get("layers.0.weight").shape());
            assertEquals(4 * 2 + 2, Mlp.parameterCount(4, 100, 0, 2));
            assertEquals(mlp.parameterCount(), Mlp.parameterCount(4, 100, 0, 2));
        }
    }

    @Test
    void nice_coupling_network_count_without_building_it() {
        // NICE (Dinh et al. 2015) on MNIST: 392 -> 5 hidden ReLU layers of 1000 -> 392
        long first = 392L * 1000 + 1000;          //   393,000
        long hidden = 4L * (1000 * 1000 + 1000);  // 4,004,000
        long last = 1000L * 392 + 392;            //   392,392
        assertEquals(4_789_392L, first + hidden + last);
        assertEquals(4_789_392L, Mlp.parameterCount(392, 1000, 5, 392));
        // four coupling layers plus the 784 diagonal scales: the paper's ~19.16 M
        assertEquals(19_158_352L, 4 * Mlp.parameterCount(392, 1000, 5, 392) + 784);
    }

    @Test
    void realnvp_two_d_network_count_matches_a_built_one() {
        try (Backend backend = Backends.create("cpu")) {
            Mlp mlp = new Mlp(backend, DType.FLOAT32, 2, 64, 2, 2, Activation.RELU, true, RandomSource.seeded(1));
            assertEquals((2 * 64 + 64) + (64 * 64 + 64) + (64 * 2 + 2), mlp.parameterCount());
            assertEquals(mlp.parameterCount(), Mlp.parameterCount(2, 64, 2, 2));
        }
    }

    @Test
    void computes_the_documented_composition() {
        try (Backend backend = Backends.create("cpu")) {
            Mlp mlp = new Mlp(backend, DType.FLOAT64, 3, 4, 1, 2, Activation.TANH, false, RandomSource.seeded(3));
            Map<String, Parameter> p = mlp.parameters();
            Tensor x = NetTesting.input(backend, RandomSource.seeded(4), 5, 3);
            Tensor expected = x.matmul(p.get("layers.0.weight").value()).add(p.get("layers.0.bias").value()).tanh()
                    .matmul(p.get("layers.1.weight").value()).add(p.get("layers.1.bias").value());
            assertArrayEquals(expected.toDoubleArray(), mlp.apply(x).toDoubleArray());
        }
    }

    @Test
    void gradients_match_finite_differences() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(12);
            Mlp mlp = new Mlp(backend, DType.FLOAT64, 3, 6, 2, 2, Activation.TANH, true, r);
            NetTesting.perturb(mlp, r, 0.5); // the zero last layer would hide the earlier gradients
            NetTesting.checkGradients(mlp, NetTesting.input(backend, r, 4, 3), r, 4);
        }
    }

    @Test
    void relu_gradients_match_finite_differences() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(13);
            Mlp mlp = new Mlp(backend, DType.FLOAT64, 3, 6, 2, 2, Activation.RELU, false, r);
            NetTesting.checkGradients(mlp, NetTesting.input(backend, r, 4, 3), r, 4);
        }
    }

    @Test
    void rejects_bad_sizes_and_inputs() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(1);
            assertThrows(IllegalArgumentException.class,
                    () -> new Mlp(backend, DType.FLOAT32, 3, 8, -1, 5, Activation.RELU, false, r));
            assertThrows(IllegalArgumentException.class, () -> Mlp.parameterCount(3, 0, 2, 5));
            Mlp mlp = small(backend, DType.FLOAT32, false, 1);
            assertThrows(IllegalArgumentException.class, () -> mlp.apply(Tensor.zeros(backend, DType.FLOAT32, 2, 4)));
        }
    }

    @Test
    void float32_and_float64_agree() {
        try (Backend backend = Backends.create("cpu")) {
            Mlp a = small(backend, DType.FLOAT64, false, 8);
            Mlp b = small(backend, DType.FLOAT32, false, 8);
            Tensor x = NetTesting.input(backend, RandomSource.seeded(2), 3, 3);
            // float32 weights are the float64 ones rounded (relative error 6e-8), through 3 layers of <= 8 terms
            assertAllClose(a.apply(x).toDoubleArray(), b.apply(x.to(DType.FLOAT32)).toDoubleArray(), 1e-6, 1e-5,
                    "float32 vs float64");
        }
    }
}
