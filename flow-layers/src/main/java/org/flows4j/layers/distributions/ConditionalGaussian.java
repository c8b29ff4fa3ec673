package org.flows4j.layers.distributions;

import java.util.List;
import java.util.Objects;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Distribution;
import org.flows4j.api.flow.Flow;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Events;
import org.flows4j.layers.nn.Linear;

/**
 * A Gaussian whose mean and log standard deviation are a learned linear map of a context
 * {@code c}: Glow's class-conditional prior (Kingma and Dhariwal, 2018, section 5), where
 * {@code c} is the one-hot class label. Over vector events of {@code D} elements, the last
 * {@code K} (Glow's top latent) are conditioned and the others are standard normal:
 * <pre>
 *   [mu, log sigma] = c W + b            (W [c, 2K], b [2K], zero-initialized: a fresh prior is N(0, I))
 *   log p(z | c) = sum_{d &lt; D-K} log N(z_d; 0, 1) + sum_{j} (-((z_j - mu_j) / sigma_j)^2 / 2 - log sigma_j - ln(2 pi) / 2)
 * </pre>
 * At temperature {@code T}, samples are {@code mu + T sigma eps} (conditioned part) and
 * {@code T eps} (the rest). Slots: {@code net.weight}, {@code net.bias}.
 */
public final class ConditionalGaussian extends AbstractComponent implements Distribution {

    private final Backend backend;
    private final DType dtype;
    private final Shape eventShape;
    private final int contextSize;
    private final int conditioned;
    private final Linear net;

    private ConditionalGaussian(BuildContext ctx, int size, int contextSize, int conditioned) {
        this.backend = ctx.backend();
        this.dtype = ctx.dtype();
        this.eventShape = Shape.of(size);
        this.contextSize = contextSize;
        this.conditioned = conditioned;
        this.net = child("net", new Linear(ctx, contextSize, 2 * conditioned, true));
    }

    /**
     * A prior over vectors of {@code size} elements whose last {@code conditioned} elements have
     * a mean and log standard deviation linear in a context of {@code contextSize} features;
     * nothing is drawn (the map starts at zero).
     *
     * @param ctx makes the linear map's parameters (backend and dtype); draws nothing from its random source
     * @param size the number of elements {@code D} of an event, {@code >= 1}
     * @param contextSize the number of context features, {@code [batch, contextSize]} (the classes, for a
     *     one-hot label), {@code >= 1}
     * @param conditioned the number {@code K} of trailing elements whose mean and scale depend on the context,
     *     in {@code 1..size}; the others are standard normal
     * @return the prior, equal to {@code N(0, I)} until trained
     * @throws NullPointerException if {@code ctx} is null
     * @throws IllegalArgumentException naming {@code size}, {@code contextSize} or
     *     {@code conditioned} if it is out of range ({@code 1 <= conditioned <= size})
     */
    public static ConditionalGaussian linear(BuildContext ctx, int size, int contextSize, int conditioned) {
        Objects.requireNonNull(ctx, "ctx");
        if (size < 1) {
            throw new IllegalArgumentException("ConditionalGaussian.linear: size must be positive, got " + size);
        }
        if (contextSize < 1) {
            throw new IllegalArgumentException(
                    "ConditionalGaussian.linear: contextSize must be positive, got " + contextSize);
        }
        if (conditioned < 1 || conditioned > size) {
            throw new IllegalArgumentException(
                    "ConditionalGaussian.linear: conditioned must be in 1.." + size + ", got " + conditioned);
        }
        return new ConditionalGaussian(ctx, size, contextSize, conditioned);
    }

    @Override
    public Shape eventShape() {
        return eventShape;
    }

    /**
     * The context features.
     *
     * @return the number of context features, {@code >= 1}
     */
    public int contextSize() {
        return contextSize;
    }

    /**
     * How many trailing elements are conditioned.
     *
     * @return {@code K}, in {@code 1..D}
     */
    public int conditioned() {
        return conditioned;
    }

    /** Needs a context: use {@link #logProb(Tensor, Tensor)}. */
    @Override
    public Tensor logProb(Tensor x) {
        return logProb(x, null);
    }

    /** Needs a context: use {@link #sample(int, Tensor, RandomSource, double)}. */
    @Override
    public Tensor sample(int n, RandomSource random, double temperature) {
        return sample(n, null, random, temperature);
    }

    private Tensor[] meanAndLogStd(Tensor context, int n) {
        if (context == null) {
            throw new IllegalArgumentException("ConditionalGaussian: this prior depends on a context of " + contextSize
                    + " features, but context is null");
        }
        Tensor c = Flow.broadcastContext("ConditionalGaussian", context, n);
        if (c.shape().dim(1) != contextSize) {
            throw new IllegalArgumentException(
                    "ConditionalGaussian: context must have " + contextSize + " features, got " + context.shape());
        }
        List<Tensor> p = net.apply(c).split(1, conditioned, conditioned);
        return new Tensor[] {p.get(0), p.get(1)};
    }

    @Override
    public Tensor logProb(Tensor x, Tensor context) {
        Events.check("ConditionalGaussian.logProb", eventShape, x);
        int n = x.shape().dim(0);
        Tensor[] p = meanAndLogStd(context, n);
        int free = eventShape.size() - conditioned;
        Tensor top = x.slice(1, free, eventShape.size());
        Tensor standardized = top.sub(p[0]).mul(p[1].neg().exp());
        Tensor logp = standardized.square().mul(-0.5).sub(p[1]).sum(1);
        if (free > 0) {
            logp = logp.add(x.slice(1, 0, free).square().mul(-0.5).sum(1));
        }
        return logp.sub(StandardNormal.HALF_LOG_TWO_PI * eventShape.size());
    }

    @Override
    public Tensor sample(int n, Tensor context, RandomSource random, double temperature) {
        Distributions.checkTemperature(temperature);
        Tensor[] p = meanAndLogStd(context, n);
        Tensor eps = random.normal(backend, dtype, Events.batchShape(n, eventShape), 0, temperature);
        int free = eventShape.size() - conditioned;
        Tensor top = eps.slice(1, free, eventShape.size()).mul(p[1].exp()).add(p[0]);
        return free == 0 ? top : Tensor.concat(1, eps.slice(1, 0, free), top);
    }
}
