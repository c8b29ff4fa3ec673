package org.flows4j.layers.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.io.Fixtures.FakeOptimizer;
import org.flows4j.layers.io.Fixtures.Net;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Save then load gives back exactly what was saved: every slot's bits, the optimizer's state
 * and step count, the metadata and the order of names. Two models built from different seeds
 * stand for "before" and "after", so a load that changed nothing would fail.
 */
class CheckpointRoundTripTest {

    @TempDir
    Path dir;

    private static CheckpointMetadata metadata(DType dtype, RandomSource random) {
        return CheckpointMetadata.of("glow:small", dtype)
                .withModelConfig(Map.of("hidden", "512", "levels", "3"))
                .withStep(1234)
                .withRandomState(random)
                .withExtra("note", "quotes \" and \\ and \u00e9 and \n");
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void load_gives_bit_identical_slots_optimizer_state_and_score(DType dtype) throws IOException {
        try (Backend backend = Backends.create("cpu")) {
            Net saved = new Net(backend, RandomSource.seeded(1), dtype);
            FakeOptimizer savedOpt = new FakeOptimizer(saved.parameters(), RandomSource.seeded(2), 42);
            RandomSource random = RandomSource.seeded(3);
            random.nextLong();
            Path file = dir.resolve("model.safetensors");
            Checkpoints.save(file, saved, savedOpt, metadata(dtype, random));

            Net loaded = new Net(backend, RandomSource.seeded(99), dtype);
            FakeOptimizer loadedOpt = new FakeOptimizer(loaded.parameters(), RandomSource.seeded(98), 0);
            Tensor x = RandomSource.seeded(5).normal(backend, dtype, Shape.of(5, 3), 0, 1);
            assertNotEquals(saved.score(x), loaded.score(x), "the two seeds must give different models");

            CheckpointInfo info = Checkpoints.load(file, loaded, loadedOpt);

            assertBitsEqual(Fixtures.bits(saved.variables()), Fixtures.bits(loaded.variables()));
            assertEquals(Double.doubleToRawLongBits(saved.score(x)), Double.doubleToRawLongBits(loaded.score(x)));
            assertEquals(42, loadedOpt.steps());
            Map<String, Tensor> expectState = savedOpt.state();
            Map<String, Tensor> gotState = loadedOpt.state();
            assertEquals(List.copyOf(expectState.keySet()), List.copyOf(gotState.keySet()));
            expectState.forEach((k, t) -> assertArrayEquals(Fixtures.bits(t), Fixtures.bits(gotState.get(k)), k));
            assertEquals(metadata(dtype, random), info.metadata());
            assertEquals(OptionalLong.of(42), info.optimizerSteps());
            assertTrue(loaded.weight.value().requiresGrad(), "a trainable slot stays trainable");
            assertFalse(loaded.inner.initialized.value().requiresGrad(), "a state slot stays a plain tensor");
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void read_then_restore_equals_streaming_load(DType dtype) {
        try (Backend backend = Backends.create("cpu")) {
            Net saved = new Net(backend, RandomSource.seeded(1), dtype);
            Path file = dir.resolve("model.safetensors");
            Checkpoints.save(file, saved, null, CheckpointMetadata.of("nice:mnist", dtype));

            Checkpoint checkpoint = Checkpoints.read(file);
            Net restored = new Net(backend, RandomSource.seeded(77), dtype);
            checkpoint.restore(restored, null);

            assertBitsEqual(Fixtures.bits(saved.variables()), Fixtures.bits(restored.variables()));
            saved.variables().forEach((k, p) -> {
                StoredTensor t = checkpoint.tensors().get("model." + k);
                assertEquals(p.dtype(), t.dtype(), k);
                assertEquals(p.shape(), t.shape(), k);
                assertArrayEquals(Fixtures.bits(p.value()), Fixtures.bits(t), k);
            });
        }
    }

    @Test
    void names_are_stored_in_model_then_optimizer_order() {
        try (Backend backend = Backends.create("cpu")) {
            Net net = new Net(backend, RandomSource.seeded(1), DType.FLOAT32);
            FakeOptimizer opt = new FakeOptimizer(net.parameters(), RandomSource.seeded(2), 3);
            Path file = dir.resolve("c.safetensors");
            Checkpoints.save(file, net, opt, CheckpointMetadata.of("test:net", DType.FLOAT32));

            List<String> expected = new ArrayList<>();
            net.variables().keySet().forEach(k -> expected.add("model." + k));
            opt.state().keySet().forEach(k -> expected.add("optim." + k));
            assertEquals(
                    List.of(
                            "model.weight",
                            "model.bias",
                            "model.inner.scale",
                            "model.inner.initialized",
                            "model.inner.running_mean"),
                    expected.subList(0, 5));
            assertEquals(expected, List.copyOf(Checkpoints.read(file).tensors().keySet()));
            assertEquals(
                    expected, List.copyOf(Checkpoints.readInfo(file).tensors().keySet()));
        }
    }

    @Test
    void special_values_keep_their_bits() {
        float[] f = {
            -0.0f,
            Float.MIN_VALUE,
            Float.MAX_VALUE,
            Float.NEGATIVE_INFINITY,
            Float.NaN,
            Float.intBitsToFloat(0x7fc00001),
            1e-40f,
            -1.5f
        };
        double[] d = {
            -0.0,
            Double.MIN_VALUE,
            Double.MAX_VALUE,
            Double.POSITIVE_INFINITY,
            Double.NaN,
            Double.longBitsToDouble(0x7ff8000000000001L),
            4.9e-320,
            Math.PI
        };
        try (Backend backend = Backends.create("cpu")) {
            SpecialValues saved = new SpecialValues(backend, f, d);
            Path file = dir.resolve("special.safetensors");
            Checkpoints.save(file, saved, null, CheckpointMetadata.of("test:special", DType.FLOAT64));
            SpecialValues loaded = new SpecialValues(backend, new float[f.length], new double[d.length]);
            Checkpoints.load(file, loaded, null);
            assertBitsEqual(Fixtures.bits(saved.variables()), Fixtures.bits(loaded.variables()));
        }
    }

    /** One float32 and one float64 slot with given values. */
    private static final class SpecialValues extends AbstractComponent {
        SpecialValues(Backend backend, float[] f, double[] d) {
            parameter("f", Tensor.of(backend, f, f.length));
            parameter("d", Tensor.of(backend, d, d.length));
        }
    }

    @Test
    void metadata_round_trips_and_is_readable_without_the_data() throws IOException {
        try (Backend backend = Backends.create("cpu")) {
            Net net = new Net(backend, RandomSource.seeded(1), DType.FLOAT64);
            RandomSource random = RandomSource.seeded(11);
            CheckpointMetadata meta = metadata(DType.FLOAT64, random);
            Path file = dir.resolve("m.safetensors");
            Checkpoints.save(file, net, null, meta);

            CheckpointInfo info = Checkpoints.readInfo(file);
            assertEquals(meta, info.metadata());
            assertEquals(Checkpoints.FORMAT_VERSION, info.formatVersion());
            assertTrue(info.createdBy().startsWith("flows4j "), info.createdBy());
            assertEquals(OptionalLong.empty(), info.optimizerSteps());
            assertEquals(
                    new CheckpointInfo.TensorSpec(DType.FLOAT32, Shape.scalar()),
                    info.tensors().get("model.inner.initialized"));
            Map<String, String> raw = info.rawMetadata();
            assertEquals("flows4j-checkpoint", raw.get("format"));
            assertEquals("2", raw.get("format_version"));
            assertEquals("glow:small", raw.get("model_spec"));
            assertEquals("float64", raw.get("dtype"));
            assertEquals("1234", raw.get("step"));
            assertTrue(
                    raw.get("model_config").startsWith("{")
                            && raw.get("model_config").contains("\"levels\":\"3\""),
                    raw.get("model_config"));
            long[] s = random.state();
            assertEquals("[" + s[0] + "," + s[1] + "," + s[2] + "," + s[3] + "]", raw.get("random_state"));

            RandomSource resumed = info.metadata().randomSource().orElseThrow();
            assertEquals(random.nextLong(), resumed.nextLong(), "the saved random state continues the same stream");
        }
    }

    @Test
    void model_only_checkpoint_has_no_optimizer_entries_and_optimizer_state_is_ignored_without_optimizer() {
        try (Backend backend = Backends.create("cpu")) {
            Net net = new Net(backend, RandomSource.seeded(1), DType.FLOAT32);
            Path modelOnly = dir.resolve("a.safetensors");
            Checkpoints.save(modelOnly, net, null, CheckpointMetadata.of("test:net", DType.FLOAT32));
            CheckpointInfo info = Checkpoints.readInfo(modelOnly);
            assertTrue(info.tensors().keySet().stream().allMatch(n -> n.startsWith("model.")));
            assertNull(info.rawMetadata().get("optimizer_steps"));
            assertNull(info.metadata().randomState());

            Path full = dir.resolve("b.safetensors");
            Checkpoints.save(
                    full,
                    net,
                    new FakeOptimizer(net.parameters(), RandomSource.seeded(2), 9),
                    CheckpointMetadata.of("test:net", DType.FLOAT32));
            Net evaluated = new Net(backend, RandomSource.seeded(50), DType.FLOAT32);
            Checkpoints.load(full, evaluated, null);
            assertBitsEqual(Fixtures.bits(net.variables()), Fixtures.bits(evaluated.variables()));
        }
    }

    @Test
    void saving_again_replaces_the_file() throws IOException {
        try (Backend backend = Backends.create("cpu")) {
            Path file = dir.resolve("c.safetensors");
            Net first = new Net(backend, RandomSource.seeded(1), DType.FLOAT32);
            Checkpoints.save(
                    file,
                    first,
                    null,
                    CheckpointMetadata.of("test:net", DType.FLOAT32).withStep(1));
            Net second = new Net(backend, RandomSource.seeded(2), DType.FLOAT32);
            Checkpoints.save(
                    file,
                    second,
                    null,
                    CheckpointMetadata.of("test:net", DType.FLOAT32).withStep(2));

            assertEquals(2, Checkpoints.readInfo(file).metadata().step());
            Net loaded = new Net(backend, RandomSource.seeded(3), DType.FLOAT32);
            Checkpoints.load(file, loaded, null);
            assertBitsEqual(Fixtures.bits(second.variables()), Fixtures.bits(loaded.variables()));
            assertEquals(List.of("c.safetensors"), Fixtures.listing(dir));
            assertTrue(Files.size(file) > 0);
        }
    }

    @Test
    void a_large_tensor_streams_through_the_buffer_in_several_chunks() {
        // 700,000 float32 values = 2.8 MB, three times the 1 MiB buffer, with a partial last chunk.
        int n = 700_001;
        float[] values = new float[n];
        RandomSource random = RandomSource.seeded(8);
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextDouble();
        }
        try (Backend backend = Backends.create("cpu")) {
            SpecialValues saved = new SpecialValues(backend, values, new double[] {1, 2, 3});
            Path file = dir.resolve("big.safetensors");
            Checkpoints.save(file, saved, null, CheckpointMetadata.of("test:big", DType.FLOAT32));
            SpecialValues loaded = new SpecialValues(backend, new float[n], new double[3]);
            Checkpoints.load(file, loaded, null);
            assertBitsEqual(Fixtures.bits(saved.variables()), Fixtures.bits(loaded.variables()));
        }
    }

    static void assertBitsEqual(Map<String, long[]> expected, Map<String, long[]> actual) {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
        expected.forEach((k, v) -> assertArrayEquals(v, actual.get(k), k));
    }
}
