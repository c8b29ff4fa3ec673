package org.flows4j.conformance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Events;
import org.flows4j.layers.io.CheckpointMetadata;
import org.flows4j.layers.io.Checkpoints;
import org.flows4j.layers.optim.Adam;
import org.flows4j.testing.Tolerance;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.Conditioning;
import org.flows4j.zoo.models.GlowFactory;
import org.flows4j.zoo.models.MafFactory;
import org.flows4j.zoo.models.ModelFactory;
import org.flows4j.zoo.models.ModelRequest;
import org.flows4j.zoo.models.NiceFactory;
import org.flows4j.zoo.models.NsfFactory;
import org.flows4j.zoo.models.RealNvpFactory;
import org.flows4j.zoo.models.ZooModel;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;

/**
 * Model-level conformance: the zoo's models built with one seed on the target and on the
 * reference, parameters perturbed away from their zero initializations identically (host
 * randomness), must agree. Checked per model and dtype: per-sample log-likelihoods (and so
 * bits per dimension), {@code inverse(forward(x)) == x} on the target, the same samples from
 * the same seed, the same losses over five Adam steps, and checkpoints that load across the
 * two backends with the same log-likelihoods.
 *
 * <p>Images are 8x8 so that the presets' architectures run in seconds; the architectures are
 * the presets' own. Tolerances: a log-likelihood sums thousands of terms through dozens of
 * layers, so it is compared relative to the sum of the magnitudes of its parts, approximated
 * by {@code D (1 + |log p| / D)}: float64 rtol 1e-9 (tens of layers of 1e-16 rounding each,
 * amplified by exp in affine couplings); float32 rtol 2e-4 (float32's 6e-8 through the same
 * depth, as the kernel tolerance of 1e-4 allows per kernel). Losses after Adam steps drift
 * more in float32, where Adam's normalization amplifies rounding in tiny gradients: rtol 1e-3.
 */
final class ModelSuite {

    private record ModelCase(
            String name,
            ModelFactory factory,
            String preset,
            Shape shape,
            Dataset.Kind kind,
            Map<String, String> options,
            Conditioning conditioning) {

        ModelCase(
                String name,
                ModelFactory factory,
                String preset,
                Shape shape,
                Dataset.Kind kind,
                Map<String, String> options) {
            this(name, factory, preset, shape, kind, options, Conditioning.none());
        }
    }

    private static final List<ModelCase> MODELS = List.of(
            new ModelCase(
                    "nice:small", new NiceFactory(), "small", Shape.of(1, 8, 8), Dataset.Kind.IMAGE_8BIT, Map.of()),
            new ModelCase("realnvp:2d", new RealNvpFactory(), "2d", Shape.of(2), Dataset.Kind.CONTINUOUS, Map.of()),
            new ModelCase(
                    "realnvp:small",
                    new RealNvpFactory(),
                    "small",
                    Shape.of(1, 8, 8),
                    Dataset.Kind.IMAGE_8BIT,
                    Map.of()),
            new ModelCase(
                    "glow:small", new GlowFactory(), "small", Shape.of(1, 8, 8), Dataset.Kind.IMAGE_8BIT, Map.of()),
            new ModelCase("maf:2d", new MafFactory(), "2d", Shape.of(2), Dataset.Kind.CONTINUOUS, Map.of()),
            new ModelCase("nsf:2d", new NsfFactory(), "2d", Shape.of(2), Dataset.Kind.CONTINUOUS, Map.of()),
            new ModelCase(
                    "nsf:2d-ar (width 24)",
                    new NsfFactory(),
                    "2d-ar",
                    Shape.of(2),
                    Dataset.Kind.CONTINUOUS,
                    Map.of("width", "24")),
            new ModelCase(
                    "maf:2d-cond on 3 labels",
                    new MafFactory(),
                    "2d-cond",
                    Shape.of(2),
                    Dataset.Kind.CONTINUOUS,
                    Map.of(),
                    Conditioning.labels(List.of("a", "b", "c"))),
            new ModelCase(
                    "glow:small-cond on 3 labels",
                    new GlowFactory(),
                    "small-cond",
                    Shape.of(1, 8, 8),
                    Dataset.Kind.IMAGE_8BIT,
                    Map.of("steps", "2"),
                    Conditioning.labels(List.of("a", "b", "c"))));

    /** The context of a batch of {@code n}: one-hot labels {@code i mod c} (null for an unconditional model). */
    private static Tensor context(ModelCase m, Backend backend, DType dtype, int n) {
        if (!m.conditioning().isConditional()) {
            return null;
        }
        int c = m.conditioning().size();
        double[] v = new double[n * c];
        for (int i = 0; i < n; i++) {
            v[i * c + i % c] = 1;
        }
        return Tensor.of(backend, dtype, v, Shape.of(n, c));
    }

