package org.flows4j.layers.bijectors;

import java.util.Map;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.tensor.Tensor;

/**
 * A bijector run backwards: its forward is the wrapped inverse and vice versa. This is how an
 * inverse autoregressive flow is made from a masked autoregressive one, or a data-side
 * transform is turned around. It shares the wrapped bijector's parameters and names.
 */
public final class Inverse implements Bijector {

    private final Bijector inner;

    /**
     * The inverse of {@code inner}.
     *
     * @param inner the bijector to run backwards; its parameters are shared, not copied
     */
    public Inverse(Bijector inner) {
        this.inner = inner;
    }

    /**
     * The bijector this one inverts.
     *
     * @return the wrapped bijector
     */
    public Bijector inner() {
        return inner;
    }

    @Override
    public Transformed forward(Tensor x) {
        return inner.inverse(x);
    }

    @Override
    public Transformed inverse(Tensor z) {
        return inner.forward(z);
    }

    @Override
    public Transformed forward(Tensor x, Tensor context) {
        return inner.inverse(x, context);
    }

    @Override
    public Transformed inverse(Tensor z, Tensor context) {
        return inner.forward(z, context);
    }

    @Override
    public boolean isInitialized() {
        return inner.isInitialized();
    }

    @Override
    public Map<String, Parameter> variables() {
        return inner.variables();
    }

    @Override
    public void setTraining(boolean training) {
        inner.setTraining(training);
    }
}
