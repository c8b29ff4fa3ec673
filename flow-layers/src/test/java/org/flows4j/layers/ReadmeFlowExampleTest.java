package org.flows4j.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Flow;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.bijectors.Chain;
import org.flows4j.layers.bijectors.Coupling;
import org.flows4j.layers.bijectors.CouplingTransform;
import org.flows4j.layers.bijectors.Masks;
import org.flows4j.layers.distributions.StandardNormal;
import org.flows4j.layers.nn.Activation;
import org.flows4j.layers.nn.Mlp;
import org.flows4j.layers.optim.Adam;
import org.junit.jupiter.api.Test;

/** The flow example of README.md, verbatim between the markers, so the documentation cannot rot. */
@SuppressWarnings("try") // the example's scope is opened for its close()
class ReadmeFlowExampleTest {

    /** Two Gaussian blobs at (-2, -1) and (2, 1): the example's data. */
    static Tensor batch(Backend backend, RandomSource random) {
        double[] x = random.normal(512);
        for (int i = 0; i < 256; i++) {
            double side = i % 2 == 0 ? -1 : 1;
            x[2 * i] = 2 * side + 0.3 * x[2 * i];
            x[2 * i + 1] = side + 0.3 * x[2 * i + 1];
        }
        return Tensor.of(backend, DType.FLOAT32, x, Shape.of(256, 2));
    }

    @Test
    void readmeFlowExampleLearnsTheData() {
        double before;
        double after;
        Tensor samples;
        try (Backend backend = Backends.create()) {
            RandomSource random = RandomSource.seeded(42);
            before = Double.NaN;
            // README flow example begins
            List<Bijector> couplings = new ArrayList<>();
            for (int i = 0; i < 8; i++) {       // RealNVP: affine couplings alternating halves
                couplings.add(new Coupling(Masks.halves(2, i % 2 == 1),
                        new Mlp(backend, DType.FLOAT32, 1, 64, 2, 2, Activation.RELU, true, random.split()),
                        new CouplingTransform.Affine(CouplingTransform.Scale.TANH)));
            }
            Flow flow = new Flow(new Chain(couplings), new StandardNormal(backend, DType.FLOAT32, Shape.of(2)));
            Adam adam = new Adam(flow.parameters(), 3e-3);
            for (int step = 0; step < 300; step++) {
                try (MemoryScope scope = MemoryScope.open()) {
                    Tensor nll = flow.logProb(batch(backend, random)).mean().neg();   // maximum likelihood
                    adam.minimize(nll);
                    before = step == 0 ? nll.item() : before;
                }
            }
            samples = flow.sample(1000, random);                               // [1000, 2]
            // README flow example ends
            try (MemoryScope scope = MemoryScope.open()) {
                after = -flow.logProb(batch(backend, RandomSource.seeded(7))).mean().item();
            }
            assertEquals(Shape.of(1000, 2), samples.shape());
            double[] s = samples.toDoubleArray();
            double left = 0;
            for (int i = 0; i < 1000; i++) {
                left += s[2 * i] < 0 ? 1 : 0;
            }
            assertEquals(0.5, left / 1000, 0.1, "the samples split between the two blobs");
        }
        assertTrue(after < before - 1.0, "NLL fell from " + before + " to " + after);
    }
}
