package org.flows4j.layers.distributions;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;

/**
 * The standard normal over events of a fixed shape, independent components:
 * {@code log p(h) = sum_d (-h_d^2 / 2 - ln(2 pi) / 2)}. At temperature {@code T} samples are
 * {@code T * eps}, {@code eps ~ N(0, I)}.
 */
public final class StandardNormal extends IndependentStandard {

    /** {@code ln(2 pi) / 2}. */
    static final double HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

    /**
     * A standard normal over events of {@code eventShape}, sampling on {@code ctx}'s backend in its
     * dtype (nothing is drawn at construction).
     *
     * @param ctx gives the backend and dtype of samples; nothing is drawn from its random source
     * @param eventShape the shape of one event, without the batch axis
     * @throws NullPointerException if an argument is null
     */
    public StandardNormal(BuildContext ctx, Shape eventShape) {
        super(ctx, eventShape);
    }

    @Override
    Tensor logDensity(Tensor x) {
        return x.square().mul(-0.5).sub(HALF_LOG_TWO_PI);
    }

    @Override
    Tensor draw(Backend backend, DType dtype, Shape shape, RandomSource random) {
        return random.normal(backend, dtype, shape, 0, 1);
    }
}
