package org.flows4j.zoo.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.GlowFactory;
import org.flows4j.zoo.models.ModelRequest;
import org.flows4j.zoo.models.NiceFactory;
import org.flows4j.zoo.models.ZooModel;
import org.flows4j.zoo.train.ProgressListener;
import org.flows4j.zoo.train.TinyData;
import org.flows4j.zoo.train.TrainConfig;
import org.flows4j.zoo.train.ZooTrainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Inpainting, interpolation and attribute manipulation on tiny trained models. */
@SuppressWarnings("try") // scopes opened only for their close()
class ToolsTest {

    private static Backend backend;
    private static final Shape IMAGE = Shape.of(1, 8, 8);

    @BeforeAll
    static void open() {
        backend = Backends.create("cpu");
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static ZooModel trained(Path dir, Dataset data, boolean glow) {
        ZooModel m = glow
                ? new GlowFactory()
                        .build(new ModelRequest(
                                "small",
                                IMAGE,
                                Dataset.Kind.IMAGE_8BIT,
                                org.flows4j.layers.BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(3)),
                                Map.of("steps", "2", "hidden", "8")))
                : new NiceFactory()
                        .build(new ModelRequest(
                                "small",
                                IMAGE,
                                Dataset.Kind.IMAGE_8BIT,
                                org.flows4j.layers.BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(3)),
                                Map.of("width", "32")));
        new ZooTrainer(
                        m,
                        data,
                        TrainConfig.defaults(dir)
                                .withSteps(30)
                                .withBatchSize(16)
                                .withLearningRate(3e-3)
                                .withWarmupSteps(3),
                        ProgressListener.SILENT)
                .train();
        return m;
    }

    @Test
    void inpaintingRaisesTheLikelihoodAndNeverChangesAKnownPixel(@TempDir Path dir) {
        Dataset data = TinyData.images(IMAGE, 64, 4);
        ZooModel m = trained(dir, data, false);
        for (InpaintMask mask : new InpaintMask[] {InpaintMask.TOP, InpaintMask.RANDOM75, InpaintMask.MIDDLE_V}) {
            try (MemoryScope s = MemoryScope.open()) {
                Tensor images = data.test().range(backend, DType.FLOAT64, 0, 4);
                double[] known = mask.known(IMAGE, RandomSource.seeded(1));
                Inpainting.Result r = Inpainting.inpaint(m.flow(), images, known, 40, RandomSource.seeded(2));
                double[] original = images.toDoubleArray();
                double[] result = r.result().toDoubleArray();
                for (int i = 0; i < result.length; i++) {
                    if (known[i % known.length] == 1) {
                        assertEquals(original[i], result[i], 0.0, mask + ": known pixel " + i + " changed");
                    } else {
                        assertTrue(result[i] >= 0 && result[i] < 256, mask + ": pixel " + i + " left the data range");
                    }
                }
                for (int k = 0; k < 4; k++) {
                    assertTrue(
                            r.logProbAfter()[k] > r.logProbBefore()[k],
                            mask + ": image " + k + " log p went from " + r.logProbBefore()[k] + " to "
                                    + r.logProbAfter()[k]);
                }
            }
        }
    }

    @Test
    void masksHaveTheDocumentedShapeAndBadNamesSaySo() {
        double[] top = InpaintMask.TOP.known(Shape.of(1, 4, 4), RandomSource.seeded(1));
        assertEquals(0, top[0]);
        assertEquals(1, top[15]);
        double[] r90 = InpaintMask.RANDOM90.known(Shape.of(2, 10, 10), RandomSource.seeded(1));
        assertEquals(20, java.util.Arrays.stream(r90).sum(), "10% known in each of 2 channels");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InpaintMask.parse("diagonal"));
        assertTrue(e.getMessage().contains("middle-v"), e.getMessage());
        assertEquals(InpaintMask.MIDDLE_H, InpaintMask.parse("middle-h"));
    }

    @Test
    void interpolationEndpointsReproduceTheInputs(@TempDir Path dir) {
        Dataset data = TinyData.images(IMAGE, 64, 5);
        ZooModel m = trained(dir, data, true);
        try (MemoryScope s = MemoryScope.open()) {
            Tensor a = data.test().range(backend, DType.FLOAT64, 0, 2);
            Tensor b = data.test().range(backend, DType.FLOAT64, 2, 4);
            Tensor strip = Interpolation.interpolate(m.flow(), a, b, 5);
            assertEquals(Shape.of(10, 1, 8, 8), strip.shape());
            double[] x = strip.toDoubleArray();
            double[] pa = a.toDoubleArray();
            double[] pb = b.toDoubleArray();
            int per = IMAGE.size();
            for (int p = 0; p < 2; p++) {
                for (int k = 0; k < per; k++) {
                    assertEquals(pa[p * per + k], Math.floor(x[(p * 5) * per + k]), 0.0, "t=0 gives a back");
                    assertEquals(pb[p * per + k], Math.floor(x[(p * 5 + 4) * per + k]), 0.0, "t=1 gives b back");
                }
            }
        }
    }

    @Test
    void attributeDirectionIsTheDifferenceOfClassMeans(@TempDir Path dir) {
        Dataset data = TinyData.images(IMAGE, 64, 6);
        ZooModel m = trained(dir, data, true);
        float[] values = new float[8 * IMAGE.size()];
        int[] labels = new int[8];
        for (int i = 0; i < 8; i++) {
            System.arraycopy(data.test().sample(i), 0, values, i * IMAGE.size(), IMAGE.size());
            labels[i] = i % 2;
        }
        DataSplit labelled = new DataSplit(IMAGE, values, labels);
        try (MemoryScope s = MemoryScope.open()) {
            Tensor d = AttributeManipulation.direction(m.flow(), labelled, 0, 1, backend, DType.FLOAT64, 3);
            Tensor z =
                    m.flow().encode(labelled.range(backend, DType.FLOAT64, 0, 8).add(0.5));
            double[] zz = z.toDoubleArray();
            int latent = zz.length / 8;
            double[] dd = d.toDoubleArray();
            for (int k = 0; k < latent; k++) {
                double m1 = 0;
                double m0 = 0;
                for (int i = 0; i < 8; i++) {
                    if (i % 2 == 1) {
                        m1 += zz[i * latent + k] / 4;
                    } else {
                        m0 += zz[i * latent + k] / 4;
                    }
                }
                assertEquals(m1 - m0, dd[k], 1e-9);
            }
            Tensor moved = AttributeManipulation.manipulate(
                    m.flow(), labelled.range(backend, DType.FLOAT64, 0, 2), d, new double[] {0, 1});
            assertEquals(Shape.of(4, 1, 8, 8), moved.shape());
            double[] original = labelled.range(backend, DType.FLOAT64, 0, 1).toDoubleArray();
            double[] at0 = moved.slice(0, 0, 1).toDoubleArray();
            for (int k = 0; k < original.length; k++) {
                assertEquals(original[k], Math.floor(at0[k]), 0.0, "alpha 0 gives the image back");
            }
        }
    }
}
