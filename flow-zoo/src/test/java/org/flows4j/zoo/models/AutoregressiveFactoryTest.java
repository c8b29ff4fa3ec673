package org.flows4j.zoo.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.DataRequest;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.train.ZooBatches;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The maf and nsf families, the conditional presets and CSV context columns. */
class AutoregressiveFactoryTest {

    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = Backends.create("cpu");
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static ZooModel build(ModelFactory f, String preset, Shape shape, Dataset.Kind kind, Conditioning c) {
        return f.build(new ModelRequest(
                preset, shape, kind, BuildContext.of(backend, DType.FLOAT32, RandomSource.seeded(1)), Map.of(), c));
    }

    @Test
    void twoDimensionalPresetsHaveRealNvpsSizeWithin10Percent() {
        long realnvp = build(new RealNvpFactory(), "2d", Shape.of(2), Dataset.Kind.CONTINUOUS, Conditioning.none())
                .flow()
                .parameterCount();
        for (var e : Map.of("maf", List.of("2d"), "nsf", List.of("2d", "2d-ar")).entrySet()) {
            ModelFactory f = Zoo.builtIn().models().get(e.getKey());
            for (String preset : e.getValue()) {
                long n = build(f, preset, Shape.of(2), Dataset.Kind.CONTINUOUS, Conditioning.none())
                        .flow()
                        .parameterCount();
                assertTrue(
                        Math.abs(n - realnvp) <= 0.1 * realnvp,
                        e.getKey() + ":" + preset + " has " + n + " parameters, realnvp:2d " + realnvp);
            }
        }
    }

    @Test
    void mafImagesBoundsItsScaleSoSamplingStaysFiniteWhereMafsExpOverflows() {
        Shape image = Shape.of(1, 4, 4);
        int d = image.size();
        for (String scale : new String[] {null, "exp", "sigmoid"}) {
            Map<String, String> options = scale == null ? Map.of("width", "8") : Map.of("width", "8", "scale", scale);
            ZooModel maf = new MafFactory()
                    .build(new ModelRequest(
                            "images",
                            image,
                            Dataset.Kind.IMAGE_8BIT,
                            BuildContext.of(backend, DType.FLOAT32, RandomSource.seeded(1)),
                            options,
                            Conditioning.none()));
            // every MADE's output bias, [mu | h], at 60: exp(60) * exp(60) overflows float32 in the second layer
            int[] outputBiases = {0};
            maf.flow().parameters().forEach((name, p) -> {
                if (p.shape().equals(Shape.of(2 * d))) {
                    p.set(Tensor.zeros(backend, DType.FLOAT32, 2 * d).add(60.0));
                    outputBiases[0]++;
                }
            });
            assertEquals(5, outputBiases[0], "one output layer per MADE");
            double[] x = maf.flow().sample(3, RandomSource.seeded(2)).toDoubleArray();
            long bad = Arrays.stream(x).filter(v -> !Double.isFinite(v)).count();
            if ("exp".equals(scale)) {
                assertTrue(bad > 0, "MAF's exp scale overflows at these weights; the test must show it");
            } else {
                assertEquals(0, bad, "maf:images " + (scale == null ? "(its default)" : "scale=" + scale));
            }
        }
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new MafFactory()
                        .build(new ModelRequest(
                                "images",
                                image,
                                Dataset.Kind.IMAGE_8BIT,
                                BuildContext.of(backend, DType.FLOAT32, RandomSource.seeded(1)),
                                Map.of("scale", "softplus"),
                                Conditioning.none())));
        assertEquals("maf:images option scale=softplus must be one of exp, tanh, sigmoid", e.getMessage());
    }

    @Test
    void presetsAreListedAndConditioningIsChecked() {
        assertTrue(Zoo.builtIn()
                .models()
                .get("maf")
                .presets()
                .containsAll(List.of("2d", "tabular", "images", "2d-cond", "tabular-cond", "2d-iaf")));
        assertTrue(Zoo.builtIn()
                .models()
                .get("nsf")
                .presets()
                .containsAll(List.of("2d", "2d-ar", "tabular", "tabular-ar", "2d-cond")));
        assertTrue(Zoo.builtIn().models().get("glow").presets().contains("small-cond"));
        MafFactory maf = new MafFactory();
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> build(maf, "2d-cond", Shape.of(2), Dataset.Kind.CONTINUOUS, Conditioning.none()))
                .getMessage()
                .contains("--condition"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> build(maf, "2d", Shape.of(2), Dataset.Kind.CONTINUOUS, Conditioning.labels(List.of("a"))))
                .getMessage()
                .contains("-cond"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> build(maf, "2d", Shape.of(3), Dataset.Kind.CONTINUOUS, Conditioning.none()))
                .getMessage()
                .contains("tabular"));
        assertEquals(64, Autoregressive.tabularWidth(3));
        assertEquals(160, Autoregressive.tabularWidth(20));
        assertEquals(512, Autoregressive.tabularWidth(1000));
    }

    @Test
    void classConditionalGlowSamplesAChosenClass() {
        Conditioning labels = Conditioning.labels(List.of("t-shirt", "ankle boot"));
        ZooModel glow = new GlowFactory()
                .build(new ModelRequest(
                        "small-cond",
                        Shape.of(1, 8, 8),
                        Dataset.Kind.IMAGE_8BIT,
                        BuildContext.of(backend, DType.FLOAT32, RandomSource.seeded(1)),
                        Map.of("steps", "1"),
                        labels));
        glow.flow().initialize(RandomSource.seeded(2).uniform(backend, DType.FLOAT32, Shape.of(8, 1, 8, 8), 0, 256));
        Tensor boot = labels.oneHot(backend, DType.FLOAT32, labels.labelIndex("Ankle Boot"));
        assertEquals(
                Shape.of(3, 1, 8, 8),
                glow.flow().sample(3, boot, RandomSource.seeded(3)).shape());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> labels.labelIndex("bag"))
                .getMessage()
                .contains("t-shirt, ankle boot"));
    }

    @Test
    void csvContextColumnsAreTheConditionalModelsContext(@TempDir Path dir) throws Exception {
        StringBuilder csv = new StringBuilder("x,c,y\n");
        for (int i = 0; i < 40; i++) {
            csv.append(i * 0.1)
                    .append(',')
                    .append(i % 2)
                    .append(',')
                    .append(-i * 0.05)
                    .append('\n');
        }
        Files.writeString(dir.resolve("t.csv"), csv);
        Dataset data = Zoo.builtIn().dataset(new DataRequest("csv:t.csv;context=c", dir, 1, 0));
        assertEquals(Shape.of(2), data.eventShape());
        assertEquals(List.of("c"), data.contextNames());
        Conditioning c = Conditioning.of(Conditioning.Source.CONTEXT, data);
        ZooModel model = build(new MafFactory(), "tabular-cond", data.eventShape(), data.kind(), c);
        BuildContext ctx = BuildContext.of(backend, DType.FLOAT32, RandomSource.seeded(1));
        ZooBatches batches = ZooBatches.conditional(data, ctx, 8, c);
        Tensor x = batches.batch(1, 0);
        Tensor context = batches.context(1, 0);
        assertEquals(Shape.of(8, 1), context.shape());
        assertEquals(Shape.of(8), model.flow().logProb(x, context).shape());
        assertTrue(assertThrows(
                        RuntimeException.class,
                        () -> Zoo.builtIn().dataset(new DataRequest("csv:t.csv;context=nope", dir, 1, 0)))
                .getMessage()
                .contains("no column 'nope'"));
    }
}