    private final Session session;
    private final long seed;

    private ModelSuite(Session session, long seed) {
        this.session = session;
        this.seed = seed;
    }

    /** The container "models [dtype]" for each dtype. */
    static DynamicContainer container(Session session, long seed, List<DType> dtypes) {
        ModelSuite s = new ModelSuite(session, seed);
        List<DynamicNode> nodes = new ArrayList<>();
        for (DType dtype : dtypes) {
            List<DynamicNode> perModel = new ArrayList<>();
            for (ModelCase m : MODELS) {
                perModel.add(DynamicContainer.dynamicContainer(
                        m.name(),
                        List.of(
                                DynamicTest.dynamicTest(
                                        "same log-likelihoods and bits/dim as the reference",
                                        () -> s.logLikelihoods(m, dtype)),
                                DynamicTest.dynamicTest("inverse(forward(x)) == x", () -> s.roundTrip(m, dtype)),
                                DynamicTest.dynamicTest("same samples from the same seed", () -> s.samples(m, dtype)),
                                DynamicTest.dynamicTest("same losses over five Adam steps", () -> s.training(m, dtype)),
                                DynamicTest.dynamicTest(
                                        "checkpoints load across backends", () -> s.checkpoints(m, dtype)))));
            }
            nodes.add(DynamicContainer.dynamicContainer("models [" + dtype.label() + "]", perModel));
        }
        return DynamicContainer.dynamicContainer("models", nodes);
    }

    private static double rtol(DType dtype) {
        return dtype == DType.FLOAT64 ? 1e-9 : 2e-4;
    }

    /** The model on {@code backend}, initialized on the same batch and perturbed the same way on every backend. */
    private ZooModel build(ModelCase m, Backend backend, DType dtype) {
        ZooModel model = m.factory()
                .build(new ModelRequest(
                        m.preset(),
                        m.shape(),
                        m.kind(),
                        BuildContext.of(backend, dtype, RandomSource.seeded(seed)),
                        m.options(),
                        m.conditioning()));
        model.flow().initialize(data(m, backend, dtype, 16, seed + 1));
        RandomSource r = RandomSource.seeded(seed + 2);
        for (Parameter p : model.flow().parameters().values()) {
            p.set(p.value().add(r.normal(backend, dtype, p.shape(), 0, 0.02)));
        }
        return model;
    }

    /** A batch: dequantized pixels or continuous points, generated on the host. */
    private static Tensor data(ModelCase m, Backend backend, DType dtype, int n, long s) {
        Shape shape = Events.batchShape(n, m.shape());
        RandomSource r = RandomSource.seeded(s);
        return m.kind() == Dataset.Kind.IMAGE_8BIT
                ? r.uniform(backend, dtype, shape, 0, 256)
                : r.normal(backend, dtype, shape, 0, 1);
    }

    private Tolerance tolerance(DType dtype, String what) {
        return new Tolerance(rtol(dtype), 0, what);
    }

    /** Scales for a log-likelihood: D (1 + |log p| / D) = D + |log p|. */
    private static double[] scales(double[] logp, int dims) {
        double[] s = new double[logp.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = dims + Math.abs(logp[i]);
        }
        return s;
    }

    @SuppressWarnings("try") // scopes opened for their close()
    private void logLikelihoods(ModelCase m, DType dtype) {
        try (MemoryScope scope = MemoryScope.open();
                Autodiff.NoGrad off = Autodiff.noGrad()) {
            ZooModel t = build(m, session.target(), dtype);
            ZooModel r = build(m, session.reference(), dtype);
            double[] expected = r.flow()
                    .logProb(
                            data(m, session.reference(), dtype, 6, seed + 3), context(m, session.reference(), dtype, 6))
                    .toDoubleArray();
            double[] actual = t.flow()
                    .logProb(data(m, session.target(), dtype, 6, seed + 3), context(m, session.target(), dtype, 6))
                    .toDoubleArray();
            int d = m.shape().size();
            tolerance(dtype, "model log-likelihood")
                    .assertAllclose("log p per sample", actual, expected, scales(expected, d));
            if (m.kind() == Dataset.Kind.IMAGE_8BIT) {
                double[] bt = new double[6];
                double[] br = new double[6];
                for (int i = 0; i < 6; i++) {
                    bt[i] = -actual[i] / (d * Math.log(2));
                    br[i] = -expected[i] / (d * Math.log(2));
                }
                tolerance(dtype, "bits per dimension").assertAllclose("bits/dim per sample", bt, br);
            }
        }
    }

