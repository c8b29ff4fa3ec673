package org.flows4j.cli.plot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.optim.Adam;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.Conditioning;
import org.flows4j.zoo.models.MafFactory;
import org.flows4j.zoo.models.ModelRequest;
import org.flows4j.zoo.models.ZooModel;
import org.junit.jupiter.api.Test;

/** The pictures of a conditional 2-D model: given one context, and the marginal over a split's. */
class PlotContextTest {

    /**
     * A float64 {@code maf:2d-cond} on one context column, moved by a few Adam steps towards
     * {@code (4c - 2, 0)} so that its densities differ between contexts (a fresh one need not).
     */
    @SuppressWarnings("try") // the scopes are opened for their close()
    private static ZooModel model(Backend backend) {
        ZooModel model = new MafFactory()
                .build(new ModelRequest(
                        "2d-cond",
                        Shape.of(2),
                        Dataset.Kind.CONTINUOUS,
                        BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(5)),
                        Map.of("width", "16"),
                        Conditioning.columns(List.of("c"))));
        Adam adam = Adam.builder().learningRate(1e-2).create(model.flow().parameters());
        Tensor x = Tensor.of(backend, DType.FLOAT64, new double[] {-2, 0, 2, 0}, Shape.of(2, 2))
                .unscoped();
        Tensor c = Tensor.of(backend, DType.FLOAT64, new double[] {0, 1}, Shape.of(2, 1))
                .unscoped();
        for (int i = 0; i < 30; i++) {
            try (MemoryScope scope = MemoryScope.open()) {
                adam.minimize(model.flow().logProb(x, c).mean().neg());
            }
        }
        return model;
    }

    @Test
    void the_marginal_density_is_the_mixture_of_the_split_s_conditionals() {
        try (Backend backend = Backends.create("cpu")) {
            ZooModel model = model(backend);
            DataSplit split =
                    new DataSplit(Shape.of(2), new float[] {-2, 0, 2, 0}, null).withContext(new float[] {0, 1}, 1);
            Bounds b = new Bounds(-3, 3, -3, 3);
            double[] at0 = FlowPlots.logDensity(model, b, 5, 4, PlotContext.of(new double[] {0}, "c = 0"));
            double[] at1 = FlowPlots.logDensity(model, b, 5, 4, PlotContext.of(new double[] {1}, "c = 1"));
            double[] mixed = FlowPlots.logDensity(model, b, 5, 4, PlotContext.marginal(model, split));
            assertEquals(20, mixed.length);
            double largest = 0;
            for (int i = 0; i < mixed.length; i++) {
                largest = Math.max(largest, Math.abs(at0[i] - at1[i]));
                double expected = Math.log((Math.exp(at0[i]) + Math.exp(at1[i])) / 2);
                // float64: log-sum-exp against the direct sum differ by a few ulps of values O(10)
                assertEquals(expected, mixed[i], 1e-12 * Math.max(1, Math.abs(expected)), "cell " + i);
            }
            assertTrue(largest > 0.1, "the contexts give different densities: " + largest);
            assertEquals(
                    "marginal over test contexts",
                    PlotContext.marginal(model, split).description());
            assertTrue(
                    PlotContext.marginal(
                                    new MafFactory()
                                            .build(new ModelRequest(
                                                    "2d",
                                                    Shape.of(2),
                                                    Dataset.Kind.CONTINUOUS,
                                                    BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(1)),
                                                    Map.of())),
                                    split)
                            .isNone(),
                    "an unconditional model has no context to draw");
        }
    }

    @Test
    @SuppressWarnings("try") // the scopes are opened for their close()
    void samples_given_a_context_are_the_flow_s_samples_given_it() {
        try (Backend backend = Backends.create("cpu")) {
            ZooModel model = model(backend);
            float[] drawn = FlowPlots.sample(model, 6, RandomSource.seeded(9), PlotContext.of(new double[] {1}, "c"));
            double[] direct;
            try (MemoryScope scope = MemoryScope.open();
                    Autodiff.NoGrad off = Autodiff.noGrad()) {
                model.flow().setTraining(false);
                direct = model.flow()
                        .sample(
                                6,
                                Tensor.of(backend, DType.FLOAT64, new double[] {1}, Shape.of(1)),
                                RandomSource.seeded(9))
                        .toDoubleArray();
            }
            float[] expected = new float[direct.length];
            for (int i = 0; i < direct.length; i++) {
                expected[i] = (float) direct[i];
            }
            assertArrayEquals(expected, drawn);
        }
    }
}
