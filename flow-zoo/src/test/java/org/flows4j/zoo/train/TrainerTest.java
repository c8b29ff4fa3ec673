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
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.data.DatasetFactory;
import org.flows4j.zoo.models.GlowFactory;
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
        return f.build(new ModelRequest(preset, data.eventShape(), data.kind(), backend, dtype, RandomSource.seeded(7), o));
    }

    private static TrainConfig config(Path out, long steps) {
        return TrainConfig.defaults(out).withSeed(3).withBatchSize(32).withSteps(steps).withLearningRate(3e-3)
                .withWarmupSteps(5);
    }

    @Test
    void eachSmallModelLowersItsLossOnTinyData(@TempDir Path dir) {
        record Run(ModelFactory f, String preset, Dataset data, Map<String, String> options) {
        }
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
            TrainResult r = new Trainer(m, run.data(), config(dir.resolve(run.f().family() + run.preset()), 40), record)
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
        Dataset data = TinyData.images(Shape.of(1, 4, 4), 96, 5);
        ZooModel straight = model(new GlowFactory(), "small", data, DType.FLOAT64, Map.of("steps", "1", "hidden", "4",
                "levels", "1"));
        new Trainer(straight, data, config(dir.resolve("a"), 14), ProgressListener.SILENT).train();

        ZooModel first = model(new GlowFactory(), "small", data, DType.FLOAT64, Map.of("steps", "1", "hidden", "4",
                "levels", "1"));
        TrainResult half = new Trainer(first, data, config(dir.resolve("b"), 6), ProgressListener.SILENT).train();
        ZooModel rebuilt = ZooCheckpoints.rebuild(half.checkpoint(), ZOO, backend);
        TrainResult rest = new Trainer(rebuilt, data, config(dir.resolve("b"), 14), ProgressListener.SILENT)
                .resume(half.checkpoint());
        assertEquals(14, rest.steps());
        Map<String, Parameter> a = straight.flow().variables();
        Map<String, Parameter> b = rebuilt.flow().variables();
        assertEquals(a.keySet(), b.keySet());
        for (String name : a.keySet()) {
            double[] x = a.get(name).value().toDoubleArray();
            double[] y = b.get(name).value().toDoubleArray();
            for (int i = 0; i < x.length; i++) {
                assertEquals(Double.doubleToLongBits(x[i]), Double.doubleToLongBits(y[i]), name + "[" + i + "]");
            }
        }
    }

    @Test
    void aNanLossStopsTrainingNamingTheStepAndKeepsTheLastCheckpoint(@TempDir Path dir) throws Exception {
        Dataset good = TinyData.blobs(64, 1);
        ZooModel m = model(new RealNvpFactory(), "2d", good, DType.FLOAT32, Map.of());
        Path out = dir.resolve("run");
        new Trainer(m, good, config(out, 2).withBatchSize(32), ProgressListener.SILENT).train();
        byte[] before = Files.readAllBytes(out.resolve(Trainer.CHECKPOINT));
        float[] v = new float[64 * 2];
        java.util.Arrays.fill(v, Float.NaN);
        Dataset bad = new TinyData("nan", Shape.of(2), Dataset.Kind.CONTINUOUS, new DataSplit(Shape.of(2), v, null),
                good.validation(), good.test());
        TrainingException e = assertThrows(TrainingException.class,
                () -> new Trainer(m, bad, config(out, 4), ProgressListener.SILENT).train());
        assertTrue(e.getMessage().contains("at step 1"), e.getMessage());
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(out.resolve(Trainer.CHECKPOINT))),
                "the last good checkpoint is untouched");
    }

    @Test
    void aStopRequestWritesTheCheckpointAndReturns(@TempDir Path dir) {
        Dataset data = TinyData.blobs(512, 1);
        ZooModel m = model(new RealNvpFactory(), "2d", data, DType.FLOAT32, Map.of());
        Trainer[] holder = new Trainer[1];
        holder[0] = new Trainer(m, data, config(dir, 1000), new ProgressListener() {
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
        ZooModel m = new NiceFactory().build(new ModelRequest("small", shape, Dataset.Kind.IMAGE_8BIT, backend,
                DType.FLOAT64, RandomSource.seeded(1), Map.of()));
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
}
