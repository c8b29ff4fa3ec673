package org.flows4j.zoo.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Flow;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.bijectors.Dequantization;
import org.flows4j.layers.bijectors.RealNvp;
import org.flows4j.layers.optim.Adam;
import org.flows4j.layers.optim.LearningRateFactors;
import org.flows4j.zoo.data.Dataset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every preset builds; small presets round-trip a batch and have the parameters their
 * architecture implies (counted here by hand, independently of the factories); paper presets
 * report the published sizes.
 */
@SuppressWarnings("try") // scopes opened only for their close()
class ModelFactoryTest {

    private static Backend backend;
    private static final Shape MNIST = Shape.of(1, 28, 28);

    @BeforeAll
    static void open() {
        backend = Backends.create("cpu");
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static ZooModel build(
            ModelFactory f, String preset, Shape shape, Dataset.Kind kind, Map<String, String> o) {
        return build(f, preset, shape, kind, o, DType.FLOAT64, 1);
    }

    private static ZooModel build(
            ModelFactory f,
            String preset,
            Shape shape,
            Dataset.Kind kind,
            Map<String, String> o,
            DType dtype,
            long seed) {
        BuildContext ctx = BuildContext.of(backend, dtype, RandomSource.seeded(seed));
        return f.build(new ModelRequest(preset, shape, kind, ctx, o));
    }

    static Stream<Arguments> smallModels() {
        return Stream.of(
                Arguments.of(new NiceFactory(), "small", Shape.of(1, 4, 4), Dataset.Kind.IMAGE_8BIT, Map.of()),
                Arguments.of(
                        new NiceFactory(), "small", Shape.of(6), Dataset.Kind.CONTINUOUS, Map.of("prior", "gaussian")),
                Arguments.of(new RealNvpFactory(), "2d", Shape.of(2), Dataset.Kind.CONTINUOUS, Map.of()),
                Arguments.of(
                        new RealNvpFactory(),
                        "small",
                        Shape.of(1, 8, 8),
                        Dataset.Kind.IMAGE_8BIT,
                        Map.of("width", "8", "blocks", "1")),
                Arguments.of(
                        new GlowFactory(),
                        "small",
                        Shape.of(1, 8, 8),
                        Dataset.Kind.IMAGE_8BIT,
                        Map.of("steps", "2", "hidden", "8")),
                Arguments.of(
                        new GlowFactory(),
                        "small",
                        Shape.of(1, 8, 8),
                        Dataset.Kind.IMAGE_8BIT,
                        Map.of("steps", "2", "hidden", "8", "coupling", "additive", "permutation", "plain")));
    }

    @ParameterizedTest(name = "{0} {1} on {2} {4}")
    @MethodSource("smallModels")
    void smallPresetsRoundTripABatch(
            ModelFactory f, String preset, Shape shape, Dataset.Kind kind, Map<String, String> o) {
        try (MemoryScope s = MemoryScope.open();
                Autodiff.NoGrad off = Autodiff.noGrad()) {
            ZooModel m = build(f, preset, shape, kind, o);
            int[] dims = new int[shape.rank() + 1];
            dims[0] = 5;
            System.arraycopy(shape.dims(), 0, dims, 1, shape.rank());
            Tensor x = kind == Dataset.Kind.IMAGE_8BIT
                    ? Dequantization.apply(
                            Tensor.of(
                                    backend,
                                    DType.FLOAT64,
                                    pixels(Shape.of(dims).size()),
                                    Shape.of(dims)),
                            RandomSource.seeded(2))
                    : RandomSource.seeded(2).normal(backend, DType.FLOAT64, Shape.of(dims), 0, 1);
            m.flow().initialize(x);
            Tensor z = m.flow().encode(x);
            assertEquals(Shape.of(5, shape.size()), z.reshape(5, -1).shape());
            assertArrayEquals(x.toDoubleArray(), m.flow().decode(z).toDoubleArray(), 1e-6, "decode(encode(x)) == x");
            double[] lp = m.flow().logProb(x).toDoubleArray();
            for (double v : lp) {
                assertTrue(Double.isFinite(v), "log p is finite: " + v);
            }
        }
    }

    private static double[] pixels(int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (i * 37) % 256;
        }
        return v;
    }

