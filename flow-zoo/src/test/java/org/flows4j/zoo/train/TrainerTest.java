package org.flows4j.zoo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.layers.optim.ScheduleConfig;
import org.flows4j.layers.optim.Sgd;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.GlowFactory;
import org.flows4j.zoo.models.MafFactory;
import org.flows4j.zoo.models.ModelFactory;
import org.flows4j.zoo.models.ModelRequest;
import org.flows4j.zoo.models.NiceFactory;
import org.flows4j.zoo.models.RealNvpFactory;
import org.flows4j.zoo.models.ZooModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training lowers the loss, resumes exactly, stops on NaN, and its checkpoints rebuild the model. */
class TrainerTest {

    private static Backend backend;
    private static final Zoo ZOO = Zoo.builtIn();

    @BeforeAll
    static void open() {
        backend = Backends.create("cpu");
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static ZooModel model(ModelFactory f, String preset, Dataset data, DType dtype, Map<String, String> o) {
        return f.build(new ModelRequest(
                preset,
                data.eventShape(),
                data.kind(),
                org.flows4j.layers.BuildContext.of(backend, dtype, RandomSource.seeded(7)),
                o));
    }

    private static TrainConfig config(Path out, long steps) {
        return TrainConfig.defaults(out)
                .withSeed(3)
                .withBatchSize(32)
                .withSteps(steps)
                .withLearningRate(3e-3)
                .withWarmupSteps(5);
    }

    @Test
    void eachSmallModelLowersItsLossOnTinyData(@TempDir Path dir) {
        record Run(ModelFactory f, String preset, Dataset data, Map<String, String> options) {}
        Dataset blobs = TinyData.blobs(512, 1);
        Dataset images = TinyData.images(Shape.of(1, 8, 8), 128, 2);
        List<Run> runs = List.of(
                new Run(new RealNvpFactory(), "2d", blobs, Map.of()),
                new Run(new NiceFactory(), "small", blobs, Map.of("width", "32")),
                new Run(new NiceFactory(), "small", images, Map.of("width", "32")),
                new Run(new RealNvpFactory(), "small", images, Map.of("width", "8", "blocks", "1")),
                new Run(new GlowFactory(), "small", images, Map.of("steps", "2", "hidden", "8")));
        for (Run run : runs) {
            ZooModel m = model(run.f(), run.preset(), run.data(), DType.FLOAT32, run.options());
            List<Double> losses = new ArrayList<>();
            ProgressListener record = new ProgressListener() {
                @Override
                public void onStep(int epoch, long step, long total, double loss, double bpd, double rate) {
                    losses.add(loss);
                }
            };
            TrainResult r = new ZooTrainer(
                            m, run.data(), config(dir.resolve(run.f().family() + run.preset()), 40), record)
                    .train();
            assertEquals(40, r.steps());
            double first = (losses.get(0) + losses.get(1) + losses.get(2)) / 3;
            double last = (losses.get(37) + losses.get(38) + losses.get(39)) / 3;
            assertTrue(last < first, run + ": loss went from " + first + " to " + last);
            assertTrue(Files.exists(r.checkpoint()));
        }
    }

    @Test
    void aResumedRunTakesExactlyTheStepsOfAnUninterruptedOne(@TempDir Path dir) {
        assertResumeIsExact(dir.resolve("adam"), c -> c);
    }

    @Test
    void aResumedRunWithSgdCosineAndEmaTakesExactlyTheSameSteps(@TempDir Path dir) {
        assertResumeIsExact(
                dir.resolve("sgd"),
                c -> c.withOptimizer(Sgd.builder()
                                .schedule(new ScheduleConfig.WarmupCosine(3e-3, 3, 0, 0))
                                .momentum(0.9)
                                .nesterov(true)
                                .build())
                        .withEmaDecay(0.9)
                        .withClipNorm(50));
    }

    /** 14 steps straight equal 6 steps, a stop (Ctrl-C), and a resume to 14: parameters and averages bit for bit. */
    private static void assertResumeIsExact(Path dir, java.util.function.UnaryOperator<TrainConfig> settings) {
        Dataset data = TinyData.images(Shape.of(1, 4, 4), 96, 5);
        Map<String, String> glow = Map.of("steps", "1", "hidden", "4", "levels", "1");
        ZooModel straight = model(new GlowFactory(), "small", data, DType.FLOAT64, glow);
        ZooTrainer a =
                new ZooTrainer(straight, data, settings.apply(config(dir.resolve("a"), 14)), ProgressListener.SILENT);
        a.train();

        ZooModel first = model(new GlowFactory(), "small", data, DType.FLOAT64, glow);
        ZooTrainer[] holder = new ZooTrainer[1];
        holder[0] = new ZooTrainer(first, data, settings.apply(config(dir.resolve("b"), 14)), new ProgressListener() {
            @Override
            public void onStep(int epoch, long step, long total, double loss, double bpd, double rate) {
                if (step == 6) {
                    holder[0].requestStop();
                }
            }
        });
        TrainResult half = holder[0].train();
        assertTrue(half.stopped());
        assertEquals(6, half.steps());
        ZooModel rebuilt = ZooCheckpoints.rebuild(half.checkpoint(), ZOO, backend);
        ZooTrainer b =
                new ZooTrainer(rebuilt, data, settings.apply(config(dir.resolve("b"), 14)), ProgressListener.SILENT);
        TrainResult rest = b.resume(half.checkpoint());
        assertEquals(14, rest.steps());
        assertBitsEqual(straight.flow().variables(), rebuilt.flow().variables());
        if (a.trainer().config().averages()) {
            try (Trainer.AveragedWeights x = a.trainer().averagedWeights()) {
                Map<String, double[]> averaged = values(straight.flow().parameters());
                try (Trainer.AveragedWeights y = b.trainer().averagedWeights()) {
                    assertBitsEqualValues(averaged, values(rebuilt.flow().parameters()));
                }
            }
            // eval and the picture commands load the averages by default, --raw-weights the trained values
            ZooModel averaged = ZooCheckpoints.load(rest.checkpoint(), ZOO, backend);
            ZooModel raw = ZooCheckpoints.load(rest.checkpoint(), ZOO, backend, true);
            assertBitsEqual(rebuilt.flow().variables(), raw.flow().variables());
            try (Trainer.AveragedWeights y = b.trainer().averagedWeights()) {
                assertBitsEqual(rebuilt.flow().variables(), averaged.flow().variables());
            }
        }
    }

    private static Map<String, double[]> values(Map<String, Parameter> parameters) {
        Map<String, double[]> out = new java.util.LinkedHashMap<>();
        parameters.forEach((k, p) -> out.put(k, p.value().toDoubleArray()));
        return out;
    }

    private static void assertBitsEqual(Map<String, Parameter> a, Map<String, Parameter> b) {
        assertBitsEqualValues(values(a), values(b));
    }

    private static void assertBitsEqualValues(Map<String, double[]> a, Map<String, double[]> b) {
        assertEquals(a.keySet(), b.keySet());
        for (String name : a.keySet()) {
            double[] x = a.get(name);
            double[] y = b.get(name);
            for (int i = 0; i < x.length; i++) {
                assertEquals(Double.doubleToLongBits(x[i]), Double.doubleToLongBits(y[i]), name + "[" + i + "]");
            }
        }
    }

    @Test
    void aResumeWithOtherSettingsIsRefusedNamingTheSettingAndBothValues(@TempDir Path dir) {
        Dataset data = TinyData.blobs(256, 1);
        ZooModel m = model(new RealNvpFactory(), "2d", data, DType.FLOAT32, Map.of());
        TrainResult r = new ZooTrainer(m, data, config(dir, 3), ProgressListener.SILENT).train();
        ZooModel again = ZooCheckpoints.rebuild(r.checkpoint(), ZOO, backend);
        ConfigMismatchException e = assertThrows(
                ConfigMismatchException.class,
                () -> new ZooTrainer(
                                again,
                                data,
                                config(dir, 6).withEmaDecay(0.99).withBatchSize(16),
                                ProgressListener.SILENT)
                        .resume(r.checkpoint()));
        assertTrue(e.getMessage().contains("ema_decay was 0.0, now 0.99"), e.getMessage());
        assertTrue(e.getMessage().contains("batch_size was 32, now 16"), e.getMessage());
    }

    @Test
    void aNanLossStopsTrainingNamingTheStepAndKeepsTheLastCheckpoint(@TempDir Path dir) throws Exception {
        Dataset good = TinyData.blobs(64, 1);
        ZooModel m = model(new RealNvpFactory(), "2d", good, DType.FLOAT32, Map.of());
        Path out = dir.resolve("run");
        new ZooTrainer(m, good, config(out, 2).withBatchSize(32), ProgressListener.SILENT).train();
        byte[] before = Files.readAllBytes(out.resolve(ZooTrainer.CHECKPOINT));
        float[] v = new float[64 * 2];
        java.util.Arrays.fill(v, Float.NaN);
        Dataset bad = new TinyData(
                "nan",
                Shape.of(2),
                Dataset.Kind.CONTINUOUS,
                new DataSplit(Shape.of(2), v, null),
                good.validation(),
                good.test());
        TrainingException e = assertThrows(
                TrainingException.class, () -> new ZooTrainer(m, bad, config(out, 4), ProgressListener.SILENT).train());
        assertTrue(e.getMessage().contains("at step 1"), e.getMessage());
        assertTrue(
                java.util.Arrays.equals(before, Files.readAllBytes(out.resolve(ZooTrainer.CHECKPOINT))),
                "the last good checkpoint is untouched");
    }

    @Test
    void aDivergenceNamesOnlyACheckpointThisRunWrote(@TempDir Path dir) throws Exception {
        Dataset good = TinyData.blobs(64, 1);
        float[] v = new float[64 * 2];
        java.util.Arrays.fill(v, Float.NaN);
        Dataset bad = new TinyData(
                "nan",
                Shape.of(2),
                Dataset.Kind.CONTINUOUS,
                new DataSplit(Shape.of(2), v, null),
                good.validation(),
                good.test());
        // Nothing was ever written: no checkpoint is named (issue 13, item 10).
        Path fresh = dir.resolve("fresh");
        ZooModel m = model(new RealNvpFactory(), "2d", good, DType.FLOAT32, Map.of());
        TrainingException e = assertThrows(
                TrainingException.class,
                () -> new ZooTrainer(m, bad, config(fresh, 4).withBatchSize(32), ProgressListener.SILENT).train());
        assertFalse(e.getMessage().contains("last good state"), e.getMessage());
        assertTrue(e.getMessage().contains("no checkpoint was written"), e.getMessage());
        assertFalse(Files.exists(fresh.resolve(ZooTrainer.CHECKPOINT)));
        // Resumed from its own checkpoint: that one is the last good state, at its step.
        Path out = dir.resolve("run");
        new ZooTrainer(m, good, config(out, 2).withBatchSize(32), ProgressListener.SILENT).train();
        ZooModel again = ZooCheckpoints.rebuild(out.resolve(ZooTrainer.CHECKPOINT), ZOO, backend);
        e = assertThrows(
                TrainingException.class,
                () -> new ZooTrainer(again, bad, config(out, 4).withBatchSize(32), ProgressListener.SILENT)
                        .resume(out.resolve(ZooTrainer.CHECKPOINT)));
        assertTrue(e.getMessage().contains("keeps the last good state (step 2)"), e.getMessage());
    }

    @Test
    void aBatchLargerThanTheTrainingSplitIsRefusedUpFront(@TempDir Path dir) {
        Dataset data = TinyData.blobs(40, 1);
        ZooModel m = model(new RealNvpFactory(), "2d", data, DType.FLOAT32, Map.of());
        int n = data.train().size();
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new ZooTrainer(m, data, config(dir, 2).withBatchSize(n + 1), ProgressListener.SILENT));
        assertTrue(
                e.getMessage().contains("batch of " + (n + 1) + " is larger than the training split"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> new ZooTrainer(
                        m, data, config(dir, 2).withBatchSize(Integer.MAX_VALUE), ProgressListener.SILENT));
        assertTrue(e.getMessage().contains("at most " + n), e.getMessage());
    }

    @Test
    void aStopRequestWritesTheCheckpointAndReturns(@TempDir Path dir) {
        Dataset data = TinyData.blobs(512, 1);
        ZooModel m = model(new RealNvpFactory(), "2d", data, DType.FLOAT32, Map.of());
        ZooTrainer[] holder = new ZooTrainer[1];
        holder[0] = new ZooTrainer(m, data, config(dir, 1000), new ProgressListener() {
            @Override
            public void onStep(int epoch, long step, long total, double loss, double bpd, double rate) {
                if (step == 3) {
                    holder[0].requestStop();
                }
            }
        });
        TrainResult r = holder[0].train();
        assertTrue(r.stopped());
        assertEquals(3, r.steps());
        assertEquals(3, ZooCheckpoints.info(r.checkpoint()).metadata().step());
        assertEquals("blobs", ZooCheckpoints.dataSpec(ZooCheckpoints.info(r.checkpoint())));
    }

    /**
     * Bits per dimension by hand: a fresh nice:small (zero-initialized couplings, zero scales)
     * is the identity after scaling, so log p(x) = sum_d logistic(u_d / 256) - D ln 256 for the
     * dequantized pixels u, whose noise the test regenerates from the same seed.
     */
    @Test
    void bitsPerDimensionOfAKnownModelMatchAHandComputation() {
        Shape shape = Shape.of(1, 2, 2);
        float[] pixels = {0, 17, 128, 255, 3, 99, 200, 64};
        DataSplit split = new DataSplit(shape, pixels, null);
        ZooModel m = new NiceFactory()
                .build(new ModelRequest(
                        "small",
                        shape,
                        Dataset.Kind.IMAGE_8BIT,
                        org.flows4j.layers.BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(1)),
                        Map.of("scaling-init", "identity")));
        EvalResult r = Evaluator.evaluate(m, split, 64, RandomSource.seeded(42));
        double[] u = RandomSource.seeded(42).uniform(pixels.length);
        double logp = 0;
        for (int i = 0; i < pixels.length; i++) {
            double h = (pixels[i] + u[i]) / 256;
            logp += -h - 2 * Math.log1p(Math.exp(-h)) - Math.log(256);
        }
        double nllPixel = -logp / 2;
        assertEquals(2, r.n());
        assertEquals(nllPixel / (4 * Math.log(2)), r.bitsPerDim(), 1e-12);
        assertEquals(nllPixel - 4 * Math.log(256), r.nllNats(), 1e-12);
        assertFalse(Double.isNaN(r.bitsPerDim()));
    }

