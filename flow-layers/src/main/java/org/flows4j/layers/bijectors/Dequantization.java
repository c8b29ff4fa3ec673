package org.flows4j.layers.bijectors;

import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;

/**
 * Uniform dequantization: integer pixel values {@code k} in {@code 0..255} become
 * {@code k + u}, {@code u ~ U[0, 1)}. A random data transform, not a bijector: the model's
 * continuous density on {@code [0, 256)^D} then lower-bounds the discrete likelihood
 * (Theis et al.), and evaluating it on dequantized data gives the standard bits per dimension.
 */
public final class Dequantization {

    private Dequantization() {}

    /**
     * {@code pixels + u} with fresh uniform noise from {@code random}.
     *
     * @param pixels the integer pixel values, any shape
     * @param random the noise source; advances by {@code pixels.shape().size()} draws
     * @return a new tensor of {@code pixels}' shape, dtype and backend, each value in {@code [k, k + 1)}
     */
    public static Tensor apply(Tensor pixels, RandomSource random) {
        return pixels.add(random.uniform(pixels.backend(), pixels.dtype(), pixels.shape(), 0, 1));
    }
}
