package org.flows4j.layers.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Component;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.io.Fixtures.FakeOptimizer;
import org.flows4j.layers.io.Fixtures.Slots;
import org.flows4j.layers.optim.Optimizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A valid checkpoint that does not fit the model or optimizer is refused before anything
 * changes, listing every difference; checked on both load paths (streaming from the file,
 * and restoring a checkpoint read into memory).
 */
class CheckpointRestoreErrorTest {

    @TempDir
    Path dir;

    /** The two ways to put a checkpoint into a model. */
    enum Route {
        LOAD {
            @Override
            void restore(Path file, Component model, Optimizer optimizer) {
                Checkpoints.load(file, model, optimizer);
            }
        },
        READ_THEN_RESTORE {
            @Override
            void restore(Path file, Component model, Optimizer optimizer) {
                Checkpoints.read(file).restore(model, optimizer);
            }
        };

        abstract void restore(Path file, Component model, Optimizer optimizer);
    }

    /** Saves slots a: f32 [3, 4], b: f32 [4], c: f64 [2] with an optimizer at step 12. */
    private Path saveReference(Backend backend) {
        Slots saved = slots(backend, RandomSource.seeded(1), Map.of());
        Path file = dir.resolve("ref.safetensors");
        Checkpoints.save(
                file,
                saved,
                new FakeOptimizer(saved.parameters(), RandomSource.seeded(2), 12),
                CheckpointMetadata.of("test:slots", DType.FLOAT32));
        return file;
    }

    /** Slots a, b, c as saved, with {@code changes} applied (a null shape removes a slot). */
    private static Slots slots(Backend backend, RandomSource random, Map<String, Object[]> changes) {
        Map<String, Object[]> spec = new LinkedHashMap<>();
        spec.put("a", new Object[] {DType.FLOAT32, Shape.of(3, 4)});
        spec.put("b", new Object[] {DType.FLOAT32, Shape.of(4)});
        spec.put("c", new Object[] {DType.FLOAT64, Shape.of(2)});
        changes.forEach((k, v) -> {
            if (v == null) {
                spec.remove(k);
            } else {
                spec.put(k, v);
            }
        });
        Map<String, Tensor> init = new LinkedHashMap<>();
        spec.forEach((k, v) -> init.put(k, random.normal(backend, (DType) v[0], (Shape) v[1], 0, 1)));
        return new Slots(init);
    }

    private static Map<String, Object[]> change(String name, DType dtype, Shape shape) {
        Map<String, Object[]> m = new LinkedHashMap<>();
        m.put(name, shape == null ? null : new Object[] {dtype, shape});
        return m;
    }

    /**
     * Restores the reference checkpoint into a model with {@code changes}, with an optimizer made
     * by {@code optimizerFor} (may return null), and asserts the failure message and that
     * neither model nor optimizer changed.
     */
    private void assertRefused(
            Route how,
            Map<String, Object[]> changes,
            Function<Slots, FakeOptimizer> optimizerFor,
            String... fragments) {
        try (Backend backend = Backends.create("cpu")) {
            Path file = saveReference(backend);
            Slots model = slots(backend, RandomSource.seeded(50), changes);
            FakeOptimizer optimizer = optimizerFor.apply(model);
            Map<String, long[]> before = Fixtures.bits(model.variables());
            Map<String, long[]> stateBefore = new LinkedHashMap<>();
            if (optimizer != null) {
                optimizer.state().forEach((k, t) -> stateBefore.put(k, Fixtures.bits(t)));
            }

            CheckpointException e = assertThrows(CheckpointException.class, () -> how.restore(file, model, optimizer));

            assertTrue(e.getMessage().startsWith("checkpoint " + file + ": "), e.getMessage());
            for (String fragment : fragments) {
                assertTrue(
                        e.getMessage().contains(fragment), () -> "expected '" + fragment + "' in: " + e.getMessage());
            }
            CheckpointRoundTripTest.assertBitsEqual(before, Fixtures.bits(model.variables()));
            if (optimizer != null) {
                assertEquals(3, optimizer.steps(), "optimizer steps unchanged");
                Map<String, Tensor> after = optimizer.state();
                assertEquals(List.copyOf(stateBefore.keySet()), List.copyOf(after.keySet()));
                stateBefore.forEach((k, bits) -> assertArrayEquals(bits, Fixtures.bits(after.get(k)), k));
            }
        }
    }

    private static FakeOptimizer optimizer(Slots model) {
        return new FakeOptimizer(model.parameters(), RandomSource.seeded(60), 3);
    }

