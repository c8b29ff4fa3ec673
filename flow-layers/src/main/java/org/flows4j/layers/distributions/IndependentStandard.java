package org.flows4j.layers.distributions;

import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Distribution;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Events;

/**
 * A fixed distribution with independent, identically distributed components of unit scale:
 * {@code log p(x) = sum_d log f(x_d)}, samples {@code T * e} with {@code e} drawn from {@code f}.
 * Subclasses give {@code log f} and the draw.
 */
abstract sealed class IndependentStandard implements Distribution permits StandardNormal, StandardLogistic {

    private final Backend backend;
    private final DType dtype;
    private final Shape eventShape;

    IndependentStandard(BuildContext ctx, Shape eventShape) {
        java.util.Objects.requireNonNull(ctx, "ctx");
        this.backend = ctx.backend();
        this.dtype = ctx.dtype();
        this.eventShape = java.util.Objects.requireNonNull(eventShape, "eventShape");
    }

    /** {@code log f(x)} elementwise. */
    abstract Tensor logDensity(Tensor x);

    /** Standard draws of {@code shape}. */
    abstract Tensor draw(Backend backend, DType dtype, Shape shape, RandomSource random);

    @Override
    public final Shape eventShape() {
        return eventShape;
    }

    @Override
    public final Tensor logProb(Tensor x) {
        Events.check(getClass().getSimpleName() + ".logProb", eventShape, x);
        return Events.sumPerSample(logDensity(x));
    }

    @Override
    public final Tensor sample(int n, RandomSource random, double temperature) {
        Distributions.checkTemperature(temperature);
        return draw(backend, dtype, Events.batchShape(n, eventShape), random).mul(temperature);
    }

    /** A fixed distribution has no parameters. */
    @Override
    public final Map<String, Parameter> variables() {
        return Map.of();
    }
}
