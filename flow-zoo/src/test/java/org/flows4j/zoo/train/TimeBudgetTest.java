package org.flows4j.zoo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Flow;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.bijectors.Chain;
import org.flows4j.layers.bijectors.ElementwiseAffine;
import org.flows4j.layers.distributions.StandardNormal;
import org.flows4j.layers.io.CheckpointInfo;
import org.flows4j.layers.io.CheckpointMetadata;
import org.flows4j.layers.io.Checkpoints;
import org.flows4j.layers.optim.ScheduleConfig;
import org.flows4j.layers.optim.Sgd;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.ModelRequest;
import org.flows4j.zoo.models.RealNvpFactory;
import org.flows4j.zoo.models.ZooModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A wall-clock budget: the run stops at the first step after it, evaluation does not count, a
 * cosine schedule follows the fraction used, and a resume continues with what is left. Every
 * test but one reads a clock that only the batches advance (10 ms each), so counts are exact;
 * the one on real time asserts only what holds on a loaded machine.
 */
class TimeBudgetTest {

    private static final long STEP_NANOS = 10_000_000L;
    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = Backends.create("cpu");
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    /** A clock that stands still except when a batch is made, which takes it 10 ms. */
    private static final class FakeClock {
        long now = 1_000_000_000L;

        long nanoTime() {
            return now;
        }

        BatchSource source() {
            return (seed, step) -> {
                now += STEP_NANOS;
                double[] z = RandomSource.seeded(seed * 31 + step).normal(2 * 16);
                for (int i = 0; i < z.length; i += 2) {
                    z[i] = 1.5 + 0.5 * z[i];
                }
                return Tensor.of(backend, DType.FLOAT64, z, Shape.of(16, 2));
            };
        }
    }

