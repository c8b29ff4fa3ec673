package org.flows4j.layers.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.bijectors.ElementwiseAffine;
import org.flows4j.layers.optim.ExponentialMovingAverage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Format 2's moving averages: {@code ema.<name>} tensors and {@code ema_updates} round-trip
 * into a moving average, load as the model's weights with {@link Checkpoints#loadAveraged}, and
 * are refused where they are missing.
 */
class CheckpointAveragesTest {

    private static ElementwiseAffine model(Backend backend) {
        return new ElementwiseAffine(BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(1)), Shape.of(3));
    }

    private static void shift(ElementwiseAffine m, Backend backend, double by) {
        m.parameters().values().forEach(p -> p.set(p.value().add(Tensor.full(backend, DType.FLOAT64, p.shape(), by))));
    }

    @Test
    void averages_round_trip_and_load_as_weights(@TempDir Path dir) {
        try (Backend backend = Backends.create("cpu")) {
            ElementwiseAffine m = model(backend);
            ExponentialMovingAverage ema = new ExponentialMovingAverage(m.parameters(), 0.5);
            shift(m, backend, 1.0);
            ema.update(); // averages 0.5, values 1.0
            shift(m, backend, 1.0);
            ema.update(); // averages 1.25, values 2.0
            Path file = dir.resolve("ema.safetensors");
            Checkpoints.save(file, m, null, ema, CheckpointMetadata.of("affine", DType.FLOAT64));
            CheckpointInfo info = Checkpoints.readInfo(file);
            assertTrue(info.hasAverages());
            assertEquals(2, info.emaUpdates().getAsLong());
            assertTrue(info.tensors().containsKey("ema.mean") && info.tensors().containsKey("model.mean"));

            ElementwiseAffine raw = model(backend);
            Checkpoints.load(file, raw, null);
            assertArrayEquals(
                    new double[] {2, 2, 2}, raw.parameters().get("mean").value().toDoubleArray());

            ElementwiseAffine averaged = model(backend);
            Checkpoints.loadAveraged(file, averaged);
            assertArrayEquals(
                    new double[] {1.25, 1.25, 1.25},
                    averaged.parameters().get("mean").value().toDoubleArray());

            ElementwiseAffine again = model(backend);
            ExponentialMovingAverage restored = new ExponentialMovingAverage(again.parameters(), 0.5);
            Checkpoints.load(file, again, null, restored);
            assertEquals(2, restored.updates());
            Map<String, Tensor> a = restored.averages();
            assertArrayEquals(new double[] {1.25, 1.25, 1.25}, a.get("logScale").toDoubleArray());
            for (Parameter p : again.parameters().values()) {
                assertArrayEquals(new double[] {2, 2, 2}, p.value().toDoubleArray());
            }
        }
    }

    @Test
    void a_checkpoint_without_averages_is_refused_where_they_are_needed(@TempDir Path dir) {
        try (Backend backend = Backends.create("cpu")) {
            ElementwiseAffine m = model(backend);
            Path file = dir.resolve("plain.safetensors");
            Checkpoints.save(file, m, null, CheckpointMetadata.of("affine", DType.FLOAT64));
            assertFalse(Checkpoints.readInfo(file).hasAverages());
            CheckpointException averaged =
                    assertThrows(CheckpointException.class, () -> Checkpoints.loadAveraged(file, model(backend)));
            assertTrue(averaged.getMessage().contains("no moving averages"), averaged.getMessage());
            ElementwiseAffine other = model(backend);
            CheckpointException withEma = assertThrows(
                    CheckpointException.class,
                    () -> Checkpoints.load(file, other, null, new ExponentialMovingAverage(other.parameters(), 0.9)));
            assertTrue(withEma.getMessage().contains("no moving averages"), withEma.getMessage());
        }
    }
}
