package org.flows4j.layers.nn;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;

/**
 * The initializations the networks share. Weights and biases are drawn as PyTorch draws them
 * by default for {@code nn.Linear} and {@code nn.Conv2d} (Kaiming uniform with
 * {@code a = sqrt 5}, which works out to {@code U(-1/sqrt(fanIn), 1/sqrt(fanIn))}), so a
 * flows4j network starts from the same distribution of weights as the reference
 * implementations in nflows, normflows and zuko, and their tuned learning rates carry over.
 */
final class Init {

    private Init() {
    }

    /** {@code 1 / sqrt(fanIn)}: the half-width of PyTorch's default uniform initialization. */
    static double bound(long fanIn) {
        return 1.0 / Math.sqrt(fanIn);
    }

    /** Uniform in {@code [-bound, bound)}, or zeros (drawing nothing) when {@code zero}. */
    static Tensor uniformOrZeros(Backend backend, DType dtype, Shape shape, double bound, boolean zero,
                                 RandomSource random) {
        return zero ? Tensor.full(backend, dtype, shape, 0) : random.uniform(backend, dtype, shape, -bound, bound);
    }

    static void checkPositive(String what, String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(what + ": " + name + " must be positive, got " + value);
        }
    }
}
