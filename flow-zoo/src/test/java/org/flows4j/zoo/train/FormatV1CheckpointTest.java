package org.flows4j.zoo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.io.CheckpointException;
import org.flows4j.layers.io.CheckpointInfo;
import org.flows4j.layers.io.Checkpoints;
import org.flows4j.testing.Tolerance;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.ZooModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoint format versions: a format-1 checkpoint written by flows4j before the moving
 * average and the recorded training settings still loads and gives the log-likelihoods it gave
 * then, cannot be resumed (with a message naming its version), and a checkpoint of a newer
 * format is refused naming that version.
 *
 * <p>The fixture {@code checkpoints/v1-realnvp-2d-two-moons.safetensors} was written by the
 * code of format 1 with {@code flows4j train --model realnvp:2d --data two-moons --steps 20
 * --batch 32 --no-plots --threads 1 --backend cpu}; {@link #V1_MEAN_LOG_PROB} is what that code
 * computed for {@link #fixedBatch()} on the cpu backend in float32.
 */
@SuppressWarnings("try") // the scope and the guard act by being open
class FormatV1CheckpointTest {

    /** The fixture's mean log p(x) over {@link #fixedBatch()}, printed by the format-1 code. */
    static final double V1_MEAN_LOG_PROB = -2.4337252005934715;
    /** Its first and last per-point values. */
    static final double V1_FIRST = -2.3629939556121826;

    static final double V1_LAST = -3.804720163345337;
    /**
     * float32 arithmetic: the same kernels give the same bits, but a reordered sum in a later
     * kernel may move the last of float32's 24 bits; 1e-6 relative is about 8 ulps.
     */
    private static final double RTOL = 1e-6;

    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = Backends.create("cpu");
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    static Path fixture() throws Exception {
        return Path.of(FormatV1CheckpointTest.class
                .getResource("/checkpoints/v1-realnvp-2d-two-moons.safetensors")
                .toURI());
    }

    /** 16 points along a wave across the two moons' range: fixed numbers, no random source. */
    static double[] fixedBatch() {
        double[] v = new double[2 * 16];
        for (int i = 0; i < 16; i++) {
            v[2 * i] = -1.0 + 0.2 * i;
            v[2 * i + 1] = 0.5 * Math.sin(0.7 * i) - 0.1;
        }
        return v;
    }

    private static void assertClose(double expected, double actual, String what) {
        new Tolerance(RTOL, 0, "float32 log-likelihood recomputed by today's code").assertClose(what, actual, expected);
    }

    @Test
    void aFormatOneCheckpointLoadsAndGivesTheSameLogLikelihood() throws Exception {
        CheckpointInfo info = ZooCheckpoints.info(fixture());
        assertEquals(1, info.formatVersion());
        assertFalse(info.hasAverages());
        assertEquals(20, info.metadata().step());
        assertEquals("two-moons", ZooCheckpoints.dataSpec(info));
        try (MemoryScope scope = MemoryScope.open();
                Autodiff.NoGrad off = Autodiff.noGrad()) {
            ZooModel m = ZooCheckpoints.load(fixture(), Zoo.builtIn(), backend);
            assertEquals(Dataset.Kind.CONTINUOUS, m.kind());
            m.flow().setTraining(false);
            double[] lp = m.flow()
                    .logProb(Tensor.of(backend, DType.FLOAT32, fixedBatch(), Shape.of(16, 2)))
                    .toDoubleArray();
            double sum = 0;
            for (double d : lp) {
                sum += d;
            }
            assertClose(V1_MEAN_LOG_PROB, sum / 16, "mean log p");
            assertClose(V1_FIRST, lp[0], "log p of the first point");
            assertClose(V1_LAST, lp[15], "log p of the last point");
        }
    }

    @Test
    void aFormatOneCheckpointCannotBeResumedAndSaysWhy() throws Exception {
        ZooModel m = ZooCheckpoints.rebuild(fixture(), Zoo.builtIn(), backend);
        Dataset data = TinyData.blobs(256, 1);
        ZooTrainer trainer = new ZooTrainer(
                m,
                data,
                TrainConfig.defaults(Path.of("unused")).withSteps(40).withBatchSize(32),
                ProgressListener.SILENT);
        CheckpointException e = assertThrows(CheckpointException.class, () -> trainer.resume(fixture()));
        assertTrue(e.getMessage().contains("format version 1") && e.getMessage().contains("evaluated"), e.getMessage());
    }

    @Test
    void aCheckpointOfANewerFormatIsRefusedNamingItsVersion(@TempDir Path dir) throws Exception {
        Path written = dir.resolve("v2.safetensors");
        ZooModel m = ZooCheckpoints.load(fixture(), Zoo.builtIn(), backend);
        Checkpoints.save(
                written,
                m.flow(),
                null,
                org.flows4j.layers.io.CheckpointMetadata.of("realnvp:2d", DType.FLOAT32)
                        .withModelConfig(Map.of("event_shape", "2", "kind", "CONTINUOUS")));
        assertEquals(Checkpoints.FORMAT_VERSION, ZooCheckpoints.info(written).formatVersion());
        assertEquals(2, Checkpoints.FORMAT_VERSION);
        // the same file claiming format 3: the header's length is unchanged, so it stays valid safetensors
        byte[] bytes = Files.readAllBytes(written);
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        String from = "\"format_version\":\"2\"";
        assertTrue(text.contains(from), "the header spells the version as " + from);
        Path newer = dir.resolve("v3.safetensors");
        Files.write(newer, text.replace(from, "\"format_version\":\"3\"").getBytes(StandardCharsets.ISO_8859_1));
        CheckpointException e = assertThrows(CheckpointException.class, () -> ZooCheckpoints.info(newer));
        assertTrue(e.getMessage().contains("version 3"), e.getMessage());
    }
}