    @ParameterizedTest(name = "{0} {1} on {2} {4}")
    @MethodSource("smallModels")
    void theSameSeedBuildsTheSameModel(
            ModelFactory f, String preset, Shape shape, Dataset.Kind kind, Map<String, String> o) {
        ZooModel a = build(f, preset, shape, kind, o, DType.FLOAT64, 5);
        ZooModel b = build(f, preset, shape, kind, o, DType.FLOAT64, 5);
        assertEquals(
                List.copyOf(a.flow().variables().keySet()),
                List.copyOf(b.flow().variables().keySet()));
        a.flow()
                .variables()
                .forEach((name, p) -> assertArrayEquals(
                        p.value().toDoubleArray(),
                        b.flow().variables().get(name).value().toDoubleArray(),
                        name));
        assertEquals(backend, a.backend());
        assertEquals(DType.FLOAT64, a.dtype());
    }

    /** Conv2d: {@code out in k k + out}. */
    private static long conv(int in, int out, int k) {
        return (long) out * in * k * k + out;
    }

    /** Mlp: the linear maps {@code in -> n_1 -> ... -> n_H -> out}, each {@code a b + b}. */
    private static long mlp(int in, int width, int depth, int out) {
        long n = 0;
        int from = in;
        for (int i = 0; i < depth; i++) {
            n += (long) from * width + width;
            from = width;
        }
        return n + (long) from * out + out;
    }

    /** ResNet: input conv, {@code blocks} pairs of 3x3 convs of {@code width}, output conv. */
    private static long resNet(int in, int width, int blocks, int out) {
        return conv(in, width, 3) + 2L * blocks * conv(width, width, 3) + conv(width, out, 3);
    }

    /** Glow: per step actnorm, the LU 1x1 conv and GlowNet; per level a split prior or the top prior. */
    private static long glow(Shape image, int levels, int steps, int hidden) {
        long n = 0;
        int ch = image.dim(0);
        int h = image.dim(1);
        int w = image.dim(2);
        for (int l = 0; l < levels; l++) {
            ch *= 4;
            h /= 2;
            w /= 2;
            int half = ch / 2;
            long glowNet = conv(ch - half, hidden, 3) + conv(hidden, hidden, 1) + conv(hidden, 2 * half, 3) + 2L * half;
            long perStep = 2L * ch + (2L * ch * ch + ch) + glowNet; // actnorm, lower and upper (full) and log|s|
            n += steps * perStep;
            if (l < levels - 1) {
                n += conv(ch - half, 2 * half, 3) + 2L * half; // Conv2dZeros of the split prior
                ch = ch - half;
            } else {
                n += 2L * ch * h * w; // the learned top prior
            }
        }
        return n;
    }

    @Test
    void smallPresetsHaveTheParametersTheirArchitectureImplies() {
        assertEquals(
                glow(MNIST, 2, 8, 64),
                build(new GlowFactory(), "small", MNIST, Dataset.Kind.IMAGE_8BIT, Map.of())
                        .flow()
                        .parameterCount());
        // glow:fmnist: glow:small at twice the depth, 305,440 parameters
        assertEquals(
                glow(MNIST, 2, 16, 64),
                build(new GlowFactory(), "fmnist", MNIST, Dataset.Kind.IMAGE_8BIT, Map.of())
                        .flow()
                        .parameterCount());
        assertEquals(305_440L, glow(MNIST, 2, 16, 64));
        // realnvp:small on 1x28x28: scale 1 at 1 channel (3 checkerboard, 3 channel-wise at 4), scale 2 at 2 channels
        long realnvp = 3 * resNet(1, 32, 2, 2) + 3 * resNet(2, 32, 2, 4) + 4 * resNet(2, 32, 2, 4);
        assertEquals(
                realnvp,
                build(new RealNvpFactory(), "small", MNIST, Dataset.Kind.IMAGE_8BIT, Map.of())
                        .flow()
                        .parameterCount());
        // nice:small on 784: 4 couplings 392 -> 2 x 256 -> 392, 784 scales
        assertEquals(
                4 * mlp(392, 256, 2, 392) + 784,
                build(new NiceFactory(), "small", MNIST, Dataset.Kind.IMAGE_8BIT, Map.of())
                        .flow()
                        .parameterCount());
        // realnvp:2d on 2-D data: 8 couplings 1 -> 2 x 64 -> 2
        assertEquals(
                8 * mlp(1, 64, 2, 2),
                build(new RealNvpFactory(), "2d", Shape.of(2), Dataset.Kind.CONTINUOUS, Map.of())
                        .flow()
                        .parameterCount());
    }