    private static Flow flow() {
        BuildContext ctx = BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(11));
        return new Flow(Chain.of(new ElementwiseAffine(ctx, Shape.of(2))), new StandardNormal(ctx, Shape.of(2)));
    }

    private static TrainerConfig.Builder sgd(ScheduleConfig schedule) {
        return TrainerConfig.builder()
                .optimizer(Sgd.builder().schedule(schedule).momentum(0.9).build())
                .batchSize(16)
                .seed(9)
                .clipNorm(5);
    }

    private static double[] parameters(Trainer t) {
        return t.flow().parameters().values().stream()
                .flatMapToDouble(p -> java.util.Arrays.stream(p.value().toDoubleArray()))
                .toArray();
    }

    @Test
    void evaluationTimeDoesNotCountAndTheStepsAreThoseOfAStepRun() {
        FakeClock clock = new FakeClock();
        TrainerConfig config = sgd(new ScheduleConfig.Constant(0.05))
                .budget(Duration.ofMillis(100))
                .evalEvery(Duration.ofMillis(20))
                .build();
        Trainer trainer = new Trainer(flow(), config, clock::nanoTime);
        List<Long> evaluations = new ArrayList<>();
        List<Long> checkpoints = new ArrayList<>();
        FitResult r = trainer.fit(clock.source(), new FitListener() {
            @Override
            public void onEvaluationDue(long step, Duration trainingTime) {
                evaluations.add(step);
                assertEquals(Duration.ofMillis(10 * step), trainingTime);
                clock.now += Duration.ofHours(1).toNanos(); // a very slow evaluation
            }

            @Override
            public void onCheckpointDue(long step) {
                checkpoints.add(step);
                clock.now += Duration.ofHours(1).toNanos(); // and a very slow disk
            }
        });
        assertEquals(10, r.steps());
        assertEquals(StopReason.BUDGET_SPENT, r.reason());
        assertFalse(r.stopped());
        assertEquals(Duration.ofMillis(100), r.trainingTime());
        assertEquals(List.of(2L, 4L, 6L, 8L), evaluations, "every 20 ms of training, not after the last step");
        assertEquals(List.of(10L), checkpoints, "a checkpoint at the end");

        Trainer bySteps = new Trainer(
                flow(), sgd(new ScheduleConfig.Constant(0.05)).steps(10).build());
        bySteps.fit(new FakeClock().source(), FitListener.NONE);
        assertTrue(
                java.util.Arrays.equals(parameters(bySteps), parameters(trainer)),
                "the same steps as a run of as many steps");
    }

    @Test
    void aCosineOverTheBudgetFollowsTheFractionUsedAndReachesItsFloorAtTheEnd() {
        FakeClock clock = new FakeClock();
        ScheduleConfig.WarmupCosine cosine = new ScheduleConfig.WarmupCosine(0.05, 2, 0, 0.001);
        TrainerConfig config = sgd(cosine).budget(Duration.ofMillis(100)).build();
        assertTrue(config.schedulesByTime());
        assertEquals("100", config.describe().get(TrainerConfig.SCHEDULE_BUDGET_MS));
        assertEquals("0", config.describe().get("schedule.total_steps"), "the cosine is not resolved by steps");
        Trainer trainer = new Trainer(flow(), config, clock::nanoTime);
        List<Double> next = new ArrayList<>();
        trainer.fit(clock.source(), new FitListener() {
            @Override
            public void onStep(long step, double loss, double rate) {
                next.add(trainer.optimizer().learningRate()); // the rate of update step + 1
            }
        });
        assertEquals(10, next.size());
        assertEquals(0.05, next.get(0), 1e-15, "warm-up is in steps: update 2 is at the peak");
        double half = 0.001 + (0.05 - 0.001) * 0.5 * (1 + Math.cos(Math.PI * 0.5));
        assertEquals(half, next.get(4), 1e-12, "after 5 of 10 steps' time, the middle of the cosine");
        assertEquals(0.001, next.get(9), 1e-15, "the floor once the budget is spent");
        for (int i = 2; i < next.size(); i++) {
            assertTrue(next.get(i) < next.get(i - 1), "decreasing: " + next);
        }
    }

    @Test
    void aResumedRunContinuesWithTheRemainingBudget(@TempDir Path dir) {
        Path file = dir.resolve("run.safetensors");
        FakeClock clock = new FakeClock();
        TrainerConfig config = sgd(new ScheduleConfig.Constant(0.05))
                .budget(Duration.ofMillis(100))
                .build();
        Trainer first = new Trainer(flow(), config, clock::nanoTime);
        FitResult half = first.fit(clock.source(), new FitListener() {
            @Override
            public void onStep(long step, double loss, double rate) {
                if (step == 4) {
                    first.requestStop();
                }
            }

            @Override
            public void onCheckpointDue(long step) {
                first.save(file, CheckpointMetadata.of("diagonal-gaussian", DType.FLOAT64));
            }
        });
        assertEquals(StopReason.STOP_REQUESTED, half.reason());
        CheckpointInfo info = Checkpoints.readInfo(file);
        assertEquals("40", info.metadata().extra().get(Trainer.ELAPSED_KEY));
        assertEquals(Duration.ofMillis(40), Trainer.savedTrainingTime(info));
        assertEquals(Duration.ofMillis(100), Trainer.savedBudget(info).orElseThrow());
        assertFalse(Trainer.savedConfig(info).containsKey(Trainer.ELAPSED_KEY), "state, not a setting");

        FakeClock later = new FakeClock();
        Trainer resumed = new Trainer(flow(), config, later::nanoTime);
        resumed.restore(file);
        assertEquals(Duration.ofMillis(40), resumed.trainingTime());
        FitResult rest = resumed.fit(later.source(), FitListener.NONE);
        assertEquals(10, rest.steps(), "6 more steps: 60 ms were left");
        assertEquals(StopReason.BUDGET_SPENT, rest.reason());
        assertEquals(Duration.ofMillis(100), rest.trainingTime());

        // a larger budget extends the run, as a larger step total does
        FakeClock third = new FakeClock();
        Trainer extended = new Trainer(
                flow(),
                sgd(new ScheduleConfig.Constant(0.05))
                        .budget(Duration.ofMillis(150))
                        .build(),
                third::nanoTime);
        extended.restore(file);
        assertEquals(15, extended.fit(third.source(), FitListener.NONE).steps());

        // a run by steps cannot continue a run by time
        Trainer bySteps = new Trainer(
                flow(), sgd(new ScheduleConfig.Constant(0.05)).steps(20).build());
        ConfigMismatchException e = assertThrows(ConfigMismatchException.class, () -> bySteps.restore(file));
        assertEquals(TrainerConfig.LENGTH, e.differences().get(0).setting());
    }

    @Test
    void aCosineOverTheBudgetKeepsItsBudgetOnResume(@TempDir Path dir) {
        Path file = dir.resolve("run.safetensors");
        ScheduleConfig.WarmupCosine cosine = new ScheduleConfig.WarmupCosine(0.05, 2, 0, 0);
        FakeClock clock = new FakeClock();
        Trainer first =
                new Trainer(flow(), sgd(cosine).budget(Duration.ofMillis(50)).build(), clock::nanoTime);
        first.fit(clock.source(), new FitListener() {
            @Override
            public void onCheckpointDue(long step) {
                first.save(file, CheckpointMetadata.of("diagonal-gaussian", DType.FLOAT64));
            }
        });
        Trainer longer =
                new Trainer(flow(), sgd(cosine).budget(Duration.ofMillis(80)).build());
        ConfigMismatchException e = assertThrows(ConfigMismatchException.class, () -> longer.restore(file));
        assertEquals(
                TrainerConfig.SCHEDULE_BUDGET_MS,
                e.differences().get(0).setting(),
                "its length, like schedule.total_steps of a cosine over steps");
    }

    @Test
    void settingsAreValidatedNamingTheBudget(@TempDir Path dir) {
        TrainConfig base = TrainConfig.defaults(dir);
        TrainConfig timed = base.withBudget(Duration.ofSeconds(3));
        assertTrue(timed.hasBudget());
        assertEquals(0, timed.steps());
        assertEquals(0, timed.epochs());
        assertNull(timed.withSteps(5).budget(), "steps replace the budget");
        assertNull(timed.withEpochs(2).budget(), "epochs replace the budget");
        IllegalArgumentException both = assertThrows(
                IllegalArgumentException.class,
                () -> new TrainConfig(0, 8, 1, 0, base.optimizer(), 0, 0, 8, dir, Duration.ofSeconds(1), null));
        assertTrue(both.getMessage().contains("replaces epochs and steps"), both.getMessage());
        assertThrows(IllegalArgumentException.class, () -> base.withBudget(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> timed.withEvalEvery(Duration.ofMillis(-1)));
        assertThrows(
                IllegalArgumentException.class,
                () -> TrainerConfig.builder().budget(Duration.ZERO).build());
        assertEquals(
                Long.MAX_VALUE,
                TrainerConfig.builder().budget(Duration.ofSeconds(1)).build().steps());
        assertEquals(
                7,
                TrainerConfig.builder()
                        .budget(Duration.ofSeconds(1))
                        .steps(7)
                        .build()
                        .steps(),
                "steps may cap a budget");
    }

    /**
     * Real time: a tiny model stops within its budget plus one step, and sleeping evaluations do
     * not count: between two steps with an evaluation in between, the training time grows by at
     * most the wall time less the sleep, however slow the machine.
     */
    @Test
    void aZooRunStopsAtItsBudgetAndEvaluationsDoNotCount(@TempDir Path dir) {
        Dataset data = TinyData.blobs(512, 1);
        ZooModel m = new RealNvpFactory()
                .build(new ModelRequest(
                        "2d",
                        data.eventShape(),
                        data.kind(),
                        BuildContext.of(backend, DType.FLOAT32, RandomSource.seeded(7)),
                        Map.of()));
        Duration budget = Duration.ofMillis(600);
        long sleepNanos = Duration.ofMillis(60).toNanos();
        List<Duration> used = new ArrayList<>();
        List<Long> wall = new ArrayList<>();
        List<Integer> sleptBefore = new ArrayList<>(); // indexes into used of the steps after a sleep
        List<Long> evaluations = new ArrayList<>();
        ProgressListener listener = new ProgressListener() {
            @Override
            public void onTrainingTime(Duration u, Duration b) {
                wall.add(System.nanoTime());
                used.add(u);
                assertEquals(budget, b);
            }

            @Override
            public void onEvaluation(long step, Duration trainingTime, EvalResult validation) {
                evaluations.add(step);
                sleptBefore.add(used.size());
                try {
                    Thread.sleep(sleepNanos / 1_000_000); // an evaluation far slower than a step
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        TrainConfig config = TrainConfig.defaults(dir)
                .withSeed(3)
                .withBatchSize(32)
                .withLearningRate(3e-3)
                .withWarmupSteps(5)
                .withBudget(budget)
                .withEvalEvery(Duration.ofMillis(100));
        ZooTrainer trainer = new ZooTrainer(m, data, config, listener);
        assertEquals(0, trainer.totalSteps(), "no planned step count");
        TrainResult r = trainer.train();

        assertTrue(r.steps() > 0);
        assertEquals(r.steps(), used.size());
        assertEquals(StopReason.BUDGET_SPENT, r.reason());
        assertFalse(r.stopped());
        assertNotNull(r.validation(), "evaluated at the end");
        assertEquals(r.steps(), evaluations.get(evaluations.size() - 1), "the last evaluation is at the end");
        long slowest = 0;
        for (int i = 0; i < used.size(); i++) {
            slowest = Math.max(
                    slowest,
                    used.get(i).minus(i == 0 ? Duration.ZERO : used.get(i - 1)).toNanos());
        }
        assertTrue(r.trainingTime().compareTo(budget) >= 0, "spent: " + r.trainingTime());
        assertTrue(
                r.trainingTime().toNanos() - budget.toNanos() <= slowest,
                "within the budget and one step: " + r.trainingTime() + ", slowest step " + slowest + " ns");
        for (int i : sleptBefore) {
            if (i < used.size()) {
                long trained = used.get(i).minus(used.get(i - 1)).toNanos();
                long between = wall.get(i) - wall.get(i - 1);
                assertTrue(
                        trained <= between - sleepNanos,
                        "step " + (i + 1) + " counted " + trained + " ns of the " + between
                                + " ns that included a sleep of " + sleepNanos);
            }
        }
        CheckpointInfo info = ZooCheckpoints.info(r.checkpoint());
        assertEquals(r.steps(), info.metadata().step());
        assertEquals(budget, Trainer.savedBudget(info).orElseThrow());
        assertTrue(Trainer.savedTrainingTime(info).compareTo(budget) >= 0);
    }
}
