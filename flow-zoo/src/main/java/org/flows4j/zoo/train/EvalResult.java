package org.flows4j.zoo.train;

/**
 * A held-out evaluation: the mean negative log-likelihood per example, in nats of the data as
 * the model sees it (for images: scaled to {@code [0, 1]}, as NICE reports it, so NICE's
 * paper figure reads 1980.50 with the sign flipped), and for images the bits per dimension
 * in pixel space ({@code -log2 p(x) / D}, {@code x} the dequantized pixels in {@code [0, 256)}).
 *
 * @param n examples evaluated
 * @param nllNats mean negative log-likelihood per example, nats
 * @param bitsPerDim bits per dimension in pixel space, or NaN for non-image data
 */
public record EvalResult(int n, double nllNats, double bitsPerDim) {

    /**
     * Whether bits per dimension apply (image data).
     *
     * @return whether {@link #bitsPerDim()} is a number rather than NaN
     */
    public boolean hasBitsPerDim() {
        return !Double.isNaN(bitsPerDim);
    }
}
