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

class ResNetTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 17})
    void output_is_batch_out_h_w(int batch) {
        try (Backend backend = Backends.create("cpu")) {
            ResNet net = ResNet.width(8)
                    .blocks(2)
                    .zeroInitLast(false)
                    .create(NetTesting.ctx(backend, DType.FLOAT32, 1), 3, 6);
            Tensor x = RandomSource.seeded(2).uniform(backend, DType.FLOAT32, Shape.of(batch, 3, 4, 4), -1, 1);
            assertEquals(Shape.of(batch, 6, 4, 4), net.apply(x).shape());
        }
    }

    @Test
    void zero_init_last_gives_zero_output() {
        try (Backend backend = Backends.create("cpu")) {
            ResNet net = ResNet.width(4).blocks(1).create(NetTesting.ctx(backend, DType.FLOAT32, 1), 2, 4);
            Tensor x = RandomSource.seeded(2).uniform(backend, DType.FLOAT32, Shape.of(3, 2, 4, 4), -1, 1);
            assertArrayEquals(new double[3 * 4 * 16], net.apply(x).toDoubleArray());
        }
    }

    @Test
    void same_seed_same_parameters_and_outputs_other_seed_differs() {
        try (Backend backend = Backends.create("cpu")) {
            Tensor x = RandomSource.seeded(2).uniform(backend, DType.FLOAT32, Shape.of(2, 2, 4, 4), -1, 1);
            ResNet a = ResNet.width(4)
                    .blocks(2)
                    .zeroInitLast(false)
                    .create(NetTesting.ctx(backend, DType.FLOAT32, 3), 2, 4);
            ResNet b = ResNet.width(4)
                    .blocks(2)
                    .zeroInitLast(false)
                    .create(NetTesting.ctx(backend, DType.FLOAT32, 3), 2, 4);
            ResNet c = ResNet.width(4)
                    .blocks(2)
                    .zeroInitLast(false)
                    .create(NetTesting.ctx(backend, DType.FLOAT32, 4), 2, 4);
            assertArrayEquals(NetTesting.flatParameters(a), NetTesting.flatParameters(b));
            assertArrayEquals(a.apply(x).toDoubleArray(), b.apply(x).toDoubleArray());
            assertFalse(Arrays.equals(NetTesting.flatParameters(a), NetTesting.flatParameters(c)));
        }
    }

    @Test
    void names_shapes_and_counts() {
        try (Backend backend = Backends.create("cpu")) {
            ResNet net = ResNet.width(8).blocks(2).create(NetTesting.ctx(backend, DType.FLOAT32, 1), 3, 6);
            assertEquals(
                    List.of(
                            "input.weight",
                            "input.bias",
                            "blocks.0.conv1.weight",
                            "blocks.0.conv1.bias",
                            "blocks.0.conv2.weight",
                            "blocks.0.conv2.bias",
                            "blocks.1.conv1.weight",
                            "blocks.1.conv1.bias",
                            "blocks.1.conv2.weight",
                            "blocks.1.conv2.bias",
                            "output.weight",
                            "output.bias"),
                    List.copyOf(net.parameters().keySet()));
            assertEquals(
                    Shape.of(8, 3, 3, 3), net.parameters().get("input.weight").shape());
            assertEquals(
                    Shape.of(8, 8, 3, 3),
                    net.parameters().get("blocks.1.conv2.weight").shape());
            assertEquals(
                    Shape.of(6, 8, 3, 3), net.parameters().get("output.weight").shape());
            long byHand = (8 * 3 * 9 + 8) + 2 * 2 * (8 * 8 * 9 + 8) + (6 * 8 * 9 + 6);
            assertEquals(byHand, net.parameterCount());
            // RealNVP on CIFAR-10: 64 features, 8 blocks; e.g. 6 -> 12 channels for s and t of a checkerboard step
            assertEquals(
                    (64 * 6 * 9 + 64) + 8 * 2 * (64 * 64 * 9 + 64) + (12 * 64 * 9 + 12),
                    ResNet.width(64)
                            .blocks(8)
                            .create(NetTesting.ctx(backend, DType.FLOAT32, 1), 6, 12)
                            .parameterCount());
        }
    }

    @Test
    void computes_the_documented_composition() {
        try (Backend backend = Backends.create("cpu")) {
            ResNet net = ResNet.width(3)
                    .blocks(1)
                    .zeroInitLast(false)
                    .create(NetTesting.ctx(backend, DType.FLOAT64, 5), 2, 2);
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
            ResNet net = ResNet.width(3).blocks(1).create(BuildContext.of(backend, DType.FLOAT64, r), 2, 2);
            NetTesting.perturb(net, r, 0.5);
            NetTesting.checkGradients(net, NetTesting.input(backend, r, 2, 2, 3, 4), r, 3);
        }
    }

    @Test
    void rejects_flat_inputs() {
        try (Backend backend = Backends.create("cpu")) {
            ResNet net = ResNet.width(4).blocks(1).create(NetTesting.ctx(backend, DType.FLOAT32, 1), 2, 4);
            assertThrows(IllegalArgumentException.class, () -> net.apply(Tensor.zeros(backend, DType.FLOAT32, 3, 2)));
        }
    }

    @Test
    void the_spec_has_documented_defaults_and_names_bad_sizes() {
        ResNet.Spec spec = ResNet.width(64);
        assertEquals(new ResNet.Spec(64, 8, true), spec);
        assertEquals(new ResNet.Spec(64, 4, false), spec.blocks(4).zeroInitLast(false));
        assertEquals(8, spec.blocks(), "the original is unchanged");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ResNet.width(0));
        assertTrue(e.getMessage().contains("width must be positive, got 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ResNet.width(4).blocks(-1));
        assertTrue(e.getMessage().contains("blocks must be >= 0, got -1"), e.getMessage());
        try (Backend backend = Backends.create("cpu")) {
            e = assertThrows(
                    IllegalArgumentException.class, () -> spec.create(NetTesting.ctx(backend, DType.FLOAT32, 1), 0, 4));
            assertTrue(e.getMessage().contains("in channels must be positive"), e.getMessage());
            e = assertThrows(
                    IllegalArgumentException.class, () -> spec.create(NetTesting.ctx(backend, DType.FLOAT32, 1), 4, 0));
            assertTrue(e.getMessage().contains("out channels must be positive"), e.getMessage());
            ResNet net = ResNet.width(5).blocks(3).create(NetTesting.ctx(backend, DType.FLOAT32, 1), 2, 4);
            assertEquals(List.of(2, 5, 3, 4), List.of(net.in(), net.width(), net.blocks(), net.out()));
        }
    }

    @Test
    void each_part_is_built_from_its_own_split_in_order() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(8);
            ResNet net = ResNet.width(3)
                    .blocks(1)
                    .zeroInitLast(false)
                    .create(BuildContext.of(backend, DType.FLOAT64, r), 2, 2);
            BuildContext replay = NetTesting.ctx(backend, DType.FLOAT64, 8);
            Conv2d input = new Conv2d(replay.split(), 2, 3, 3, true, false);
            BuildContext block = replay.split();
            Conv2d conv1 = new Conv2d(block.split(), 3, 3, 3, true, false);
            Conv2d conv2 = new Conv2d(block.split(), 3, 3, 3, true, false);
            Conv2d output = new Conv2d(replay.split(), 3, 2, 3, true, false);
            assertArrayEquals(
                    NetTesting.concat(
                            NetTesting.flatParameters(input),
                            NetTesting.flatParameters(conv1),
                            NetTesting.flatParameters(conv2),
                            NetTesting.flatParameters(output)),
                    NetTesting.flatParameters(net));
            assertEquals(replay.random().nextLong(), r.nextLong(), "both sources advanced alike");
        }
    }
}
