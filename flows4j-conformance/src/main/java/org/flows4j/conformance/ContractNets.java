package org.flows4j.conformance;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.Layer;
import org.flows4j.layers.nn.Activation;
import org.flows4j.layers.nn.Mlp;

/**
 * Conditioner networks for the bijector contract: smooth (tanh, no ReLU kink for a finite
 * difference to straddle) and random, so that no coupling is the identity.
 */
final class ContractNets {

    private ContractNets() {
    }

    /** An MLP with one tanh layer of 8 on vectors {@code [n, in]}, randomly initialized (not zero). */
    static Layer dense(Backend b, int in, int out, RandomSource r) {
        return new Mlp(b, DType.FLOAT64, in, 8, 1, out, Activation.TANH, false, r.split());
    }

    /** {@code conv(tanh(conv(x, W1) + b1), W2)}, 3x3 kernels, on images {@code [n, in, h, w]}. */
    static Layer conv(Backend b, int in, int out, RandomSource r) {
        return new Conv(b, in, out, r);
    }

    private static final class Conv extends AbstractComponent implements Layer {
        private final Parameter w1;
        private final Parameter b1;
        private final Parameter w2;

        Conv(Backend b, int in, int out, RandomSource r) {
            int hidden = 4;
            w1 = parameter("w1", r.normal(b, DType.FLOAT64, Shape.of(hidden, in, 3, 3), 0, 0.3));
            b1 = parameter("b1", r.normal(b, DType.FLOAT64, Shape.of(1, hidden, 1, 1), 0, 0.1));
            w2 = parameter("w2", r.normal(b, DType.FLOAT64, Shape.of(out, hidden, 3, 3), 0, 0.2));
        }

        @Override
        public Tensor apply(Tensor x) {
            return x.conv2d(w1.value()).add(b1.value()).tanh().conv2d(w2.value());
        }
    }
}
