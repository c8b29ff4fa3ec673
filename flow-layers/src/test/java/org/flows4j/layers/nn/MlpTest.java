package org.flows4j.layers.nn;

import static org.flows4j.layers.nn.NetTesting.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.flows4j.layers.BuildContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MlpTest {

    private static BuildContext ctx(Backend backend, DType dtype, RandomSource random) {
        return BuildContext.of(backend, dtype, random);
    }

    private static Mlp small(Backend backend, DType dtype, boolean zeroLast, long seed) {
        return Mlp.hidden(8, 8).zeroInitLast(zeroLast).create(ctx(backend, dtype, RandomSource.seeded(seed)), 3, 5);
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
                assertArrayEquals(
                        plain.parameters().get(name).value().toDoubleArray(),
                        zero.parameters().get(name).value().toDoubleArray(),
                        name);
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
            assertEquals(
                    List.of(
                            "layers.0.weight",
                            "layers.0.bias",
                            "layers.1.weight",
                            "layers.1.bias",
                            "layers.2.weight",
                            "layers.2.bias"),
                    List.copyOf(p.keySet()));
            assertEquals(Shape.of(3, 8), p.get("layers.0.weight").shape());
            assertEquals(Shape.of(8, 8), p.get("layers.1.weight").shape());
            assertEquals(Shape.of(8, 5), p.get("layers.2.weight").shape());
            assertEquals(Shape.of(5), p.get("layers.2.bias").shape());
            long byHand = (3 * 8 + 8) + (8 * 8 + 8) + (8 * 5 + 5);
            assertEquals(byHand, mlp.parameterCount());
        }
    }

    @Test
    void no_hidden_sizes_is_one_linear_map() {
        try (Backend backend = Backends.create("cpu")) {
            Mlp mlp = Mlp.hidden()
                    .activation(Activation.TANH)
                    .zeroInitLast(false)
                    .create(ctx(backend, DType.FLOAT32, RandomSource.seeded(1)), 4, 2);
            assertEquals(
                    List.of("layers.0.weight", "layers.0.bias"),
                    List.copyOf(mlp.parameters().keySet()));
            assertEquals(Shape.of(4, 2), mlp.parameters().get("layers.0.weight").shape());
            assertEquals(4 * 2 + 2, mlp.parameterCount());
            assertArrayEquals(new int[0], mlp.hiddenSizes());
        }
    }

    @Test
    void nice_coupling_network_count() {
        // NICE (Dinh et al. 2015) on MNIST: 392 -> 5 hidden ReLU layers of 1000 -> 392
        long first = 392L * 1000 + 1000; //   393,000
        long hidden = 4L * (1000 * 1000 + 1000); // 4,004,000
        long last = 1000L * 392 + 392; //   392,392
        assertEquals(4_789_392L, first + hidden + last);
        try (Backend backend = Backends.create("cpu")) {
            Mlp nice = Mlp.hidden(1000, 1000, 1000, 1000, 1000)
                    .create(ctx(backend, DType.FLOAT32, RandomSource.seeded(1)), 392, 392);
            assertEquals(4_789_392L, nice.parameterCount());
            // four coupling layers plus the 784 diagonal scales: the paper's ~19.16 M
            assertEquals(19_158_352L, 4 * nice.parameterCount() + 784);
        }
    }

    @Test
    void realnvp_two_d_network_count() {
        try (Backend backend = Backends.create("cpu")) {
            Mlp mlp = Mlp.hidden(64, 64).create(ctx(backend, DType.FLOAT32, RandomSource.seeded(1)), 2, 2);
            assertEquals((2 * 64 + 64) + (64 * 64 + 64) + (64 * 2 + 2), mlp.parameterCount());
        }
    }

    @Test
    void hidden_sizes_of_different_widths_chain() {
        try (Backend backend = Backends.create("cpu")) {
            Mlp mlp = Mlp.hidden(7, 3, 5).create(ctx(backend, DType.FLOAT64, RandomSource.seeded(1)), 2, 4);
            Map<String, Parameter> p = mlp.parameters();
            assertEquals(Shape.of(2, 7), p.get("layers.0.weight").shape());
            assertEquals(Shape.of(7, 3), p.get("layers.1.weight").shape());
            assertEquals(Shape.of(3, 5), p.get("layers.2.weight").shape());
            assertEquals(Shape.of(5, 4), p.get("layers.3.weight").shape());
            assertArrayEquals(new int[] {7, 3, 5}, mlp.hiddenSizes());
            assertEquals(2, mlp.in());
            assertEquals(4, mlp.out());
            assertEquals(Activation.RELU, mlp.activation());
        }
    }

    @Test
    void a_layer_is_built_from_each_split_of_the_context_in_order() {
        // the documented consumption: layer i draws from the i-th split, so random advances by H + 1
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(21);
            Mlp mlp = Mlp.hidden(4, 4).zeroInitLast(false).create(ctx(backend, DType.FLOAT64, r), 3, 2);
            RandomSource replay = RandomSource.seeded(21);
            BuildContext c = ctx(backend, DType.FLOAT64, replay);
            Linear l0 = new Linear(c.split(), 3, 4, false);
            Linear l1 = new Linear(c.split(), 4, 4, false);
            Linear l2 = new Linear(c.split(), 4, 2, false);
            double[] expected = NetTesting.concat(
                    NetTesting.flatParameters(l0), NetTesting.flatParameters(l1), NetTesting.flatParameters(l2));
            assertArrayEquals(expected, NetTesting.flatParameters(mlp));
            assertEquals(replay.nextLong(), r.nextLong(), "both sources advanced by exactly 3 splits");
        }
    }

    @Test
    void the_spec_is_an_immutable_value_with_documented_defaults() {
        Mlp.Spec spec = Mlp.hidden(64, 64);
        assertArrayEquals(new int[] {64, 64}, spec.hiddenSizes());
        assertEquals(Activation.RELU, spec.activation());
        assertTrue(spec.zeroInitLast());
        Mlp.Spec tanh = spec.activation(Activation.TANH);
        assertEquals(Activation.RELU, spec.activation(), "the original is unchanged");
        assertEquals(Activation.TANH, tanh.activation());
        assertFalse(spec.zeroInitLast(false).zeroInitLast());
        assertEquals(Mlp.hidden(64, 64), spec);
        assertEquals(Mlp.hidden(64, 64).hashCode(), spec.hashCode());
        assertNotEquals(Mlp.hidden(64, 32), spec);
        int[] sizes = {8, 8};
        Mlp.Spec fromArray = Mlp.hidden(sizes);
        sizes[0] = 1;
        assertArrayEquals(new int[] {8, 8}, fromArray.hiddenSizes(), "the sizes are copied");
    }

    @Test
    void he_init_draws_weights_within_sqrt_six_over_fan_in_and_zero_biases() {
        try (Backend backend = Backends.create("cpu")) {
            Mlp.Spec spec = Mlp.hidden(400, 300).init(WeightInit.HE);
            assertEquals(WeightInit.HE, spec.init());
            assertEquals(WeightInit.PYTORCH, Mlp.hidden(400, 300).init(), "the default is PyTorch's");
            assertNotEquals(Mlp.hidden(400, 300), spec);
            assertEquals(Mlp.hidden(400, 300).init(WeightInit.HE), spec);
            assertEquals(Mlp.hidden(400, 300).init(WeightInit.HE).hashCode(), spec.hashCode());
            assertTrue(spec.toString().contains("HE"), spec.toString());
            Mlp mlp = spec.create(ctx(backend, DType.FLOAT64, RandomSource.seeded(3)), 200, 10);
            Map<String, Parameter> p = mlp.parameters();
            int[] fanIn = {200, 400};
            for (int i = 0; i < 2; i++) {
                double[] w = p.get("layers." + i + ".weight").value().toDoubleArray();
                double bound = Math.sqrt(6.0 / fanIn[i]);
                double max = 0;
                double sumSq = 0;
                for (double v : w) {
                    max = Math.max(max, Math.abs(v));
                    sumSq += v * v;
                }
                assertTrue(max < bound && max > 0.99 * bound, "layer " + i + ": max |w| " + max + ", bound " + bound);
                assertEquals(2.0 / fanIn[i], sumSq / w.length, 0.03 * 2.0 / fanIn[i], "variance 2/in");
                assertArrayEquals(
                        new double[i == 0 ? 400 : 300],
                        p.get("layers." + i + ".bias").value().toDoubleArray());
            }
            assertArrayEquals(
                    new double[300 * 10],
                    p.get("layers.2.weight").value().toDoubleArray(),
                    "the output layer still starts at zero");
        }
    }

    @Test
    void he_init_keeps_the_signal_of_a_deep_relu_stack_where_pytorchs_default_loses_it() {
        try (Backend backend = Backends.create("cpu")) {
            Tensor x = RandomSource.seeded(2).normal(backend, DType.FLOAT64, Shape.of(256, 500), 0, 1);
            double[] rms = new double[2];
            WeightInit[] inits = {WeightInit.HE, WeightInit.PYTORCH};
            for (int k = 0; k < 2; k++) {
                BuildContext c = ctx(backend, DType.FLOAT64, RandomSource.seeded(4));
                Tensor h = x;
                for (int i = 0; i < 5; i++) {
                    h = new Linear(c.split(), 500, 500, inits[k]).apply(h, Activation.RELU);
                }
                rms[k] = Math.sqrt(h.square().mean().item());
            }
            // He: the second moment of a ReLU layer's output equals its input's (1 here, up to sampling)
            assertEquals(1.0, rms[0], 0.25, "He keeps the signal");
            assertTrue(rms[1] < 0.35 * rms[0], "PyTorch's default shrinks it: " + rms[1] + " against " + rms[0]);
        }
    }

    @Test
    void the_spec_rejects_bad_sizes_naming_them() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Mlp.hidden(64, 0, 8));
        assertTrue(e.getMessage().contains("hidden size #1"), e.getMessage());
        assertTrue(e.getMessage().contains("got 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Mlp.hidden(-3));
        assertTrue(e.getMessage().contains("hidden size #0"), e.getMessage());
        NullPointerException n =
                assertThrows(NullPointerException.class, () -> Mlp.hidden(64).activation(null));
        assertEquals("activation", n.getMessage());
        assertThrows(NullPointerException.class, () -> Mlp.hidden((int[]) null));
        try (Backend backend = Backends.create("cpu")) {
            BuildContext c = ctx(backend, DType.FLOAT32, RandomSource.seeded(1));
            e = assertThrows(IllegalArgumentException.class, () -> Mlp.hidden(8).create(c, 0, 2));
            assertTrue(e.getMessage().contains("in must be positive"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Mlp.hidden(8).create(c, 2, -1));
            assertTrue(e.getMessage().contains("out must be positive"), e.getMessage());
        }
    }

    @Test
    void computes_the_documented_composition() {
        try (Backend backend = Backends.create("cpu")) {
            Mlp mlp = Mlp.hidden(4)
                    .activation(Activation.TANH)
                    .zeroInitLast(false)
                    .create(ctx(backend, DType.FLOAT64, RandomSource.seeded(3)), 3, 2);
            Map<String, Parameter> p = mlp.parameters();
            Tensor x = NetTesting.input(backend, RandomSource.seeded(4), 5, 3);
            Tensor expected = x.matmul(p.get("layers.0.weight").value())
                    .add(p.get("layers.0.bias").value())
                    .tanh()
                    .matmul(p.get("layers.1.weight").value())
                    .add(p.get("layers.1.bias").value());
            assertArrayEquals(expected.toDoubleArray(), mlp.apply(x).toDoubleArray());
        }
    }

    @Test
    void gradients_match_finite_differences() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(12);
            Mlp mlp = Mlp.hidden(6, 6).activation(Activation.TANH).create(ctx(backend, DType.FLOAT64, r), 3, 2);
            NetTesting.perturb(mlp, r, 0.5); // the zero last layer would hide the earlier gradients
            NetTesting.checkGradients(mlp, NetTesting.input(backend, r, 4, 3), r, 4);
        }
    }

    @Test
    void relu_gradients_match_finite_differences() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(13);
            Mlp mlp = Mlp.hidden(6, 6).zeroInitLast(false).create(ctx(backend, DType.FLOAT64, r), 3, 2);
            NetTesting.checkGradients(mlp, NetTesting.input(backend, r, 4, 3), r, 4);
        }
    }

    @Test
    void rejects_bad_sizes_and_inputs() {
        try (Backend backend = Backends.create("cpu")) {
            assertThrows(IllegalArgumentException.class, () -> Mlp.hidden(8, -1));
            assertThrows(IllegalArgumentException.class, () -> Mlp.hidden(0, 8));
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
            assertAllClose(
                    a.apply(x).toDoubleArray(),
                    b.apply(x.to(DType.FLOAT32)).toDoubleArray(),
                    1e-6,
                    1e-5,
                    "float32 vs float64");
        }
    }
}
