package org.flows4j.layers.bijectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Flow;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.nn.Made;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** MAF, IAF and NSF-AR: exact inverses in D passes, orderings reversed between layers, the options. */
class MafTest {

    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = Backends.create("cpu");
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static BuildContext ctx(long seed) {
        return BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(seed));
    }

    private static void perturb(Flow flow, long seed) {
        RandomSource r = RandomSource.seeded(seed);
        for (Parameter p : flow.parameters().values()) {
            p.set(p.value().add(r.normal(backend, DType.FLOAT64, p.shape(), 0, 0.3)));
        }
    }

    private static void assertRoundTrip(Bijector b, Tensor x) {
        Transformed f = b.forward(x);
        Transformed i = b.inverse(f.value());
        double[] xs = x.toDoubleArray();
        double[] back = i.value().toDoubleArray();
        for (int k = 0; k < xs.length; k++) {
            assertEquals(xs[k], back[k], 1e-9, "round trip element " + k);
        }
        double[] ld = f.logDet().toDoubleArray();
        double[] ldi = i.logDet().toDoubleArray();
        for (int k = 0; k < ld.length; k++) {
            assertEquals(-ld[k], ldi[k], 1e-9, "inverse log-det of sample " + k);
        }
        assertTrue(Math.abs(ld[0]) > 1e-6, "the perturbed flow should not be volume-preserving");
    }

    @Test
    void mafInvertsExactlyAndAlternatesOrderings() {
        Flow flow = Maf.features(5).transforms(3).network(Made.hidden(16, 16)).build(ctx(1));
        perturb(flow, 2);
        Tensor x = RandomSource.seeded(3).normal(backend, DType.FLOAT64, Shape.of(7, 5), 0, 1);
        assertRoundTrip(flow.bijector(), x);
        List<Bijector> layers = ((Chain) flow.bijector()).parts();
        assertEquals(
                Made.Ordering.natural(5),
                ((MaskedAutoregressive) layers.get(0)).made().ordering());
        assertEquals(
                Made.Ordering.reversed(5),
                ((MaskedAutoregressive) layers.get(1)).made().ordering());
        assertEquals(
                Made.Ordering.natural(5),
                ((MaskedAutoregressive) layers.get(2)).made().ordering());
    }

    @Test
    void theInverseTakesDPassesAndTheDensityOne() {
        AtomicInteger calls = new AtomicInteger();
        CouplingTransform counting = new CouplingTransform() {
            @Override
            public int parameterCount() {
                return 2;
            }

            @Override
            public Result forward(Tensor x, List<Tensor> params) {
                calls.incrementAndGet();
                return LocationScale.gaussian().forward(x, params);
            }

            @Override
            public Result inverse(Tensor y, List<Tensor> params) {
                calls.incrementAndGet();
                return LocationScale.gaussian().inverse(y, params);
            }
        };
        MaskedAutoregressive maf = MaskedAutoregressive.of(
                ctx(4), Made.Ordering.random(6, RandomSource.seeded(5)), counting, Made.hidden(8));
        Tensor x = RandomSource.seeded(6).normal(backend, DType.FLOAT64, Shape.of(3, 6), 0, 1);
        Tensor z = maf.forward(x).value();
        assertEquals(1, calls.getAndSet(0));
        maf.inverse(z);
        assertEquals(6, calls.get());
    }

    @Test
    void iafIsMafTurnedAround() {
        Flow iaf = Maf.iaf(4).transforms(2).network(Made.hidden(12)).build(ctx(7));
        perturb(iaf, 8);
        assertTrue(Maf.iaf(4).isInverse());
        assertInstanceOf(Inverse.class, ((Chain) iaf.bijector()).parts().get(0));
        assertRoundTrip(iaf.bijector(), RandomSource.seeded(9).normal(backend, DType.FLOAT64, Shape.of(5, 4), 0, 1));
    }

    @Test
    void splineAutoregressiveFlowInverts() {
        Flow nsf = Maf.features(3)
                .transforms(2)
                .network(Made.hidden(10))
                .transform(RationalQuadraticSpline.builder().bins(5).bound(2).build())
                .build(ctx(10));
        perturb(nsf, 11);
        // points inside the bins and in the tails
        Tensor x = Tensor.of(backend, new double[] {0.3, -1.1, 1.7, -2.6, 0.0, 3.1, 1.99, -0.5, -1.999}, 3, 3);
        assertRoundTrip(nsf.bijector(), x);
    }

    @Test
    void batchNormBetweenLayersIsOptionalAndOffByDefault() {
        long withBn = Maf.features(3).transforms(3).batchNorm(true).bijector(ctx(1)).parts().stream()
                .filter(b -> b instanceof BatchNorm)
                .count();
        long without = Maf.features(3).transforms(3).bijector(ctx(1)).parts().stream()
                .filter(b -> b instanceof BatchNorm)
                .count();
        assertEquals(2, withBn);
        assertEquals(0, without);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Maf.features(0))
                .getMessage()
                .contains("features"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class, () -> Maf.features(2).context(-1))
                .getMessage()
                .contains("contextSize"));
    }
}
