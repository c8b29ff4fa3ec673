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

    /** Every slot, trainable parameters and state alike, by hierarchical name. */
    Map<String, Parameter> variables();

    /** The trainable parameters, by hierarchical name. */
    default Map<String, Parameter> parameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        variables().forEach((k, v) -> {
            if (v.trainable()) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** The number of trainable scalars. */
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
     */
    default void setTraining(boolean training) {
    }
}
