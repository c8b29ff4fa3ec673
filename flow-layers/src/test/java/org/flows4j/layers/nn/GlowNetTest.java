package org.flows4j.layers.nn;

import static org.flows4j.layers.nn.NetTesting.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

class GlowNetTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 17})
    void output_is_batch_out_h_w(int batch) {
        try (Backend backend = Backends.create("cpu")) {
            GlowNet net = GlowNet.hidden(8).create(NetTesting.ctx(backend, DType.FLOAT32, 1), 3, 6);
            Tensor x = RandomSource.seeded(2).uniform(backend, DType.FLOAT32, Shape.of(batch, 3, 4, 4), -1, 1);
            assertEquals(Shape.of(batch, 6, 4, 4), net.apply(x).shape());
        }
    }

    @Test
    void fresh_network_outputs_zero() {
        try (Backend backend = Backends.create("cpu")) {
            GlowNet net = GlowNet.hidden(8).create(NetTesting.ctx(backend, DType.FLOAT32, 1), 2, 4);
            Tensor x = RandomSource.seeded(2).uniform(backend, DType.FLOAT32, Shape.of(2, 2, 4, 4), -1, 1);
            assertArrayEquals(new double[2 * 4 * 16], net.apply(x).toDoubleArray());
            for (String zero : List.of("out.weight", "out.bias", "out.logs")) {
                for (double d : net.parameters().get(zero).value().toDoubleArray()) {
                    assertEquals(0.0, d, zero);
                }
            }
        }
    }

    @Test
    void same_seed_same_parameters_other_seed_differs() {
        try (Backend backend = Backends.create("cpu")) {
            double[] a = NetTesting.flatParameters(
                    GlowNet.hidden(4).create(NetTesting.ctx(backend, DType.FLOAT32, 3), 2, 4));
            double[] b = NetTesting.flatParameters(
                    GlowNet.hidden(4).create(NetTesting.ctx(backend, DType.FLOAT32, 3), 2, 4));
            double[] c = NetTesting.flatParameters(
                    GlowNet.hidden(4).create(NetTesting.ctx(backend, DType.FLOAT32, 4), 2, 4));
            assertArrayEquals(a, b);
            assertFalse(Arrays.equals(a, c));
        }
    }

    @Test
    void names_shapes_and_counts() {
        try (Backend backend = Backends.create("cpu")) {
            GlowNet net = GlowNet.hidden(8).create(NetTesting.ctx(backend, DType.FLOAT32, 1), 3, 6);
            Map<String, Parameter> p = net.parameters();
            assertEquals(
                    List.of(
                            "conv1.weight",
                            "conv1.bias",
                            "conv2.weight",
                            "conv2.bias",
                            "out.weight",
                            "out.bias",
                            "out.logs"),
                    List.copyOf(p.keySet()));
            assertEquals(Shape.of(8, 3, 3, 3), p.get("conv1.weight").shape());
            assertEquals(Shape.of(8, 8, 1, 1), p.get("conv2.weight").shape());
            assertEquals(Shape.of(6, 8, 3, 3), p.get("out.weight").shape());
            assertEquals(Shape.of(6), p.get("out.logs").shape());
            long byHand = (8 * 3 * 9 + 8) + (8 * 8 + 8) + (6 * 8 * 9 + 6 + 6);
            assertEquals(byHand, net.parameterCount());
            // Glow's coupling net at 512 channels on a 12 -> 12 channel step (the first level of a 32x32x3 image)
            assertEquals(
                    (512L * 6 * 9 + 512) + (512L * 512 + 512) + (12L * 512 * 9 + 24),
                    GlowNet.hidden(512)
                            .create(NetTesting.ctx(backend, DType.FLOAT32, 1), 6, 12)
                            .parameterCount());
        }
    }

    @Test
    void computes_the_documented_composition_with_the_log_scale() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(5);
            GlowNet net = GlowNet.hidden(3).create(BuildContext.of(backend, DType.FLOAT64, r), 2, 2);
            NetTesting.perturb(net, r, 0.5);
            Map<String, Parameter> p = net.parameters();
            Tensor x = NetTesting.input(backend, r, 2, 2, 4, 3);
            Tensor h = conv(conv(x, p, "conv1").relu(), p, "conv2").relu();
            Tensor logs = p.get("out.logs").value();
            Tensor expected = conv(h, p, "out").mul(logs.mul(3.0).exp().reshape(1, 2, 1, 1));
            assertAllClose(expected.toDoubleArray(), net.apply(x).toDoubleArray(), 0, 0, "GlowNet formula");
        }
    }

    private static Tensor conv(Tensor x, Map<String, Parameter> p, String name) {
        Tensor b = p.get(name + ".bias").value();
        return x.conv2d(p.get(name + ".weight").value()).add(b.reshape(1, b.size(), 1, 1));
    }

    @Test
    void gradients_match_finite_differences() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(41);
            GlowNet net = GlowNet.hidden(3).create(BuildContext.of(backend, DType.FLOAT64, r), 2, 2);
            NetTesting.perturb(net, r, 0.5);
            NetTesting.checkGradients(net, NetTesting.input(backend, r, 2, 2, 3, 3), r, 3);
        }
    }

    @Test
    void conv2d_zeros_alone() {
        try (Backend backend = Backends.create("cpu")) {
            Conv2dZeros z = new Conv2dZeros(NetTesting.ctx(backend, DType.FLOAT64, 1), 3, 2, 3);
            assertEquals(
                    List.of("weight", "bias", "logs"),
                    List.copyOf(z.parameters().keySet()));
            assertEquals(2 * 3 * 9 + 2 + 2, z.parameterCount());
            RandomSource r = RandomSource.seeded(7);
            Tensor x = NetTesting.input(backend, r, 1, 3, 2, 2);
            assertArrayEquals(new double[8], z.apply(x).toDoubleArray());
            NetTesting.perturb(z, r, 0.5);
            NetTesting.checkGradients(z, x, r, 3);
        }
    }

    @Test
    void the_spec_names_bad_sizes() {
        assertEquals(512, GlowNet.hidden(512).hidden());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GlowNet.hidden(0));
        assertTrue(e.getMessage().contains("hidden channels must be positive, got 0"), e.getMessage());
        try (Backend backend = Backends.create("cpu")) {
            e = assertThrows(
                    IllegalArgumentException.class,
                    () -> GlowNet.hidden(4).create(NetTesting.ctx(backend, DType.FLOAT32, 1), 3, 0));
            assertTrue(e.getMessage().contains("out channels must be positive"), e.getMessage());
        }
    }
}
