package org.flows4j.layers.bijectors;

import java.util.Objects;
import org.flows4j.api.Shape;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.BuildContext;

/**
 * NICE's diagonal scaling layer: {@code h = S x} with {@code S = diag(exp(s))}, so
 * {@code log|det| = sum_d log|S_dd| = sum_d s_d}. The exponential keeps {@code S} invertible;
 * it lets NICE weight latent dimensions by importance. {@code s} starts at 0 (identity).
 */
public final class DiagonalScaling extends AbstractComponent implements Bijector {

    private final Parameter logScale;

    /**
     * A scaling of events of {@code eventShape}, its parameter made by {@code ctx} (nothing is drawn).
     *
     * @param ctx makes the parameter (backend and dtype); draws nothing from its random source
     * @param eventShape the shape of one event, without the batch axis; one scale per element
     * @throws NullPointerException if an argument is null
     */
    public DiagonalScaling(BuildContext ctx, Shape eventShape) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(eventShape, "eventShape");
        this.logScale = parameter("logScale", ctx.zeros(eventShape));
    }

    @Override
    public Transformed forward(Tensor x) {
        Tensor s = logScale.value();
        return new Transformed(x.mul(s.exp()), LogDets.constant(x, s.sum()));
    }

    @Override
    public Transformed inverse(Tensor z) {
        Tensor s = logScale.value();
        return new Transformed(z.mul(s.neg().exp()), LogDets.constant(z, s.sum().neg()));
    }
}
