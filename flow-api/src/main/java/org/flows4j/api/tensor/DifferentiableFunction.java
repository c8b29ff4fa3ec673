package org.flows4j.api.tensor;

/**
 * An operation with its own backward rule, applied with {@link Autodiff#apply}. Layers use it
 * where the chain rule through primitives would be slow or unstable, for example
 * {@code log|det W|} with gradient {@code W^-T}; backend plugins use the same door.
 *
 * <p>Implemented by layers and plugins.
 */
public interface DifferentiableFunction {

    /**
     * A short name for error messages and graph dumps.
     *
     * @return the name; the default is the class's simple name
     */
    default String name() {
        return getClass().getSimpleName();
    }

    /**
     * Computes the output. Runs with recording off, so intermediate tensors are not tracked.
     *
     * @param inputs the inputs given to {@link Autodiff#apply}, in that order
     * @return the output, which {@link Autodiff#apply} returns (recording {@link #backward} when needed)
     */
    Tensor forward(Tensor... inputs);

    /**
     * The gradients of the inputs given the gradient of the output: one entry per input, of
     * that input's shape, or null where an input needs none. Runs with recording off unless a
     * higher-order gradient was asked for.
     *
     * @param gradOutput the gradient of the output, of the output's shape
     * @param output the output that {@link #forward} returned
     * @param inputs the inputs given to {@link #forward}, in that order
     * @return one gradient per input, of that input's shape, or null entries; the array's length
     *     is {@code inputs.length}
     */
    Tensor[] backward(Tensor gradOutput, Tensor output, Tensor... inputs);
}