    @Test
    void aCheckpointRecordsEveryOptionWithTheValueItTookSoALaterDefaultCannotChangeIt(@TempDir Path dir) {
        // maf:images' scale default moved from exp to sigmoid with the parameter shapes unchanged: a
        // checkpoint that kept only the options given would have rebuilt as the other model, silently
        record Case(ModelFactory f, String preset, Dataset data, Map<String, String> given, Map<String, String> took) {}
        Dataset blobs = TinyData.blobs(64, 1);
        Dataset images = TinyData.images(Shape.of(1, 8, 8), 32, 2);
        List<Case> cases = List.of(
                new Case(
                        new NiceFactory(),
                        "small",
                        blobs,
                        Map.of("width", "32"),
                        Map.of("width", "32", "prior", "logistic", "scaling-init", "data", "weight-init", "he")),
                new Case(new MafFactory(), "2d", blobs, Map.of(), Map.of("scale", "exp", "batchnorm", "false")),
                new Case(
                        new MafFactory(),
                        "2d",
                        blobs,
                        Map.of("scale", " Sigmoid", "width", "016"),
                        Map.of("scale", "sigmoid", "width", "16")),
                new Case(
                        new GlowFactory(),
                        "small",
                        images,
                        Map.of("steps", "2", "hidden", "8"),
                        Map.of("steps", "2", "hidden", "8", "permutation", "lu", "coupling", "affine")),
                // realnvp reads couplings and depth for images too, but offers neither there: not recorded
                new Case(new RealNvpFactory(), "small", images, Map.of("width", "8"), Map.of("width", "8")));
        for (Case c : cases) {
            ZooModel built = model(c.f(), c.preset(), c.data(), DType.FLOAT32, c.given());
            String what = c.f().family() + ":" + c.preset() + " " + c.given();
            c.took().forEach((k, v) -> assertEquals(v, built.options().get(k), what + " option " + k));
            assertTrue(built.options().keySet().containsAll(c.given().keySet()), what + ": " + built.options());
            if (c.f() instanceof RealNvpFactory) {
                assertFalse(built.options().containsKey("couplings"), what + ": " + built.options());
            }
            Path file = dir.resolve(c.f().family() + c.preset() + c.given().size() + ".safetensors");
            ZooCheckpoints.save(file, built, trainer(built), c.data().name(), 0, 0);
            Map<String, String> config = ZooCheckpoints.info(file).metadata().modelConfig();
            built.options().forEach((k, v) -> assertEquals(v, config.get("option." + k), what + " recorded " + k));
            ZooModel rebuilt = ZooCheckpoints.load(file, ZOO, backend);
            assertEquals(built.options(), rebuilt.options(), what);
            assertBitsEqual(built.flow().parameters(), rebuilt.flow().parameters());
        }
    }

