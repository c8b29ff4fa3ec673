package org.flows4j.layers.bijectors;

import java.util.Objects;
import org.flows4j.api.Shape;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Events;

/**
 * A learned elementwise standardization {@code z = (x - mu) * exp(-log sigma)} with one
 * {@code mu} and {@code log sigma} per event element, both starting at 0 (the identity):
 * {@code log|det| = -sum log sigma}. Followed by a standard normal, it is a learned diagonal
 * Gaussian prior written as a bijector: Glow's learned top prior.
 */
public final class ElementwiseAffine extends AbstractComponent implements Bijector {

    private final Shape eventShape;
    private final Parameter mean;
    private final Parameter logScale;

    /**
     * A learned standardization of events of {@code eventShape}, its parameters made by {@code ctx} (nothing
     * is drawn).
     *
     * @param ctx makes the parameters (backend and dtype); draws nothing from its random source
     * @param eventShape the shape of one event, without the batch axis; one mean and scale per element
     * @throws NullPointerException if an argument is null
     */
    public ElementwiseAffine(BuildContext ctx, Shape eventShape) {
        Objects.requireNonNull(ctx, "ctx");
        this.eventShape = Objects.requireNonNull(eventShape, "eventShape");
        this.mean = parameter("mean", ctx.zeros(eventShape));
        this.logScale = parameter("logScale", ctx.zeros(eventShape));
    }

    private void check(Tensor x) {
        Events.check("ElementwiseAffine", eventShape, x);
    }

    @Override
    public Transformed forward(Tensor x) {
        check(x);
        Tensor s = logScale.value();
        return new Transformed(
                x.sub(mean.value()).mul(s.neg().exp()),
                LogDets.constant(x, s.sum().neg()));
    }

    @Override
    public Transformed inverse(Tensor z) {
        check(z);
        Tensor s = logScale.value();
        return new Transformed(z.mul(s.exp()).add(mean.value()), LogDets.constant(z, s.sum()));
    }
}
