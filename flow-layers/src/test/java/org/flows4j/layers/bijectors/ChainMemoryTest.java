package org.flows4j.layers.bijectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.nn.Activation;
import org.flows4j.layers.nn.Mlp;
import org.flows4j.layers.optim.CountingBackend;
import org.junit.jupiter.api.Test;

/**
 * Without gradients (evaluation, sampling, data-dependent initialization) a chain holds one
 * part's intermediates at a time, so the memory of a pass does not grow with the depth of the
 * flow beyond each part's output; with gradients the tape keeps them all, as it must. Glow with
 * 96 hidden channels and K=16 ran out of a 6 GB heap in its initialization pass before this.
 */
@SuppressWarnings("try") // scopes opened only for their close()
class ChainMemoryTest {

    private static final int D = 6;
    private static final Mlp.Spec NET = Mlp.hidden(16, 16).activation(Activation.RELU);

    private static Chain chain(Backend backend, int couplings) {
        BuildContext ctx = BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(couplings));
        List<Bijector> parts = new ArrayList<>();
        for (int i = 0; i < couplings; i++) {
            parts.add(new ActNorm(ctx, D, 2));
            parts.add(Coupling.affine(ctx.split(), Masks.halves(D, i % 2 == 0), NET, CouplingTransform.Scale.TANH));
        }
        return Chain.of(parts.toArray(Bijector[]::new));
    }

    private static Tensor batch(Backend backend, long seed) {
        return RandomSource.seeded(seed).normal(backend, DType.FLOAT64, Shape.of(32, D), 0.5, 2.0);
    }

    /** Storages live at the peak of {@code pass} beyond those live before it, in a scope of its own. */
    private static int peakOf(CountingBackend counting, Runnable pass) {
        try (MemoryScope s = MemoryScope.open()) {
            int before = counting.live();
            counting.resetPeak();
            pass.run();
            return counting.peak() - before;
        }
    }

    @Test
    void without_gradients_a_deeper_chain_adds_only_its_outputs_and_gives_the_same_values() {
        try (Backend cpu = Backends.create("cpu");
                CountingBackend counting = new CountingBackend(cpu, CountingBackend.AdamMode.NEW_STORAGES)) {
            int[] noGrad = new int[2];
            int[] taped = new int[2];
            int[] depths = {6, 12};
            for (int k = 0; k < 2; k++) {
                Chain c = chain(counting, depths[k]);
                Tensor x = batch(counting, 3).unscoped();
                c.initialize(x);
                noGrad[k] = peakOf(counting, () -> Autodiff.noGrad(() -> c.forward(x)));
                taped[k] = peakOf(counting, () -> c.forward(x).logDet().sum());
                try (MemoryScope s = MemoryScope.open()) {
                    Transformed free = Autodiff.noGrad(() -> c.forward(x));
                    Transformed kept = c.forward(x);
                    assertArrayEquals(kept.value().toDoubleArray(), free.value().toDoubleArray());
                    assertArrayEquals(
                            kept.logDet().toDoubleArray(), free.logDet().toDoubleArray());
                    Transformed back = Autodiff.noGrad(() -> c.inverse(free.value()));
                    Transformed backTaped = c.inverse(free.value());
                    assertArrayEquals(
                            backTaped.value().toDoubleArray(), back.value().toDoubleArray());
                    assertArrayEquals(
                            backTaped.logDet().toDoubleArray(), back.logDet().toDoubleArray());
                    assertArrayEquals(x.toDoubleArray(), back.value().toDoubleArray(), 1e-9);
                }
                x.free();
            }
            int parts = 2 * (depths[1] - depths[0]);
            // each extra part keeps its output and the running log-determinant, and nothing else
            assertTrue(noGrad[1] - noGrad[0] <= 3 * parts, "without gradients: " + noGrad[0] + " -> " + noGrad[1]);
            assertTrue(
                    taped[1] - taped[0] >= 6 * parts,
                    "with gradients every intermediate stays: " + taped[0] + " -> " + taped[1]);
            assertEquals(0, counting.badFrees(), "nothing freed twice");
        }
    }

    @Test
    void initialization_holds_one_parts_intermediates_at_a_time_and_is_the_same_as_before() {
        try (Backend cpu = Backends.create("cpu");
                CountingBackend counting = new CountingBackend(cpu, CountingBackend.AdamMode.NEW_STORAGES)) {
            int[] peaks = new int[2];
            int[] depths = {6, 12};
            for (int k = 0; k < 2; k++) {
                Chain c = chain(counting, depths[k]);
                Tensor x = batch(counting, 5).unscoped();
                peaks[k] = peakOf(counting, () -> c.initialize(x));
                // every ActNorm met its own input: the chain's output is standardized per component
                try (MemoryScope s = MemoryScope.open()) {
                    Tensor h = x;
                    for (Bijector b : c.parts()) {
                        Tensor in = h;
                        h = Autodiff.noGrad(() -> b.forward(in)).value();
                        if (b instanceof ActNorm) {
                            for (double v : h.mean(false, 0).toDoubleArray()) {
                                assertEquals(0, v, 1e-9, "an ActNorm initialized on what reaches it");
                            }
                        }
                    }
                }
                x.free();
            }
            int parts = 2 * (depths[1] - depths[0]);
            assertTrue(peaks[1] - peaks[0] <= 3 * parts, "initialization: " + peaks[0] + " -> " + peaks[1]);
            assertEquals(0, counting.badFrees());
        }
    }
}
