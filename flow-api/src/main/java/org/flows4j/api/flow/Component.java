package org.flows4j.api.flow;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Something that owns parameters: a network, a bijector, a distribution, a flow. Names are
 * stable and hierarchical ({@code steps.3.coupling.net.layers.0.weight}), so checkpoints and
 * optimizers can address every slot; the order is fixed by construction.
 *
 * <p>Implemented by layers; composites list their children's slots under a prefix.
 */
public interface Component {

    /**
     * Every slot, trainable parameters and state alike, by hierarchical name.
     *
     * @return the slots in construction order; empty for a component without any
     */
    Map<String, Parameter> variables();

    /**
     * The trainable parameters, by hierarchical name.
     *
     * @return a new map of the {@link #variables()} that are {@link Parameter#trainable()}, in their order
     */
    default Map<String, Parameter> parameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        variables().forEach((k, v) -> {
            if (v.trainable()) {
                out.put(k, v);
            }
        });
        return out;
    }

    /**
     * The number of trainable scalars.
     *
     * @return the total element count of {@link #parameters()}
     */
    default long parameterCount() {
        long n = 0;
        for (Parameter p : parameters().values()) {
            n += p.shape().size();
        }
        return n;
    }

    /**
     * Switches between training (batch statistics, for example) and evaluation behaviour.
     * Composites pass it on to their children. The default does nothing.
     *
     * @param training true for training behaviour, false for evaluation
     */
    default void setTraining(boolean training) {}
}
