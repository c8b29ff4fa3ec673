package org.flows4j.layers.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.Tensor;

/**
 * Updates a fixed set of named parameters from their gradients. Made over a module's
 * {@link org.flows4j.api.flow.Component#parameters()}; the names are the module's hierarchical
 * names, which checkpoints use too.
 *
 * <p>Single-threaded, like training.
 */
public interface Optimizer {

    /**
     * The parameters it updates, by name, in a fixed order.
     *
     * @return the parameters by hierarchical name; unmodifiable
     */
    Map<String, Parameter> parameters();

    /**
     * Applies one update. {@code gradients} holds one gradient per parameter name, each of
     * its parameter's shape and dtype; a missing name is an error.
     *
     * @param gradients the gradient of the loss for each parameter, by the names of {@link #parameters()};
     *     read only, still the caller's to free
     * @throws IllegalArgumentException if a name is missing or a gradient's shape or dtype does not match
     */
    void step(Map<String, Tensor> gradients);

    /**
     * Applies one update with every gradient multiplied by {@code gradScale} first: a clipping
     * by global norm ({@link GradientClipping#scaleFor}) handed to the optimizer instead of
     * written into new gradients. The default multiplies into new tensors in the caller's memory
     * scope and calls {@link #step(Map)}, which is what {@link GradientClipping#clipByGlobalNorm}
     * does; {@link Adam} folds the factor into its fused update, with the same bits.
     *
     * @param gradients the gradient of the loss for each parameter, by the names of {@link #parameters()};
     *     read only, still the caller's to free
     * @param gradScale the factor, finite and {@code > 0}; 1 is {@link #step(Map)}
     * @throws IllegalArgumentException if {@code gradScale} is not finite and positive, a name is missing or a
     *     gradient's shape or dtype does not match
     */
    @SuppressWarnings("try") // the guard acts by being open
    default void step(Map<String, Tensor> gradients, double gradScale) {
        if (!(gradScale > 0) || Double.isInfinite(gradScale)) {
            throw new IllegalArgumentException("the gradient scale must be finite and > 0, got " + gradScale);
        }
        if (gradScale == 1) {
            step(gradients);
            return;
        }
        Map<String, Tensor> scaled = new LinkedHashMap<>();
        try (Autodiff.NoGrad noGrad = Autodiff.noGrad()) {
            gradients.forEach((name, g) -> scaled.put(name, g == null ? null : g.mul(gradScale)));
        }
        step(scaled);
    }

    /**
     * How many updates were applied (the next update is number {@code steps() + 1}).
     *
     * @return the step count, {@code >= 0}
     */
    long steps();

    /**
     * The learning rate the next update will use (after schedules).
     *
     * @return the schedule's rate at {@link #steps()}, finite and {@code >= 0}
     */
    double learningRate();

    /**
     * The internal state (moments, momentum buffers) by stable name, for checkpoints. The
     * step counter is not in the map: it is {@link #steps()}, saved beside it. Checkpoints
     * prefix these names, so they may repeat the model's parameter names.
     * The tensors are copies owned by the caller (made in its current memory scope, if
     * any), so later steps, which may update the optimizer's buffers in place, leave them
     * unchanged.
     *
     * @return new copies of the state tensors by stable name, owned by the caller; empty for a stateless
     *     optimizer
     */
    Map<String, Tensor> state();

    /**
     * Restores {@link #state()} and the step counter exactly, taking ownership of the given
     * tensors (the caller must not free them). Checks every name, shape and dtype before
     * changing anything.
     *
     * @param state the tensors {@link #state()} returned, by the same names; owned by the optimizer afterwards
     * @param steps the step count to continue from, {@code >= 0}
     * @throws IllegalArgumentException naming what does not match
     */
    void loadState(Map<String, Tensor> state, long steps);

    /**
     * One step that lowers {@code loss}: its gradients with respect to {@link #parameters()}, then {@link #step}.
     *
     * @param loss the scalar to minimize, computed from the parameters with gradients recorded
     */
    default void minimize(Tensor loss) {
        step(gradients(loss, parameters()));
    }

    /**
     * The gradients of a scalar {@code loss} with respect to each parameter, by the parameters' names.
     *
     * @param loss the scalar, computed from the parameters with gradients recorded
     * @param parameters the parameters to differentiate with respect to, by name
     * @return a new map of one gradient per parameter, each of its parameter's shape, in the order of
     *     {@code parameters}; the tensors are the caller's
     */
    static Map<String, Tensor> gradients(Tensor loss, Map<String, Parameter> parameters) {
        List<Tensor> grads = Autodiff.grad(
                loss, parameters.values().stream().map(Parameter::value).toList());
        Map<String, Tensor> byName = new LinkedHashMap<>();
        int i = 0;
        for (String name : parameters.keySet()) {
            byName.put(name, grads.get(i++));
        }
        return byName;
    }
}
