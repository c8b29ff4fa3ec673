package org.flows4j.layers.bijectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.BuildContext;
import org.junit.jupiter.api.Test;

/**
 * A multi-scale flow's data-dependent initialization runs each level's steps once: the pass that
 * initializes a level gives the next level its input. The result is the one of initializing each
 * level and then running it forward again, as it was done before.
 */
class MultiScaleInitTest {

    /** The identity, counting its forward passes. */
    private static final class CountingIdentity extends AbstractComponent implements Bijector {
        int forwards;

        @Override
        public Transformed forward(Tensor x) {
            forwards++;
            return new Transformed(x, LogDets.zero(x));
        }

        @Override
        public Transformed inverse(Tensor z) {
            return new Transformed(z, LogDets.zero(z));
        }
    }

    private record Flow(MultiScale flow, List<Chain> levels, CountingIdentity first, CountingIdentity second) {}

    /** Images of 4 x 4 x 4: level 0 factors out 2 channels, level 1 keeps the other 2; ActNorm on each. */
    private static Flow flow(Backend backend) {
        BuildContext ctx = BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(3));
        CountingIdentity first = new CountingIdentity();
        CountingIdentity second = new CountingIdentity();
        List<Chain> levels = List.of(Chain.of(new ActNorm(ctx, 4, 4), first), Chain.of(new ActNorm(ctx, 2, 4), second));
        MultiScale flow = new MultiScale(
                Shape.of(4, 4, 4),
                List.of(
                        new MultiScale.Level(levels.get(0), Shape.of(4, 4, 4), null),
                        new MultiScale.Level(levels.get(1), Shape.of(2, 4, 4), null)));
        return new Flow(flow, levels, first, second);
    }

    @Test
    void each_level_runs_once_and_initializes_as_level_then_forward_did() {
        Backend backend = Backends.create("cpu");
        Tensor x = RandomSource.seeded(11).normal(backend, DType.FLOAT64, Shape.of(16, 4, 4, 4), 1.5, 3.0);

        Flow once = flow(backend);
        once.flow().initialize(x);
        assertEquals(1, once.first().forwards, "level 0's steps ran forward more than once");
        assertEquals(1, once.second().forwards, "level 1's steps ran forward more than once");
        assertTrue(once.flow().isInitialized());

        // the earlier procedure: initialize a level, run it forward, pass the first half on
        Flow twice = flow(backend);
        Tensor h = x;
        for (int i = 0; i < 2; i++) {
            Bijector steps = twice.levels().get(i);
            steps.initialize(h);
            Tensor out = steps.forward(h).value();
            h = i == 0 ? out.slice(1, 0, 2) : out;
        }
        assertArrayEquals(
                twice.flow().forward(x).value().toDoubleArray(),
                once.flow().forward(x).value().toDoubleArray(),
                "the one-pass initialization changed the initialized flow");

        // an initialized flow is run forward only, its ActNorms left as they are
        Tensor before = once.flow().forward(x).value();
        once.flow().initialize(x.mul(2.0));
        assertArrayEquals(before.toDoubleArray(), once.flow().forward(x).value().toDoubleArray());
    }

    @Test
    void a_chain_nested_in_a_chain_runs_once_as_well() {
        Backend backend = Backends.create("cpu");
        BuildContext ctx = BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(5));
        Tensor x = RandomSource.seeded(13).normal(backend, DType.FLOAT64, Shape.of(8, 2, 3, 3), -1.0, 2.0);
        CountingIdentity inner = new CountingIdentity();
        CountingIdentity outer = new CountingIdentity();
        Chain chain = Chain.of(Chain.of(new ActNorm(ctx, 2, 4), inner), new ActNorm(ctx, 2, 4), outer);

        Tensor out = chain.initializeThrough(x);

        assertEquals(1, inner.forwards, "the nested chain's parts ran forward more than once");
        assertEquals(1, outer.forwards);
        assertTrue(chain.isInitialized());
        assertArrayEquals(chain.forward(x).value().toDoubleArray(), out.toDoubleArray(), 1e-12);
    }
}
