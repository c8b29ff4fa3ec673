package org.flows4j.layers.bijectors;

import org.flows4j.api.flow.Transformed;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.Events;
import org.flows4j.layers.Layer;

/**
 * Glow's learned prior on a factored-out half, written as a conditional affine bijector: a
 * network of the kept half {@code h} predicts a mean {@code mu} and a log standard deviation
 * {@code log sigma} for each element of the factored half {@code z}, and
 * {@code eps = (z - mu) * exp(-log sigma)}, {@code log|det| = -sum log sigma}. Followed by a
 * standard normal on {@code eps}, this is exactly Glow's {@code N(z; mu(h), sigma(h))}, and the
 * whole multi-scale flow stays a bijector with one standard-normal base.
 *
 * <p>The network maps {@code h [n, c_h, ...]} to {@code [n, 2 c_z, ...]} (means first, then
 * log standard deviations); Glow zero-initializes it, so a fresh prior is {@code N(0, I)}.
 */
public final class SplitPrior extends AbstractComponent {

    private final Layer net;

    /**
     * A prior conditioned through {@code net}, registered as {@code net}.
     *
     * @param net maps the kept half {@code [n, c_h, ...]} to {@code [n, 2 c_z, ...]}, means first; owned by
     *     the prior from now on
     */
    public SplitPrior(Layer net) {
        this.net = child("net", net);
    }

    private Tensor[] meanAndLogStd(Tensor kept, Tensor factored) {
        Tensor h = net.apply(kept);
        int c = factored.shape().dim(1);
        int[] expected = factored.shape().dims();
        expected[1] = 2 * c;
        if (!h.shape().equals(org.flows4j.api.Shape.of(expected))) {
            throw new IllegalArgumentException("SplitPrior: the network returned shape " + h.shape()
                    + " for a factored half of shape " + factored.shape() + "; it must return "
                    + org.flows4j.api.Shape.of(expected));
        }
        return h.split(1, c, c).toArray(new Tensor[0]);
    }

    /**
     * {@code eps} for the factored half {@code z} given the kept half.
     *
     * @param z the factored-out half, {@code [n, c_z, ...]}
     * @param kept the kept half that conditions the prior, {@code [n, c_h, ...]}
     * @return {@code eps} of {@code z}'s shape and the log-det {@code -sum log sigma}, {@code [n]}
     * @throws IllegalArgumentException if the network's output does not have the shape {@code [n, 2 c_z, ...]}
     */
    public Transformed forward(Tensor z, Tensor kept) {
        Tensor[] p = meanAndLogStd(kept, z);
        return new Transformed(
                z.sub(p[0]).mul(p[1].neg().exp()), Events.sumPerSample(p[1]).neg());
    }

    /**
     * The factored half {@code z} for {@code eps} given the kept half.
     *
     * @param eps the standardized half, {@code [n, c_z, ...]}
     * @param kept the kept half that conditions the prior, {@code [n, c_h, ...]}
     * @return {@code z} of {@code eps}' shape and the log-det {@code sum log sigma}, {@code [n]}
     * @throws IllegalArgumentException if the network's output does not have the shape {@code [n, 2 c_z, ...]}
     */
    public Transformed inverse(Tensor eps, Tensor kept) {
        Tensor[] p = meanAndLogStd(kept, eps);
        return new Transformed(eps.mul(p[1].exp()).add(p[0]), Events.sumPerSample(p[1]));
    }
}
