package org.flows4j.layers.distributions;

import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Distribution;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.Events;

/**
 * The standard normal over events of a fixed shape, independent components:
 * {@code log p(h) = sum_d (-h_d^2 / 2) - (D / 2) ln(2 pi)}. At temperature {@code T} samples
 * are {@code T * eps}, {@code eps ~ N(0, I)}.
 */
public final class StandardNormal implements Distribution {

    /** {@code ln(2 pi) / 2}. */
    static final double HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

    private final Backend backend;
    private final DType dtype;
    private final Shape eventShape;

    /** A standard normal over events of {@code eventShape}. */
    public StandardNormal(Backend backend, DType dtype, Shape eventShape) {
        this.backend = backend;
        this.dtype = dtype;
        this.eventShape = eventShape;
    }

    @Override
    public Shape eventShape() {
        return eventShape;
    }

    @Override
    public Tensor logProb(Tensor x) {
        Events.check("StandardNormal" + ".logProb", eventShape, x);
        return Events.sumPerSample(x.square().mul(-0.5)).sub(HALF_LOG_TWO_PI * eventShape.size());
    }

    @Override
    public Tensor sample(int n, RandomSource random, double temperature) {
        Distributions.checkTemperature(temperature);
        return random.normal(backend, dtype, Events.batchShape(n, eventShape), 0, temperature);
    }

    @Override
    public Map<String, Parameter> variables() {
        return Map.of();
    }
}
