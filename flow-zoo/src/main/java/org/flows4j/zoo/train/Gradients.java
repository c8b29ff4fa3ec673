package org.flows4j.zoo.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.flows4j.api.tensor.Tensor;

/**
 * The result of {@link Trainer#computeGradients}: which update it is for, the batch's loss and
 * the loss's gradient with respect to every trainable parameter, by the parameter's name. The
 * tensors live in the memory scope that was open when they were computed.
 *
 * @param step the 1-based number of the update these gradients are for
 * @param loss the batch's mean negative log-likelihood, in the flow's nats
 * @param byName the gradients, in the flow's parameter order
 */
public record Gradients(long step, double loss, Map<String, Tensor> byName) {

    /**
     * Copies the map.
     *
     * @param step the 1-based number of the update these gradients are for, at least 1
     * @param loss the batch's mean negative log-likelihood, in the flow's nats
     * @param byName the gradients by parameter name, in the flow's parameter order (copied into an
     *     unmodifiable map that keeps the order; the tensors are not copied)
     * @throws IllegalArgumentException if {@code step} is below 1
     */
    public Gradients {
        if (step < 1) {
            throw new IllegalArgumentException("Gradients: step must be >= 1, got " + step);
        }
        byName = Collections.unmodifiableMap(new LinkedHashMap<>(byName));
    }
}