    private static Trainer trainer(ZooModel m) {
        return new Trainer(
                m.flow(),
                TrainerConfig.builder()
                        .optimizer(org.flows4j.layers.optim.Adam.builder()
                                .learningRate(1e-3)
                                .build())
                        .batchSize(8)
                        .steps(1)
                        .build());
    }

    @Test
    void aCheckpointWhoseMetadataNamesAnUnknownOptionIsRefusedNamingTheFile(@TempDir Path dir) {
        Dataset blobs = TinyData.blobs(64, 1);
        ZooModel built = model(new RealNvpFactory(), "2d", blobs, DType.FLOAT32, Map.of());
        // the metadata claims an option that realnvp does not have, as a hand-edited header would
        ZooModel claimed = new ZooModel(
                built.spec(),
                built.flow(),
                built.eventShape(),
                built.kind(),
                built.backend(),
                built.dtype(),
                Map.of("hidden", "32"));
        Path file = dir.resolve("edited.safetensors");
        ZooCheckpoints.save(file, claimed, trainer(built), "blobs", 0, 0);
        org.flows4j.layers.io.CheckpointException e = assertThrows(
                org.flows4j.layers.io.CheckpointException.class, () -> ZooCheckpoints.load(file, ZOO, backend));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("hidden"), e.getMessage());
    }
}
