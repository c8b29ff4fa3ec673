package org.flows4j.layers.distributions;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;

/**
 * The standard logistic over events of a fixed shape, independent components: NICE's prior,
 * {@code log p(h_d) = -h_d - 2 ln(1 + e^{-h_d}) = -h_d - 2 softplus(-h_d)}, evaluated through
 * the stable softplus so that it neither overflows for large negative {@code h} nor loses
 * precision for large positive {@code h}. At temperature {@code T} samples are {@code T} times a
 * standard logistic draw (the scale, and so the standard deviation, scales by {@code T}).
 */
public final class StandardLogistic extends IndependentStandard {

    /**
     * A standard logistic over events of {@code eventShape}, sampling on {@code ctx}'s backend in its
     * dtype (nothing is drawn at construction).
     *
     * @param ctx gives the backend and dtype of samples; nothing is drawn from its random source
     * @param eventShape the shape of one event, without the batch axis
     * @throws NullPointerException if an argument is null
     */
    public StandardLogistic(BuildContext ctx, Shape eventShape) {
        super(ctx, eventShape);
    }

    @Override
    Tensor logDensity(Tensor x) {
        return x.neg().sub(x.neg().softplus().mul(2.0));
    }

    @Override
    Tensor draw(Backend backend, DType dtype, Shape shape, RandomSource random) {
        return random.logistic(backend, dtype, shape);
    }
}
