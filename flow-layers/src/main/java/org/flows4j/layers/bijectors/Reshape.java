package org.flows4j.layers.bijectors;

import java.util.Map;
import org.flows4j.api.Shape;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.Events;

/**
 * Reshapes each sample from one event shape to another of the same size (an image
 * {@code [1, 28, 28]} to a vector {@code [784]} for NICE); {@code log|det| = 0}.
 */
public final class Reshape implements Bijector {

    private final Shape from;
    private final Shape to;

    /**
     * Samples of {@code from} become samples of {@code to}.
     *
     * @param from the event shape of the inputs, without the batch axis
     * @param to the event shape of the outputs, of the same size as {@code from}
     * @throws IllegalArgumentException if the two shapes differ in size
     */
    public Reshape(Shape from, Shape to) {
        if (from.size() != to.size()) {
            throw new IllegalArgumentException("cannot reshape events of " + from + " to " + to);
        }
        this.from = from;
        this.to = to;
    }

    @Override
    public Transformed forward(Tensor x) {
        Events.check("Reshape", from, x);
        return new Transformed(x.reshape(Events.batchShape(x.shape().dim(0), to)), LogDets.zero(x));
    }

    @Override
    public Transformed inverse(Tensor z) {
        Events.check("Reshape.inverse", to, z);
        return new Transformed(z.reshape(Events.batchShape(z.shape().dim(0), from)), LogDets.zero(z));
    }

    @Override
    public Map<String, Parameter> variables() {
        return Map.of();
    }
}
