package org.flows4j.zoo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Flow;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.bijectors.Chain;
import org.flows4j.layers.bijectors.ElementwiseAffine;
import org.flows4j.layers.distributions.StandardNormal;
import org.flows4j.layers.io.CheckpointMetadata;
import org.flows4j.layers.io.Checkpoints;
import org.flows4j.layers.optim.Adam;
import org.flows4j.layers.optim.LearningRateSchedule;
import org.flows4j.layers.optim.ScheduleConfig;
import org.flows4j.layers.optim.Sgd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generic {@link Trainer} on a flow made here from flow-layers' parts (no zoo model) and a
 * {@link BatchSource} that is a function of (seed, step): the split step equals one step, SGD,
 * the cosine schedule and the moving average are really used, resume is bit-exact, and a
 * resume with other settings is refused naming them. float64 throughout, so "equal" is exact.
 */
@SuppressWarnings("try") // memory scopes are opened for their close()
class GenericTrainerTest {

    private static final Shape EVENT = Shape.of(2);
    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = Backends.create("cpu");
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    /** A learned diagonal Gaussian written as a flow: standardization then a standard normal. */
    private static Flow flow() {
        BuildContext ctx = BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(11));
        return new Flow(Chain.of(new ElementwiseAffine(ctx, EVENT)), new StandardNormal(ctx, EVENT));
    }

    /** Points around (1.5, -0.5) with scales (0.5, 2): each batch a function of (seed, step) alone. */
    private static BatchSource source(int batch) {
        return (seed, step) -> {
            double[] z = RandomSource.seeded(seed * 31 + step).normal(2 * batch);
            for (int i = 0; i < batch; i++) {
                z[2 * i] = 1.5 + 0.5 * z[2 * i];
                z[2 * i + 1] = -0.5 + 2 * z[2 * i + 1];
            }
            return Tensor.of(backend, DType.FLOAT64, z, Shape.of(batch, 2));
        };
    }

    private static TrainerConfig.Builder sgdCosineEma(long steps) {
        return TrainerConfig.builder()
                .optimizer(Sgd.builder()
                        .schedule(new ScheduleConfig.WarmupCosine(0.05, 2, 0, 0))
                        .momentum(0.9)
                        .nesterov(true)
                        .build())
                .clipNorm(5)
                .emaDecay(0.5)
                .batchSize(16)
                .steps(steps)
                .seed(9);
    }

    private static Map<String, double[]> values(Map<String, ? extends Object> tensorsOrParameters) {
        Map<String, double[]> out = new LinkedHashMap<>();
        tensorsOrParameters.forEach((k, v) ->
                out.put(k, v instanceof Parameter p ? p.value().toDoubleArray() : ((Tensor) v).toDoubleArray()));
        return out;
    }

    private static void assertBitsEqual(Map<String, double[]> a, Map<String, double[]> b) {
        assertEquals(a.keySet(), b.keySet());
        a.forEach((name, x) -> {
            double[] y = b.get(name);
            for (int i = 0; i < x.length; i++) {
                assertEquals(Double.doubleToLongBits(x[i]), Double.doubleToLongBits(y[i]), name + "[" + i + "]");
            }
        });
    }

    @Test
    void computeThenApplyEqualsOneTrainStep() {
        TrainerConfig config = sgdCosineEma(6).build();
        Trainer split = new Trainer(flow(), config);
        Trainer whole = new Trainer(flow(), config);
        BatchSource source = source(16);
        split.initialize(source);
        whole.initialize(source);
        for (long s = 0; s < 4; s++) {
            try (MemoryScope scope = MemoryScope.open()) {
                Gradients g = split.computeGradients(source.batch(9, s));
                assertEquals(s + 1, g.step());
                split.applyGradients(g);
                double loss = whole.trainStep(source.batch(9, s));
                assertEquals(g.loss(), loss);
            }
        }
        assertEquals(4, split.step());
        assertBitsEqual(values(split.flow().parameters()), values(whole.flow().parameters()));
        try (MemoryScope scope = MemoryScope.open()) {
            Gradients stale = split.computeGradients(source.batch(9, 4));
            split.applyGradients(stale);
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> split.applyGradients(stale));
            assertTrue(e.getMessage().contains("step 5") && e.getMessage().contains("6"), e.getMessage());
        }
    }

    @Test
    void sgdWithNesterovMomentumAndTheCosineScheduleAreWhatTrains() {
        TrainerConfig config = sgdCosineEma(10).clipNorm(0).emaDecay(0).build();
        // the cosine schedule without a length decays over the whole run
        ScheduleConfig.WarmupCosine schedule =
                (ScheduleConfig.WarmupCosine) config.optimizer().schedule();
        assertEquals(10, schedule.totalSteps());
        assertEquals("10", config.describe().get("schedule.total_steps"));
        Trainer trainer = new Trainer(flow(), config);
        assertInstanceOf(Sgd.class, trainer.optimizer());
        BatchSource source = source(16);
        trainer.initialize(source);
        // By hand: the first update is lr0 (1.9 g) (Nesterov: b = g, d = g + 0.9 b), lr0 = peak / warm-up.
        Map<String, double[]> before = values(trainer.flow().parameters());
        Map<String, double[]> grads;
        try (MemoryScope scope = MemoryScope.open()) {
            grads = values(trainer.computeGradients(source.batch(9, 0)).byName());
        }
        trainer.trainStep(source.batch(9, 0));
        double lr0 = 0.05 / 2;
        assertEquals(lr0, schedule.at(0));
        Map<String, double[]> after = values(trainer.flow().parameters());
        before.forEach((name, p) -> {
            for (int i = 0; i < p.length; i++) {
                assertEquals(p[i] - lr0 * 1.9 * grads.get(name)[i], after.get(name)[i], 1e-15, name + "[" + i + "]");
            }
        });
        FitResult r = trainer.fit(source, FitListener.NONE);
        assertEquals(10, r.steps());
        assertEquals(10, trainer.optimizer().steps());
        assertEquals(0.0, trainer.optimizer().learningRate(), "the cosine has reached its floor at the end");
        assertEquals(0.05 * 0.5 * (1 + Math.cos(Math.PI * 3 / 8)), schedule.at(5), 1e-15);
    }

    @Test
    void theMovingAverageFollowsItsRecursion() {
        TrainerConfig config = sgdCosineEma(5).build();
        Trainer trainer = new Trainer(flow(), config);
        BatchSource source = source(16);
        trainer.initialize(source);
        Map<String, double[]> average = values(trainer.flow().parameters()); // a_0: the initialized values
        for (long s = 0; s < 5; s++) {
            trainer.trainStep(source.batch(9, s));
            Map<String, double[]> p = values(trainer.flow().parameters());
            average.forEach((name, a) -> {
                for (int i = 0; i < a.length; i++) {
                    a[i] = 0.5 * a[i] + 0.5 * p.get(name)[i];
                }
            });
        }
        assertEquals(5, trainer.ema().orElseThrow().updates());
        Map<String, double[]> ema;
        try (MemoryScope scope = MemoryScope.open()) {
            ema = values(trainer.ema().orElseThrow().averages());
        }
        average.forEach((name, a) -> {
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], ema.get(name)[i], 1e-14, name + "[" + i + "]");
            }
        });
        Map<String, double[]> raw = values(trainer.flow().parameters());
        try (Trainer.AveragedWeights w = trainer.averagedWeights()) {
            assertTrue(w.active());
            assertBitsEqual(ema, values(trainer.flow().parameters()));
        }
        assertBitsEqual(raw, values(trainer.flow().parameters()));
    }

    @Test
    void aResumedRunWithSgdCosineAndEmaIsBitExact(@TempDir Path dir) {
        TrainerConfig config = sgdCosineEma(12).checkpointEvery(5).build();
        Trainer straight = new Trainer(flow(), config);
        straight.fit(source(16), FitListener.NONE);

        Path file = dir.resolve("run.safetensors");
        Trainer first = new Trainer(flow(), config);
        List<Long> due = new ArrayList<>();
        FitResult half = first.fit(source(16), new FitListener() {
            @Override
            public void onStep(long step, double loss, double rate) {
                if (step == 7) {
                    first.requestStop();
                }
            }

            @Override
            public void onCheckpointDue(long step) {
                due.add(step);
                first.save(file, CheckpointMetadata.of("diagonal-gaussian", DType.FLOAT64));
            }
        });
        assertTrue(half.stopped());
        assertEquals(List.of(5L, 7L), due, "due every 5 steps and on the stop");
        assertEquals("sgd", Checkpoints.readInfo(file).metadata().extra().get("train.optimizer"));
        assertEquals("0.5", Checkpoints.readInfo(file).metadata().extra().get("train.ema_decay"));
        assertEquals(7, Checkpoints.readInfo(file).emaUpdates().orElseThrow());

        Trainer resumed = new Trainer(flow(), config);
        resumed.restore(file);
        assertEquals(7, resumed.step());
        FitResult rest = resumed.fit(source(16), FitListener.NONE);
        assertEquals(12, rest.steps());
        assertBitsEqual(
                values(straight.flow().parameters()), values(resumed.flow().parameters()));
        try (MemoryScope scope = MemoryScope.open()) {
            assertBitsEqual(
                    values(straight.ema().orElseThrow().averages()),
                    values(resumed.ema().orElseThrow().averages()));
        }
    }

    @Test
    void aResumeWithOtherSettingsIsRefusedNamingThem(@TempDir Path dir) {
        Path file = dir.resolve("run.safetensors");
        Trainer adam = new Trainer(
                flow(),
                TrainerConfig.builder()
                        .steps(3)
                        .batchSize(16)
                        .optimizer(Adam.builder()
                                .schedule(LearningRateSchedule.linearWarmup(1e-2, 2))
                                .build())
                        .build());
        adam.fit(source(16), new FitListener() {
            @Override
            public void onCheckpointDue(long step) {
                adam.save(file, CheckpointMetadata.of("diagonal-gaussian", DType.FLOAT64));
            }
        });
        Trainer sgd = new Trainer(flow(), sgdCosineEma(6).batchSize(16).build());
        ConfigMismatchException e = assertThrows(ConfigMismatchException.class, () -> sgd.restore(file));
        assertTrue(e.getMessage().contains("optimizer was adam, now sgd"), e.getMessage());
        assertTrue(e.getMessage().contains("schedule was warmup, now cosine"), e.getMessage());
        assertTrue(e.getMessage().contains("clip_norm was 100.0, now 5.0"), e.getMessage());
        assertTrue(e.getMessage().contains("ema_decay was 0.0, now 0.5"), e.getMessage());
        assertTrue(
                e.differences().stream()
                        .anyMatch(d -> d.setting().equals("seed")
                                && d.saved().equals("0")
                                && d.requested().equals("9")),
                e.differences().toString());
        assertEquals(0, sgd.step(), "nothing was loaded");

        Trainer otherClip =
                new Trainer(flow(), adam.config().toBuilder().clipNorm(0).build());
        ConfigMismatchException clip = assertThrows(ConfigMismatchException.class, () -> otherClip.restore(file));
        assertEquals(1, clip.differences().size(), clip.differences().toString());
        assertEquals("clip_norm", clip.differences().get(0).setting());

        Trainer longer = new Trainer(flow(), adam.config().toBuilder().steps(10).build());
        longer.restore(file);
        assertEquals(3, longer.step(), "a longer run with the same settings continues");
    }

    @Test
    void aNonFiniteLossNamesTheStepAndChangesNothing() {
        Trainer trainer = new Trainer(
                flow(), TrainerConfig.builder().steps(5).batchSize(4).build());
        BatchSource nan = (seed, step) -> Tensor.of(
                backend,
                DType.FLOAT64,
                step == 2 ? new double[] {Double.NaN, 0, 0, 0, 0, 0, 0, 0} : new double[8],
                Shape.of(4, 2));
        TrainingException e = assertThrows(TrainingException.class, () -> trainer.fit(nan, FitListener.NONE));
        assertTrue(e.getMessage().contains("at step 3"), e.getMessage());
        assertEquals(2, trainer.step());
    }

    @Test
    void settingsAreValidatedNamingTheSetting() {
        assertMessage(() -> TrainerConfig.builder().clipNorm(-1).build(), "clipNorm");
        assertMessage(() -> TrainerConfig.builder().emaDecay(1).build(), "emaDecay");
        assertMessage(() -> TrainerConfig.builder().batchSize(0).build(), "batchSize");
        assertMessage(() -> TrainerConfig.builder().steps(0).build(), "steps");
        assertMessage(
                () -> TrainerConfig.builder()
                        .steps(3)
                        .optimizer(Adam.builder()
                                .schedule(new ScheduleConfig.WarmupCosine(1e-3, 5, 0, 0))
                                .build())
                        .build(),
                "warmupSteps");
    }

    private static void assertMessage(Runnable r, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
