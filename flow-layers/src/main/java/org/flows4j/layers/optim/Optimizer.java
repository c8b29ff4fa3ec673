package org.flows4j.layers.optim;

import java.util.Map;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.tensor.Tensor;

/**
 * Updates a fixed set of named parameters from their gradients. Made over a module's
 * {@link org.flows4j.api.flow.Module#parameters()}; the names are the module's hierarchical
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
}
