package org.flows4j.layers.bijectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Flow;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.distributions.StandardLogistic;
import org.flows4j.layers.io.CheckpointMetadata;
import org.flows4j.layers.io.Checkpoints;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NICE's scaling layer: the identity start, and the data-dependent start the zoo's NICE uses. */
@SuppressWarnings("try") // scopes opened only for their close()
class DiagonalScalingTest {

    private static Backend backend;
    private static final Shape EVENT = Shape.of(2, 3);

    @BeforeAll
    static void open() {
        backend = Backends.create("cpu");
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static BuildContext ctx() {
        return BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(1));
    }

    /** Columns with standard deviations from 1e-4 (under the floor) to 5, means far from 0. */
    private static Tensor batch(int n) {
        double[] std = {1e-4, 0.01, 0.3, 1, 2, 5};
        double[] v = new double[n * 6];
        RandomSource r = RandomSource.seeded(7);
        double[] noise = r.normal(backend, DType.FLOAT64, Shape.of(n, 6), 0, 1).toDoubleArray();
        for (int i = 0; i < n; i++) {
            for (int d = 0; d < 6; d++) {
                v[i * 6 + d] = 3 - d + std[d] * noise[i * 6 + d];
            }
        }
        return Tensor.of(backend, DType.FLOAT64, v, Shape.of(n, 2, 3));
    }

    @Test
    void theIdentityStartNeedsNoInitializationAndIgnoresIt() {
        try (MemoryScope s = MemoryScope.open()) {
            DiagonalScaling a = new DiagonalScaling(ctx(), EVENT);
            assertFalse(a.isDataInitialized());
            assertTrue(a.isInitialized());
            a.initialize(batch(50));
            for (double v : a.variables().get("logScale").value().toDoubleArray()) {
                assertEquals(0.0, v);
            }
            assertFalse(a.variables().containsKey("initialized"), "no state slot: old checkpoints still load");
        }
    }

    @Test
    void dataInitializationGivesEveryComponentUnitVarianceAboveTheFloor() {
        try (MemoryScope s = MemoryScope.open()) {
            DiagonalScaling a = DiagonalScaling.dataInitialized(ctx(), EVENT);
            assertTrue(a.isDataInitialized());
            assertFalse(a.isInitialized());
            Tensor x = batch(400);
            a.initialize(x);
            assertTrue(a.isInitialized());
            double[] logScale = a.variables().get("logScale").value().toDoubleArray();
            assertEquals(-Math.log(DiagonalScaling.MIN_STD), logScale[0], 1e-12, "floored");
            Tensor y = a.forward(x).value();
            Tensor centred = y.sub(y.mean(true, 0));
            double[] var = centred.square().mean(0).toDoubleArray();
            for (int d = 1; d < 6; d++) {
                assertEquals(1.0, var[d], 1e-9, "component " + d);
            }
            assertTrue(var[0] < 0.02, "the floored component stays under unit variance: " + var[0]);
            double sum = 0;
            for (double v : logScale) {
                sum += v;
            }
            assertEquals(sum, a.forward(x).logDet().toDoubleArray()[0], 1e-12);
            Tensor back = a.inverse(y).value();
            assertEquals(0.0, back.sub(x).abs().max().item(), 1e-12);
        }
    }

    @Test
    void usingItBeforeInitializationFailsAndSaysWhatToDo() {
        try (MemoryScope s = MemoryScope.open()) {
            DiagonalScaling a = DiagonalScaling.dataInitialized(ctx(), EVENT);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.forward(batch(3)));
            assertTrue(e.getMessage().contains("initialize(batch)"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> a.inverse(batch(3)));
        }
    }

    @Test
    void badInitializationBatchesAreRefusedByShapeAndSize() {
        try (MemoryScope s = MemoryScope.open()) {
            DiagonalScaling a = DiagonalScaling.dataInitialized(ctx(), EVENT);
            IllegalArgumentException shape = assertThrows(
                    IllegalArgumentException.class, () -> a.initialize(Tensor.zeros(backend, DType.FLOAT64, 4, 6)));
            assertTrue(
                    shape.getMessage().contains("[4, 6]") && shape.getMessage().contains("[2, 3]"), shape.getMessage());
            IllegalArgumentException one = assertThrows(IllegalArgumentException.class, () -> a.initialize(batch(1)));
            assertTrue(one.getMessage().contains("at least 2"), one.getMessage());
            assertFalse(a.isInitialized(), "nothing changed");
        }
    }

    @Test
    void aCheckpointCarriesTheInitializationIntoAFreshFlow(@TempDir Path dir) throws Exception {
        try (MemoryScope s = MemoryScope.open()) {
            Flow trained = new Flow(DiagonalScaling.dataInitialized(ctx(), EVENT), new StandardLogistic(ctx(), EVENT));
            trained.initialize(batch(100));
            Path file = dir.resolve("scaling.safetensors");
            Checkpoints.save(file, trained, null, CheckpointMetadata.of("test:scaling", DType.FLOAT64));
            Flow fresh = new Flow(DiagonalScaling.dataInitialized(ctx(), EVENT), new StandardLogistic(ctx(), EVENT));
            assertFalse(fresh.isInitialized());
            Checkpoints.load(file, fresh, null);
            assertTrue(fresh.isInitialized());
            Tensor x = batch(5);
            assertEquals(
                    0.0, fresh.logProb(x).sub(trained.logProb(x)).abs().max().item(), 0.0);
        }
    }
}
