package org.flows4j.layers.nn;

import org.flows4j.api.backend.UnaryOp;
import org.flows4j.api.tensor.Tensor;

/**
 * Elementwise nonlinearities, each composed of differentiable {@link Tensor} operations so it
 * runs and differentiates on every backend.
 */
public enum Activation {

    /** {@code max(x, 0)}: NICE and RealNVP's choice. */
    RELU(UnaryOp.RELU) {
        @Override
        public Tensor apply(Tensor x) {
            return x.relu();
        }
    },

    /** {@code max(x, 0.01 x)}; the slope 0.01 is PyTorch's default. */
    LEAKY_RELU(null) {
        @Override
        public Tensor apply(Tensor x) {
            return x.maximum(x.mul(LEAKY_SLOPE));
        }
    },

    /**
     * {@code x} for {@code x > 0}, else {@code e^x - 1}, written {@code max(x, 0) + expm1(min(x, 0))}:
     * a {@code where} over {@code expm1(x)} would overflow to infinity for large positive
     * {@code x} and turn the masked-out gradient {@code 0 * inf} into NaN.
     */
    ELU(null) {
        @Override
        public Tensor apply(Tensor x) {
            Tensor zero = x.zerosLike();
            return x.relu().add(x.minimum(zero).expm1());
        }
    },

    /** {@code tanh x}. */
    TANH(UnaryOp.TANH) {
        @Override
        public Tensor apply(Tensor x) {
            return x.tanh();
        }
    },

    /** {@code 1 / (1 + e^-x)}. */
    SIGMOID(UnaryOp.SIGMOID) {
        @Override
        public Tensor apply(Tensor x) {
            return x.sigmoid();
        }
    },

    /** {@code ln(1 + e^x)}, stable for any {@code x}. */
    SOFTPLUS(UnaryOp.SOFTPLUS) {
        @Override
        public Tensor apply(Tensor x) {
            return x.softplus();
        }
    };

    /** The negative slope of {@link #LEAKY_RELU}. */
    public static final double LEAKY_SLOPE = 0.01;

    private final UnaryOp kernel;

    Activation(UnaryOp kernel) {
        this.kernel = kernel;
    }

    /**
     * The backend's elementwise op that this activation is (the tensor operation {@link #apply}
     * calls, with its values and gradients), for {@link Tensor#linear} to fuse into a dense
     * layer; null for an activation composed of several operations, which is applied after the
     * layer.
     */
    UnaryOp kernel() {
        return kernel;
    }

    /**
     * The activation of each element of {@code x}; the shape is kept.
     *
     * @param x the pre-activations, any shape
     * @return a new tensor of {@code x}'s shape, dtype and backend
     */
    public abstract Tensor apply(Tensor x);
}
