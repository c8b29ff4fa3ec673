package org.flows4j.layers.bijectors;

import java.util.Map;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.Events;

/**
 * RealNVP's logit preprocessing of data in {@code [0, 1]}: {@code p = alpha + (1 - 2 alpha) x},
 * {@code y = logit(p) = ln p - ln(1 - p)}, which keeps the boundary away from infinity.
 * {@code log|dy/dx| = ln(1 - 2 alpha) - ln p - ln(1 - p)} per element; the inverse is
 * {@code x = (sigmoid(y) - alpha) / (1 - 2 alpha)}. RealNVP uses {@code alpha = 0.05}.
 */
public final class Logit implements Bijector {

    private final double alpha;

    /**
     * A logit with boundary margin {@code alpha} in {@code [0, 0.5)}.
     *
     * @param alpha the margin that keeps {@code p} inside {@code [alpha, 1 - alpha]}, in {@code [0, 0.5)};
     *     0 maps 0 and 1 to infinities, RealNVP uses 0.05
     * @throws IllegalArgumentException if {@code alpha} is outside {@code [0, 0.5)}
     */
    public Logit(double alpha) {
        if (!(alpha >= 0 && alpha < 0.5)) {
            throw new IllegalArgumentException("logit alpha must be in [0, 0.5), got " + alpha);
        }
        this.alpha = alpha;
    }

    @Override
    public Transformed forward(Tensor x) {
        LogDets.checkBatched("Logit", x);
        Tensor p = x.mul(1 - 2 * alpha).add(alpha);
        Tensor logP = p.log();
        Tensor log1mP = p.neg().log1p();
        Tensor perElement = logP.add(log1mP).neg().add(Math.log1p(-2 * alpha));
        return new Transformed(logP.sub(log1mP), Events.sumPerSample(perElement));
    }

    @Override
    public Transformed inverse(Tensor z) {
        LogDets.checkBatched("Logit", z);
        // ln p + ln(1 - p) = ln sigmoid(z) + ln sigmoid(-z), stable for any z
        Tensor perElement = z.logSigmoid().add(z.neg().logSigmoid()).sub(Math.log1p(-2 * alpha));
        Tensor x = z.sigmoid().sub(alpha).div(1 - 2 * alpha);
        return new Transformed(x, Events.sumPerSample(perElement));
    }

    @Override
    public Map<String, Parameter> variables() {
        return Map.of();
    }
}
