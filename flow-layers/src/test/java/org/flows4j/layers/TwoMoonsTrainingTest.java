package org.flows4j.layers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Flow;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.bijectors.RealNvp;
import org.flows4j.layers.nn.Mlp;
import org.flows4j.layers.optim.Adam;
import org.junit.jupiter.api.Test;

/**
 * End to end: a RealNVP (8 alternating affine couplings, MLP 2x64 conditioners) learns two
 * moons with Adam and beats the best Gaussian by a clear margin on held-out data.
 *
 * <p>The margin: with noise 0.1 the two-moons density is concentrated on two thin arcs. At
 * this seed the fitted full-covariance Gaussian has a held-out NLL of 1.91 nats and the flow
 * reaches 1.10 after 500 steps (measured on backend-cpu, float32). Asserting a 0.5-nat margin
 * leaves room for rounding and kernel changes while failing for any flow that did not learn
 * the shape.
 */
@SuppressWarnings("try") // scopes opened only for their close()
class TwoMoonsTrainingTest {

    static double[] twoMoons(int n, RandomSource r) {
        double[] x = new double[2 * n];
        double[] noise = r.normal(2 * n);
        for (int i = 0; i < n; i++) {
            double t = Math.PI * r.nextDouble();
            boolean outer = i % 2 == 0;
            x[2 * i] = (outer ? Math.cos(t) : 1 - Math.cos(t)) + 0.1 * noise[2 * i];
            x[2 * i + 1] = (outer ? Math.sin(t) : 0.5 - Math.sin(t)) + 0.1 * noise[2 * i + 1];
        }
        return x;
    }

    /** Held-out NLL of the maximum-likelihood full-covariance Gaussian of the training data. */
    static double gaussianNll(double[] train, double[] test) {
        int n = train.length / 2;
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n; i++) {
            mx += train[2 * i] / n;
            my += train[2 * i + 1] / n;
        }
        double sxx = 0;
        double syy = 0;
        double sxy = 0;
        for (int i = 0; i < n; i++) {
            double dx = train[2 * i] - mx;
            double dy = train[2 * i + 1] - my;
            sxx += dx * dx / n;
            syy += dy * dy / n;
            sxy += dx * dy / n;
        }
        double det = sxx * syy - sxy * sxy;
        int m = test.length / 2;
        double nll = 0;
        for (int i = 0; i < m; i++) {
            double dx = test[2 * i] - mx;
            double dy = test[2 * i + 1] - my;
            double maha = (syy * dx * dx - 2 * sxy * dx * dy + sxx * dy * dy) / det;
            nll += 0.5 * maha + 0.5 * Math.log(det) + Math.log(2 * Math.PI);
        }
        return nll / m;
    }

    @Test
    void realNvpBeatsTheBestGaussianOnHeldOutTwoMoons() {
        try (Backend backend = Backends.create("cpu")) {
            RandomSource r = RandomSource.seeded(2024);
            double[] train = twoMoons(4096, r);
            double[] test = twoMoons(2048, r);
            // 8 affine couplings alternating halves, conditioners MLP 64-64, each from its own split of r
            Flow flow = RealNvp.features(2)
                    .transforms(8)
                    .network(Mlp.hidden(64, 64))
                    .build(BuildContext.of(backend, DType.FLOAT32, r));
            Adam adam = Adam.builder().learningRate(3e-3).create(flow.parameters());
            Tensor trainSet =
                    Tensor.of(backend, DType.FLOAT32, train, Shape.of(4096, 2)).unscoped();
            for (int step = 0; step < 500; step++) {
                try (MemoryScope s = MemoryScope.open()) {
                    int[] idx = new int[256];
                    for (int i = 0; i < idx.length; i++) {
                        idx[i] = r.nextInt(4096);
                    }
                    adam.minimize(flow.logProb(trainSet.gather(0, idx)).mean().neg());
                }
            }
            double flowNll;
            try (MemoryScope s = MemoryScope.open();
                    Autodiff.NoGrad off = Autodiff.noGrad()) {
                flowNll = -flow.logProb(Tensor.of(backend, DType.FLOAT32, test, Shape.of(2048, 2)))
                        .mean()
                        .item();
            }
            double gaussian = gaussianNll(train, test);
            assertTrue(flowNll < gaussian - 0.5, "flow NLL " + flowNll + " vs Gaussian " + gaussian);
        }
    }
}
