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

class ResNetTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 17})
    void output_is_batch_out_h_w(int batch) {
        try (Backend backend = Backends.create("cpu")) {
            ResNet net = new ResNet(backend, DType.FLOAT32, 3, 8, 2, 6, false, RandomSource.seeded(1));
            Tensor x = RandomSource.seeded(2).uniform(backend, DType.FLOAT32, Shape.of(batch, 3, 4, 4), -1, 1);
            assertEquals(Shape.of(batch, 6, 4, 4), net.apply(x).shape());
        }
    }

    @Test
    void zero_init_last_gives_zero_output() {
        try (Backend backend = Backends.create("cpu")) {
            ResNet net = new ResNet(backend, DType.FLOAT32, 2, 4, 1, 4, true, RandomSource.seeded(1));
            Tensor x = RandomSource.seeded(2).uniform(backend, DType.FLOAT32, Shape.of(3, 2, 4, 4), -1, 1);
            assertArrayEquals(new double[3 * 4 * 16], net.apply(x).toDoubleArray());
        }
    }

    @Test
    void same_seed_same_parameters_and_outputs_other_seed_differs() {
        try (Backend backend = Backends.create("cpu")) {
            Tensor x = RandomSource.seeded(2).uniform(backend, DType.FLOAT32, Shape.of(2, 2, 4, 4), -1, 1);
            ResNet a = new ResNet(backend, DType.FLOAT32, 2, 4, 2, 4, false, RandomSource.seeded(3));
            ResNet b = new ResNet(backend, DType.FLOAT32, 2, 4, 2, 4, false, RandomSource.seeded(3));
            ResNet c = new ResNet(backend, DType.FLOAT32, 2, 4, 2, 4, false, RandomSource.seeded(4));
            assertArrayEquals(NetTesting.flatParameters(a), NetTesting.flatParameters(b));
            assertArrayEquals(a.apply(x).toDoubleArray(), b.apply(x).toDoubleArray());
            assertFalse(Arrays.equals(NetTesting.flatParameters(a), NetTesting.flatParameters(c)));
        }
    }

    @Test
    void names_shapes_and_counts() {
        try (Backend backend = Backends.create("cpu")) {
            ResNet net = new ResNet(backend, DType.FLOAT32, 3, 8, 2, 6, true, RandomSource.seeded(1));
            assertEquals(List.of("input.weight", "input.bias",
                    "blocks.0.conv1.weight", "blocks.0.conv1.bias", "blocks.0.conv2.weight", "blocks.0.conv2.bias",
                    "blocks.1.conv1.weight", "blocks.1.conv1.bias", "blocks.1.conv2.weight", "blocks.1.conv2.bias",
                    "output.weight", "output.bias"), List.copyOf(net.parameters().keySet()));
            assertEquals(Shape.of(8, 3, 3, 3), net.parameters().get("input.weight").shape());
            assertEquals(Shape.of(8, 8, 3, 3), net.parameters().get("blocks.1.conv2.weight").shape());
            assertEquals(Shape.of(6, 8, 3, 3), net.parameters().get("output.weight").shape());
            long byHand = (8 * 3 * 9 + 8) + 2 * 2 * (8 * 8 * 9 + 8) + (6 * 8 * 9 + 6);
            assertEquals(byHand, net.parameterCount());
            assertEquals(byHand, ResNet.parameterCount(3, 8, 2, 6));
            // RealNVP on CIFAR-10: 64 features, 8 blocks; e.g. 6 -> 12 channels for s and t of a checkerboard step
            assertEquals((64 * 6 * 9 + 64) + 8 * 2 * (64 * 64 * 9 + 64) + (12 * 64 * 9 + 12),
                    ResNet.parameterCount(6, 64, 8, 12));
        }
    }

    @Test
    void computes_the_documented_composition() {
        try (Backend backend = Backends.create("cpu")) {
            ResNet net = new ResNet(backend, DType.FLOAT64, 2, 3, 1, 2, false, RandomSource.seeded(5));
            Map<String, Parameter> p = net.parameters();
            Tensor x = NetTesting.input(backend, RandomSource.seeded(6), 2, 2, 4, 3);
            Tensor h = conv(x, p, "input");
            h = h.add(conv(conv(h.relu(), p, "blocks.0.conv1").relu(), p, "blocks.0.conv2"));
            Tensor expected = conv(h.relu(), p, "output");
            assertAllClose(expected.toDoubleArray(), net.apply(x).toDoubleArray(), 0, 0, "ResNet formula");
        }
    }

    private static Tensor conv(Tensor x, Map<String, Parameter> p, String name) {
        Tensor b = p.get(name + ".bias").value();
        return x.conv2d(p.get(name + ".weight").value()).add(b.reshape(1, b.size(), 1, 1));
    }

    @Test
    void gradients_match_finite_differences() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(31);
            ResNet net = new ResNet(backend, DType.FLOAT64, 2, 3, 1, 2, true, r);
            NetTesting.perturb(net, r, 0.5);
            NetTesting.checkGradients(net, NetTesting.input(backend, r, 2, 2, 3, 4), r, 3);
        }
    }

    @Test
    void rejects_flat_inputs() {
        try (Backend backend = Backends.create("cpu")) {
            ResNet net = new ResNet(backend, DType.FLOAT32, 2, 4, 1, 4, true, RandomSource.seeded(1));
            assertThrows(IllegalArgumentException.class, () -> net.apply(Tensor.zeros(backend, DType.FLOAT32, 3, 2)));
            assertThrows(IllegalArgumentException.class, () -> ResNet.parameterCount(2, 4, -1, 4));
        }
    }
}