    private static FakeOptimizer none(Slots model) {
        return null;
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void wrong_shape(Route how) {
        assertRefused(
                how,
                change("a", DType.FLOAT32, Shape.of(3, 5)),
                CheckpointRestoreErrorTest::none,
                "does not match the model (nothing was loaded): "
                        + "model.a: checkpoint has [3, 4] float32, model expects [3, 5] float32");
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void wrong_dtype(Route how) {
        assertRefused(
                how,
                change("c", DType.FLOAT32, Shape.of(2)),
                CheckpointRestoreErrorTest::none,
                "model.c: checkpoint has [2] float64, model expects [2] float32");
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void missing_name(Route how) {
        assertRefused(
                how,
                change("d", DType.FLOAT32, Shape.of(1)),
                CheckpointRestoreErrorTest::none,
                "does not match the model (nothing was loaded): missing model.d");
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void unexpected_name(Route how) {
        assertRefused(
                how,
                change("b", null, null),
                CheckpointRestoreErrorTest::none,
                "does not match the model (nothing was loaded): unexpected model.b");
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void every_difference_is_listed_at_once(Route how) {
        Map<String, Object[]> changes = change("b", null, null);
        changes.putAll(change("a", DType.FLOAT64, Shape.of(3, 4)));
        changes.putAll(change("e", DType.FLOAT32, Shape.of(1)));
        assertRefused(
                how,
                changes,
                CheckpointRestoreErrorTest::none,
                "missing model.e; unexpected model.b; model.a: checkpoint has [3, 4] float32, model expects [3, 4] float64");
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void optimizer_state_that_does_not_fit(Route how) {
        // The model matches, but the optimizer is made over a different parameter set (no "b"),
        // so its state lacks m.b and v.b.
        assertRefused(
                how,
                Map.of(),
                model -> {
                    Map<String, Parameter> params = new LinkedHashMap<>(model.parameters());
                    params.remove("b");
                    return new FakeOptimizer(params, RandomSource.seeded(60), 3);
                },
                "does not match the model and optimizer (nothing was loaded): unexpected optim.m.b, optim.v.b");
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void optimizer_that_rejects_its_state(Route how) {
        assertRefused(
                how,
                Map.of(),
                model -> {
                    FakeOptimizer o = optimizer(model);
                    o.refuse = true;
                    return o;
                },
                "the optimizer rejected the stored state (nothing was loaded): refused on purpose");
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void optimizer_given_for_a_model_only_checkpoint(Route how) throws IOException {
        try (Backend backend = Backends.create("cpu")) {
            Slots saved = slots(backend, RandomSource.seeded(1), Map.of());
            Path file = dir.resolve("model-only.safetensors");
            Checkpoints.save(file, saved, null, CheckpointMetadata.of("test:slots", DType.FLOAT32));
            Slots model = slots(backend, RandomSource.seeded(2), Map.of());
            Map<String, long[]> before = Fixtures.bits(model.variables());
            CheckpointException e =
                    assertThrows(CheckpointException.class, () -> how.restore(file, model, optimizer(model)));
            assertTrue(
                    e.getMessage()
                            .contains("it holds no optimizer state (it was saved without an optimizer); "
                                    + "restore the model alone by passing no optimizer"),
                    e.getMessage());
            CheckpointRoundTripTest.assertBitsEqual(before, Fixtures.bits(model.variables()));
        }
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void a_name_outside_model_and_optim_is_unexpected(Route how) throws IOException {
        String json = "{\"__metadata__\":" + Fixtures.flowsMetadata()
                + ",\"model.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}"
                + ",\"extra_tensor\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[8,12]}}";
        Path file = Fixtures.write(dir.resolve("odd.safetensors"), Fixtures.safetensors(json, new byte[12]));
        try (Backend backend = Backends.create("cpu")) {
            Fixtures.Single model = new Fixtures.Single(backend, DType.FLOAT32, Shape.of(2), 0.25);
            CheckpointException e = assertThrows(CheckpointException.class, () -> how.restore(file, model, null));
            assertTrue(e.getMessage().contains("unexpected extra_tensor"), e.getMessage());
            assertArrayEquals(
                    new float[] {0.25f, 0.25f},
                    model.variables().get("weight").value().toFloatArray());
        }
    }

    @Test
    void a_read_failure_midway_frees_what_was_made_and_changes_nothing() {
        try (Backend backend = Backends.create("cpu")) {
            Path file = saveReference(backend);
            Checkpoint checkpoint = Checkpoints.read(file);
            Slots model = slots(backend, RandomSource.seeded(50), Map.of());
            FakeOptimizer optimizer = optimizer(model);
            Map<String, long[]> before = Fixtures.bits(model.variables());
            List<Tensor> made = new ArrayList<>();
            Restorer.Source failing = (name, b) -> {
                if (name.equals("optim.v.b")) {
                    throw new IOException("disk on fire");
                }
                Tensor t = checkpoint.tensors().get(name).toTensor(b);
                made.add(t);
                return t;
            };

            CheckpointException e = assertThrows(
                    CheckpointException.class, () -> Restorer.restore(checkpoint.info(), failing, model, optimizer));

            assertEquals(
                    "checkpoint " + file + ": cannot read tensor 'optim.v.b' (nothing was loaded): disk on fire",
                    e.getMessage());
            assertEquals(6, made.size(), "three model slots and two optimizer tensors were made first");
            made.forEach(t -> assertTrue(t.isFreed(), "made tensors are freed"));
            CheckpointRoundTripTest.assertBitsEqual(before, Fixtures.bits(model.variables()));
            assertEquals(3, optimizer.steps());
        }
    }
}
