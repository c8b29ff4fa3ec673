package org.flows4j.layers.nn;

import org.flows4j.api.Shape;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;

/**
 * The initializations the networks share. Weights and biases are drawn as PyTorch draws them
 * by default for {@code nn.Linear} and {@code nn.Conv2d} (Kaiming uniform with
 * {@code a = sqrt 5}, which works out to {@code U(-1/sqrt(fanIn), 1/sqrt(fanIn))}), so a
 * flows4j network starts from the same distribution of weights as the reference
 * implementations in nflows, normflows and zuko, and their tuned learning rates carry over.
 */
final class Init {

    private Init() {}

    /** {@code 1 / sqrt(fanIn)}: the half-width of PyTorch's default uniform initialization. */
    static double bound(long fanIn) {
        return 1.0 / Math.sqrt((double) fanIn);
    }

    /** Uniform in {@code [-bound, bound)} from {@code ctx.random()}, or zeros (drawing nothing) when {@code zero}. */
    static Tensor uniformOrZeros(BuildContext ctx, Shape shape, double bound, boolean zero) {
        return zero ? ctx.zeros(shape) : ctx.uniform(shape, -bound, bound);
    }

    static void checkPositive(String what, String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(what + ": " + name + " must be positive, got " + value);
        }
    }
}
