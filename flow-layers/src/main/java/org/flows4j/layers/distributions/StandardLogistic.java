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
 * The standard logistic over events of a fixed shape, independent components: NICE's prior,
 * {@code log p(h_d) = -h_d - 2 ln(1 + e^{-h_d}) = -h_d - 2 softplus(-h_d)}, which is
 * evaluated through the stable softplus so that it neither overflows for large negative
 * {@code h} nor loses precision for large positive {@code h}. It is symmetric, so this equals
 * {@code -|h| - 2 softplus(-|h|)}. At temperature {@code T} samples are {@code T} times a
 * standard logistic draw (the scale, and so the standard deviation, scales by {@code T}).
 */
public final class StandardLogistic implements Distribution {

    private final Backend backend;
    private final DType dtype;
    private final Shape eventShape;

    /** A standard logistic over events of {@code eventShape}. */
    public StandardLogistic(Backend backend, DType dtype, Shape eventShape) {
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
        Events.check("StandardLogistic" + ".logProb", eventShape, x);
        return Events.sumPerSample(x.neg().sub(x.neg().softplus().mul(2.0)));
    }

    @Override
    public Tensor sample(int n, RandomSource random, double temperature) {
        Distributions.checkTemperature(temperature);
        return random.logistic(backend, dtype, Events.batchShape(n, eventShape)).mul(temperature);
    }

    @Override
    public Map<String, Parameter> variables() {
        return Map.of();
    }
}