    @Test
    void realNvpTwoDIsTheLayersPresetForTheSameSeed() {
        ZooModel zoo =
                build(new RealNvpFactory(), "2d", Shape.of(2), Dataset.Kind.CONTINUOUS, Map.of(), DType.FLOAT64, 11);
        Flow preset = RealNvp.features(2).build(BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(11)));
        for (Parameter p : preset.parameters().values()) { // off the identity, so the weights matter
            p.set(p.value().add(0.1));
        }
        for (Parameter p : zoo.flow().parameters().values()) {
            p.set(p.value().add(0.1));
        }
        try (MemoryScope s = MemoryScope.open()) {
            Tensor x = RandomSource.seeded(12).normal(backend, DType.FLOAT64, Shape.of(7, 2), 0, 1);
            assertArrayEquals(
                    preset.logProb(x).toDoubleArray(), zoo.flow().logProb(x).toDoubleArray(), 0);
        }
    }

    @Test
    void glowOptionsParseIntoTheEnums() {
        assertEquals(GlowFactory.Permutation.LU_1X1, GlowFactory.Permutation.parse("lu"));
        assertEquals(GlowFactory.Permutation.PLAIN_1X1, GlowFactory.Permutation.parse(" Plain "));
        assertEquals(GlowFactory.Permutation.SHUFFLE, GlowFactory.Permutation.parse("shuffle"));
        assertEquals(GlowFactory.Permutation.REVERSE, GlowFactory.Permutation.parse("REVERSE"));
        assertEquals(GlowFactory.CouplingKind.ADDITIVE, GlowFactory.CouplingKind.parse("additive"));
        assertEquals(NiceFactory.Prior.GAUSSIAN, NiceFactory.Prior.parse("gaussian"));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> GlowFactory.Permutation.parse("lu_1x1"));
        assertEquals("glow option permutation=lu_1x1 must be one of lu, plain, shuffle, reverse", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NiceFactory.Prior.parse("laplace"));
        assertEquals("nice option prior=laplace must be one of logistic, gaussian", e.getMessage());
        // the options of a request: the same strings the command takes with -O
        e = assertThrows(
                IllegalArgumentException.class,
                () -> build(
                        new GlowFactory(), "small", MNIST, Dataset.Kind.IMAGE_8BIT, Map.of("permutation", "random")));
        assertEquals("glow:small option permutation=random must be one of lu, plain, shuffle, reverse", e.getMessage());
        for (GlowFactory.Permutation p : GlowFactory.Permutation.values()) {
            ZooModel m = build(
                    new GlowFactory(),
                    "small",
                    Shape.of(1, 4, 4),
                    Dataset.Kind.IMAGE_8BIT,
                    Map.of("levels", "1", "steps", "1", "hidden", "4", "permutation", p.option()));
            long mixing = switch (p) {
                case LU_1X1 -> 2L * 4 * 4 + 4;
                case PLAIN_1X1 -> 4L * 4;
                case SHUFFLE, REVERSE -> 0;
            };
            assertEquals(
                    glow(Shape.of(1, 4, 4), 1, 1, 4) - (2L * 4 * 4 + 4) + mixing,
                    m.flow().parameterCount(),
                    p.toString());
        }
    }

    /**
     * NICE's MNIST model: four couplings whose m maps 392 to 392 through 5 hidden layers of
     * 1000 (392*1000+1000 + 4*(1000*1000+1000) + 1000*392+392 = 4,789,392 each) and 784
     * scales: 19,158,352, the paper's "about 19.16 million". Glow's CIFAR-10 model (L=3,
     * K=32, 512 channels, affine couplings, LU 1x1 convolutions) counts 44,055,408, the 44.0 M
     * that Flow++ (Ho et al., 2019, table 1) lists for Glow.
     */
    @Test
    void paperPresetsReportThePublishedSizes() {
        // built in float32 on the cpu backend: the three together take a few seconds and ~0.3 GB
        try (MemoryScope s = MemoryScope.open()) {
            assertEquals(
                    19_158_352L,
                    build(new NiceFactory(), "paper", MNIST, Dataset.Kind.IMAGE_8BIT, Map.of(), DType.FLOAT32, 1)
                            .flow()
                            .parameterCount());
        }
        try (MemoryScope s = MemoryScope.open()) {
            long glow = build(
                            new GlowFactory(),
                            "paper",
                            Shape.of(3, 32, 32),
                            Dataset.Kind.IMAGE_8BIT,
                            Map.of(),
                            DType.FLOAT32,
                            1)
                    .flow()
                    .parameterCount();
            assertEquals(44_055_408L, glow);
            assertEquals(glow(Shape.of(3, 32, 32), 3, 32, 512), glow);
        }
        try (MemoryScope s = MemoryScope.open()) {
            long realnvp = build(
                            new RealNvpFactory(),
                            "paper",
                            Shape.of(3, 32, 32),
                            Dataset.Kind.IMAGE_8BIT,
                            Map.of(),
                            DType.FLOAT32,
                            1)
                    .flow()
                    .parameterCount();
            assertEquals(3 * resNet(3, 64, 8, 6) + 3 * resNet(6, 64, 8, 12) + 4 * resNet(6, 64, 8, 12), realnvp);
        }
    }

    @Test
    void niceStartsItsScalingFromDataAndItsHiddenLayersHeUnlessToldOtherwise() {
        try (MemoryScope s = MemoryScope.open()) {
            Shape vec = Shape.of(6);
            ZooModel m = build(new NiceFactory(), "small", vec, Dataset.Kind.CONTINUOUS, Map.of());
            assertFalse(m.flow().isInitialized(), "the data-initialized scaling waits for a batch");
            Tensor x = RandomSource.seeded(3).normal(backend, DType.FLOAT64, Shape.of(200, 6), 0, 0.01);
            m.flow().initialize(x);
            Map<String, Parameter> p = m.flow().parameters();
            String scale = p.keySet().stream()
                    .filter(k -> k.endsWith("logScale"))
                    .findFirst()
                    .orElseThrow();
            for (double v : p.get(scale).value().toDoubleArray()) {
                assertEquals(-Math.log(0.01), v, 0.3, "one over the data's spread of 0.01");
            }
            String hiddenBias = p.keySet().stream()
                    .filter(k -> k.endsWith("layers.0.bias"))
                    .findFirst()
                    .orElseThrow();
            assertArrayEquals(new double[256], p.get(hiddenBias).value().toDoubleArray(), "He: zero biases");

            ZooModel identity = build(
                    new NiceFactory(),
                    "small",
                    vec,
                    Dataset.Kind.CONTINUOUS,
                    Map.of("scaling-init", "identity", "weight-init", "pytorch"));
            assertTrue(identity.flow().isInitialized(), "the identity start needs no batch");
            assertTrue(
                    identity.flow()
                                    .parameters()
                                    .get(hiddenBias)
                                    .value()
                                    .abs()
                                    .max()
                                    .item()
                            > 0,
                    "PyTorch's default draws the biases");
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> build(
                            new NiceFactory(), "small", vec, Dataset.Kind.CONTINUOUS, Map.of("weight-init", "xavier")));
            assertTrue(e.getMessage().contains("must be one of pytorch, he"), e.getMessage());
        }
    }

    @Test
    void nicePapersRateFactorNamesTheScalingLayerAndNothingElseWhateverTheCouplings() {
        LearningRateFactors f = new NiceFactory().recipe("paper").learningRateFactors();
        for (String couplings : new String[] {"2", "4", "5"}) {
            try (MemoryScope s = MemoryScope.open()) {
                ZooModel m = build(
                        new NiceFactory(),
                        "paper",
                        Shape.of(1, 4, 4),
                        Dataset.Kind.IMAGE_8BIT,
                        Map.of("couplings", couplings, "width", "8", "depth", "1"));
                Map<String, Parameter> trainable = new LinkedHashMap<>();
                m.flow().parameters().forEach((name, p) -> {
                    if (p.trainable()) {
                        trainable.put(name, p);
                    }
                });
                List<String> faster = trainable.keySet().stream()
                        .filter(n -> f.factorFor(n) != 1)
                        .toList();
                assertEquals(1, faster.size(), couplings + " couplings: " + faster);
                Parameter scaling = trainable.get(faster.get(0));
                assertEquals(Shape.of(16), scaling.value().shape(), "one log-scale per pixel: " + faster);
                assertEquals(NiceFactory.SCALING_RATE_FACTOR, f.factorFor(faster.get(0)));
                // the optimizer accepts it: the pattern matches
                Adam.builder().learningRateFactors(f).create(trainable);
            }
        }
    }

    @Test
    void presetsCarryTheRecipeTheyWereMeasuredWith() {
        Recipe paper = new NiceFactory().recipe("paper");
        assertEquals(
                new Recipe(
                        256,
                        3e-3,
                        Recipe.Schedule.COSINE,
                        50,
                        100,
                        0,
                        LearningRateFactors.of(Map.of("*.logScale", 100.0))),
                paper);
        assertEquals(
                "--batch 256 --lr 0.003 --lr-schedule cosine --warmup 50 --clip 100 --ema 0 --lr-factor '*.logScale=100'",
                paper.flags());
        assertEquals(
                "--batch 64 --lr 0.001 --lr-schedule warmup --warmup 200 --clip 100 --ema 0",
                Recipe.DEFAULT.flags(),
                "no factor, no flag");
        assertEquals(Recipe.DEFAULT, new NiceFactory().recipe("small"));
        assertEquals(new Recipe(64, 1e-3, Recipe.Schedule.COSINE, 200, 100, 0), new GlowFactory().recipe("fmnist"));
        assertEquals(Recipe.DEFAULT, new GlowFactory().recipe("small"), "glow:small keeps the benchmarks' default");
        assertEquals(new Recipe(64, 3e-4, Recipe.Schedule.COSINE, 200, 100, 0), new MafFactory().recipe("images"));
        assertEquals(Recipe.DEFAULT, new MafFactory().recipe("2d"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new GlowFactory().recipe("huge"))
                .getMessage()
                .contains("glow has: small, fmnist, paper, small-cond"));
        assertEquals(Recipe.DEFAULT, new RealNvpFactory().recipe("2d"), "families without recipes: the default");
        assertThrows(IllegalArgumentException.class, () -> new NiceFactory().recipe("huge"));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> new Recipe(0, 1e-3, Recipe.Schedule.CONSTANT, 0, 0, 0));
        assertTrue(e.getMessage().contains("batch size"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class, () -> new Recipe(8, Double.NaN, Recipe.Schedule.CONSTANT, 0, 0, 0));
        assertTrue(e.getMessage().contains("learning rate"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Recipe(8, 1e-3, Recipe.Schedule.WARMUP, -1, 0, 0));
        assertTrue(e.getMessage().contains("warmup"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Recipe(8, 1e-3, Recipe.Schedule.WARMUP, 1, -1, 0));
        assertTrue(e.getMessage().contains("clip"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Recipe(8, 1e-3, Recipe.Schedule.WARMUP, 1, 0, 1));
        assertTrue(e.getMessage().contains("EMA"), e.getMessage());
    }

    @Test
    void wrongDataAndOptionsSayWhatWouldWork() {
        IllegalArgumentException glowOnVectors = assertThrows(
                IllegalArgumentException.class,
                () -> build(new GlowFactory(), "small", Shape.of(2), Dataset.Kind.CONTINUOUS, Map.of()));
        assertTrue(glowOnVectors.getMessage().contains("realnvp:2d"), glowOnVectors.getMessage());
        IllegalArgumentException odd = assertThrows(
                IllegalArgumentException.class,
                () -> build(new GlowFactory(), "paper", Shape.of(1, 28, 28), Dataset.Kind.IMAGE_8BIT, Map.of()));
        assertTrue(odd.getMessage().contains("3 levels"), odd.getMessage());
        IllegalArgumentException option = assertThrows(
                IllegalArgumentException.class,
                () -> build(new NiceFactory(), "small", Shape.of(4), Dataset.Kind.CONTINUOUS, Map.of("widht", "3")));
        assertEquals(
                "nice has no option widht; its options: couplings, depth, prior, scaling-init, weight-init, width",
                option.getMessage());
        IllegalArgumentException value = assertThrows(
                IllegalArgumentException.class,
                () -> build(new GlowFactory(), "small", MNIST, Dataset.Kind.IMAGE_8BIT, Map.of("coupling", "spline")));
        assertTrue(value.getMessage().contains("affine, additive"), value.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new NiceFactory().describe("huge"));
    }
}
