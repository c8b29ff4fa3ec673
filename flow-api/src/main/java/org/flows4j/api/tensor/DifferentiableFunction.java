package org.flows4j.api.tensor;

/**
 * An operation with its own backward rule, applied with {@link Autodiff#apply}. Layers use it
 * where the chain rule through primitives would be slow or unstable, for example
 * {@code log|det W|} with gradient {@code W^-T}; backend plugins use the same door.
 *
 * <p>Implemented by layers and plugins.
 */
public interface DifferentiableFunction {

    /** A short name for error messages and graph dumps. */
    default String name() {
        return getClass().getSimpleName();
    }

    /** Computes the output. Runs with recording off, so intermediate tensors are not tracked. */
    Tensor forward(Tensor... inputs);

    /**
     * The gradients of the inputs given the gradient of the output: one entry per input, of
     * that input's shape, or null where an input needs none. Runs with recording off unless a
     * higher-order gradient was asked for.
     */
    Tensor[] backward(Tensor gradOutput, Tensor output, Tensor... inputs);
}
