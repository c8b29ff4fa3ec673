package org.flows4j.layers.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.tensor.Tensor;

/**
 * Updates a fixed set of named parameters from their gradients. Made over a module's
 * {@link org.flows4j.api.flow.Component#parameters()}; the names are the module's hierarchical
 * names, which checkpoints use too.
 *
 * <p>Single-threaded, like training.
 */
public interface Optimizer {

    /** The parameters it updates, by name, in a fixed order. */
    Map<String, Parameter> parameters();

    /**
     * Applies one update. {@code gradients} holds one gradient per parameter name, each of
     * its parameter's shape and dtype; a missing name is an error.
     */
    void step(Map<String, Tensor> gradients);

    /** How many updates were applied (the next update is number {@code steps() + 1}). */
    long steps();

    /** The learning rate the next update will use (after schedules). */
    double learningRate();

    /**
     * The internal state (moments, momentum buffers) by stable name, for checkpoints. The
     * step counter is not in the map: it is {@link #steps()}, saved beside it. Checkpoints
     * prefix these names, so they may repeat the model's parameter names.
     * The tensors are copies owned by the caller (made in its current memory scope, if
     * any), so later steps, which may update the optimizer's buffers in place, leave them
     * unchanged.
     */
    Map<String, Tensor> state();

    /**
     * Restores {@link #state()} and the step counter exactly, taking ownership of the given
     * tensors (the caller must not free them). Checks every name, shape and dtype before
     * changing anything.
     *
     * @throws IllegalArgumentException naming what does not match
     */
    void loadState(Map<String, Tensor> state, long steps);

    /** One step that lowers {@code loss}: its gradients with respect to {@link #parameters()}, then {@link #step}. */
    default void minimize(Tensor loss) {
        step(gradients(loss, parameters()));
    }

    /** The gradients of a scalar {@code loss} with respect to each parameter, by the parameters' names. */
    static Map<String, Tensor> gradients(Tensor loss, Map<String, Parameter> parameters) {
        List<Tensor> grads = Autodiff.grad(loss, parameters.values().stream().map(Parameter::value).toList());
        Map<String, Tensor> byName = new LinkedHashMap<>();
        int i = 0;
        for (String name : parameters.keySet()) {
            byName.put(name, grads.get(i++));
        }
        return byName;
    }
}