    @SuppressWarnings("try") // scopes opened for their close()
    private void roundTrip(ModelCase m, DType dtype) {
        try (MemoryScope scope = MemoryScope.open();
                Autodiff.NoGrad off = Autodiff.noGrad()) {
            ZooModel t = build(m, session.target(), dtype);
            Tensor x = data(m, session.target(), dtype, 4, seed + 4);
            Tensor c = context(m, session.target(), dtype, 4);
            double[] back = t.flow()
                    .bijector()
                    .inverse(t.flow().bijector().forward(x, c).value(), c)
                    .value()
                    .toDoubleArray();
            // pixels are O(256): the round trip is relative to the data's own scale
            new Tolerance(dtype == DType.FLOAT64 ? 1e-9 : 1e-3, 0, "round trip")
                    .assertAllclose("decode(encode(x)) == x", back, x.toDoubleArray(), scalesOf(x.toDoubleArray(), 1));
        }
    }

    private static double[] scalesOf(double[] v, double floor) {
        double[] s = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            s[i] = Math.max(floor, Math.abs(v[i]));
        }
        return s;
    }

    @SuppressWarnings("try") // scopes opened for their close()
    private void samples(ModelCase m, DType dtype) {
        try (MemoryScope scope = MemoryScope.open();
                Autodiff.NoGrad off = Autodiff.noGrad()) {
            ZooModel t = build(m, session.target(), dtype);
            ZooModel r = build(m, session.reference(), dtype);
            double[] expected = r.flow()
                    .sample(4, context(m, session.reference(), dtype, 4), RandomSource.seeded(seed + 5), 0.7)
                    .toDoubleArray();
            double[] actual = t.flow()
                    .sample(4, context(m, session.target(), dtype, 4), RandomSource.seeded(seed + 5), 0.7)
                    .toDoubleArray();
            new Tolerance(dtype == DType.FLOAT64 ? 1e-9 : 1e-3, 0, "samples")
                    .assertAllclose("samples at T=0.7", actual, expected, scalesOf(expected, 1));
        }
    }

    @SuppressWarnings("try") // scopes opened for their close()
    private void training(ModelCase m, DType dtype) {
        double[] expected = losses(m, session.reference(), dtype);
        double[] actual = losses(m, session.target(), dtype);
        double[] scale = scalesOf(expected, m.shape().size());
        new Tolerance(dtype == DType.FLOAT64 ? 1e-9 : 1e-3, 0, "losses over Adam steps")
                .assertAllclose("loss at each of five Adam steps", actual, expected, scale);
    }

    @SuppressWarnings("try") // scopes opened for their close()
    private double[] losses(ModelCase m, Backend backend, DType dtype) {
        ZooModel model = build(m, backend, dtype);
        Adam adam = Adam.builder().learningRate(1e-3).create(model.flow().parameters());
        double[] out = new double[5];
        for (int step = 0; step < 5; step++) {
            try (MemoryScope scope = MemoryScope.open()) {
                Tensor loss = model.flow()
                        .logProb(data(m, backend, dtype, 8, seed + 10 + step), context(m, backend, dtype, 8))
                        .mean()
                        .neg();
                out[step] = loss.item();
                adam.minimize(loss);
            }
        }
        return out;
    }

    @SuppressWarnings("try") // scopes opened for their close()
    private void checkpoints(ModelCase m, DType dtype) throws java.io.IOException {
        Path dir = Files.createTempDirectory("flows4j-conformance");
        try (MemoryScope scope = MemoryScope.open();
                Autodiff.NoGrad off = Autodiff.noGrad()) {
            Backend[] backends = {session.target(), session.reference()};
            for (int from = 0; from < 2; from++) {
                Backend source = backends[from];
                Backend destination = backends[1 - from];
                ZooModel saved = build(m, source, dtype);
                Path file = dir.resolve("model" + from + ".safetensors");
                Checkpoints.save(file, saved.flow(), null, CheckpointMetadata.of(m.name(), dtype));
                ZooModel loaded = m.factory()
                        .build(new ModelRequest(
                                m.preset(),
                                m.shape(),
                                m.kind(),
                                BuildContext.of(destination, dtype, RandomSource.seeded(seed + 99)),
                                m.options(),
                                m.conditioning()));
                Checkpoints.load(file, loaded.flow(), null);
                double[] expected = saved.flow()
                        .logProb(data(m, source, dtype, 4, seed + 6), context(m, source, dtype, 4))
                        .toDoubleArray();
                double[] actual = loaded.flow()
                        .logProb(data(m, destination, dtype, 4, seed + 6), context(m, destination, dtype, 4))
                        .toDoubleArray();
                tolerance(dtype, "checkpoint across backends")
                        .assertAllclose(
                                "log p after loading a checkpoint saved on " + source.name() + " into "
                                        + destination.name(),
                                actual,
                                expected,
                                scales(expected, m.shape().size()));
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
        }
    }
}
