package org.flows4j.layers.distributions;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Distribution;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Events;

/**
 * A Gaussian with learned mean {@code mu} and learned log standard deviation {@code log sigma},
 * one of each per event element, initialized to the standard normal:
 * {@code log p(x) = sum_d (-((x_d - mu_d) / sigma_d)^2 / 2 - log sigma_d) - (D / 2) ln(2 pi)}.
 * At temperature {@code T} samples are {@code mu + T sigma eps}.
 */
public final class DiagonalGaussian extends AbstractComponent implements Distribution {

    private final Backend backend;
    private final DType dtype;
    private final Shape eventShape;
    private final Parameter mean;
    private final Parameter logScale;

    /**
     * A learned diagonal Gaussian over events of {@code eventShape}, starting at N(0, I), its
     * parameters made by {@code ctx} (nothing is drawn).
     *
     * @param ctx makes the parameters (backend and dtype); nothing is drawn from its random source
     * @param eventShape the shape of one event, without the batch axis; one mean and scale per element
     * @throws NullPointerException if an argument is null
     */
    public DiagonalGaussian(BuildContext ctx, Shape eventShape) {
        java.util.Objects.requireNonNull(ctx, "ctx");
        this.backend = ctx.backend();
        this.dtype = ctx.dtype();
        this.eventShape = java.util.Objects.requireNonNull(eventShape, "eventShape");
        this.mean = parameter("mean", ctx.zeros(eventShape));
        this.logScale = parameter("logScale", ctx.zeros(eventShape));
    }

    @Override
    public Shape eventShape() {
        return eventShape;
    }

    @Override
    public Tensor logProb(Tensor x) {
        Events.check("DiagonalGaussian" + ".logProb", eventShape, x);
        Tensor logSigma = logScale.value();
        Tensor standardized = x.sub(mean.value()).mul(logSigma.neg().exp());
        return Events.sumPerSample(standardized.square().mul(-0.5).sub(logSigma))
                .sub(StandardNormal.HALF_LOG_TWO_PI * eventShape.size());
    }

    @Override
    public Tensor sample(int n, RandomSource random, double temperature) {
        Distributions.checkTemperature(temperature);
        Tensor eps = random.normal(backend, dtype, Events.batchShape(n, eventShape), 0, temperature);
        return eps.mul(logScale.value().exp()).add(mean.value());
    }
}
