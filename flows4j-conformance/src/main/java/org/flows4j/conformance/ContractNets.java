package org.flows4j.conformance;

import org.flows4j.api.Shape;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Layer;
import org.flows4j.layers.nn.Activation;
import org.flows4j.layers.nn.Mlp;
import org.flows4j.layers.nn.NetworkFactory;

/**
 * Conditioner networks for the bijector contract: smooth (tanh, no ReLU kink for a finite
 * difference to straddle) and random, so that no coupling is the identity. Both are
 * {@link NetworkFactory}s, so the couplings size them from their masks.
 */
final class ContractNets {

    private ContractNets() {}

    /** An MLP with one tanh layer of 8 on vectors {@code [n, in]}, randomly initialized (not zero). */
    static final Mlp.Spec DENSE = Mlp.hidden(8).activation(Activation.TANH).zeroInitLast(false);

    /**
     * {@code conv(tanh(conv(x, W1) + b1), W2)}, 3x3 kernels, on images {@code [n, in, h, w]};
     * the weights are normal draws from the context's random source itself ({@code W1},
     * {@code b1}, {@code W2} in turn).
     */
    static final NetworkFactory CONV = Conv::new;

    private static final class Conv extends AbstractComponent implements Layer {
        private final Parameter w1;
        private final Parameter b1;
        private final Parameter w2;

        Conv(BuildContext ctx, int in, int out) {
            int hidden = 4;
            w1 = parameter("w1", normal(ctx, Shape.of(hidden, in, 3, 3), 0.3));
            b1 = parameter("b1", normal(ctx, Shape.of(1, hidden, 1, 1), 0.1));
            w2 = parameter("w2", normal(ctx, Shape.of(out, hidden, 3, 3), 0.2));
        }

        private static Tensor normal(BuildContext ctx, Shape shape, double std) {
            return ctx.random().normal(ctx.backend(), ctx.dtype(), shape, 0, std);
        }

        @Override
        public Tensor apply(Tensor x) {
            return x.conv2d(w1.value()).add(b1.value()).tanh().conv2d(w2.value());
        }
    }
}
