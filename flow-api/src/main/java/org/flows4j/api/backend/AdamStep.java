package org.flows4j.api.backend;

/**
 * The hyper-parameters of one bias-corrected Adam (or AdamW) update, for the fused
 * {@link Backend#adamUpdate} kernel.
 *
 * <p>With gradient {@code g}, moments {@code m, v} and {@code t = step}:
 * <pre>
 *   g' = g * gradScale + weightDecay * p         (gradScale: 1, or a clipping factor; L2 penalty: 0 to disable)
 *   m  = beta1 * m + (1 - beta1) * g'
 *   v  = beta2 * v + (1 - beta2) * g'^2
 *   p  = p - learningRate * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon)
 * </pre>
 *
 * @param learningRate step size, {@code >= 0} (0, as a schedule may give, leaves the parameter unchanged)
 * @param beta1 first-moment decay in {@code [0, 1)}
 * @param beta2 second-moment decay in {@code [0, 1)}
 * @param epsilon added to the root of the second moment, {@code > 0}
 * @param weightDecay L2 coefficient added to the gradient, {@code >= 0}
 * @param step the 1-based index of this update, used for bias correction
 * @param gradScale the factor the gradient is multiplied by first, rounded to the storage's dtype:
 *     1 for the gradient as it is, or the factor of a clipping by global norm, so that the clipped
 *     gradient is never written out (the product by 1 is exact, so a kernel may always multiply)
 */
public record AdamStep(
        double learningRate,
        double beta1,
        double beta2,
        double epsilon,
        double weightDecay,
        long step,
        double gradScale) {

    /**
     * Validates the ranges above.
     *
     * @param learningRate step size, {@code >= 0} and finite
     * @param beta1 first-moment decay in {@code [0, 1)}
     * @param beta2 second-moment decay in {@code [0, 1)}
     * @param epsilon added to the root of the second moment, {@code > 0}
     * @param weightDecay L2 coefficient added to the gradient, {@code >= 0}
     * @param step the 1-based index of this update, {@code >= 1}
     * @param gradScale the gradient's factor, finite and {@code > 0}
     * @throws IllegalArgumentException if any value is out of its range or NaN
     */
    public AdamStep {
        if (!(gradScale > 0) || Double.isInfinite(gradScale)) {
            throw new IllegalArgumentException(
                    "invalid Adam step: the gradient scale must be finite and > 0, got " + gradScale);
        }
        if (!(learningRate >= 0)
                || Double.isInfinite(learningRate)
                || !(beta1 >= 0 && beta1 < 1)
                || !(beta2 >= 0 && beta2 < 1)
                || !(epsilon > 0)
                || !(weightDecay >= 0)
                || step < 1) {
            throw new IllegalArgumentException("invalid Adam step: " + learningRate + ", " + beta1 + ", " + beta2 + ", "
                    + epsilon + ", " + weightDecay + ", step " + step);
        }
    }

    /**
     * An update of the gradient as it is ({@code gradScale} 1).
     *
     * @param learningRate step size, {@code >= 0} and finite
     * @param beta1 first-moment decay in {@code [0, 1)}
     * @param beta2 second-moment decay in {@code [0, 1)}
     * @param epsilon added to the root of the second moment, {@code > 0}
     * @param weightDecay L2 coefficient added to the gradient, {@code >= 0}
     * @param step the 1-based index of this update, {@code >= 1}
     * @throws IllegalArgumentException if any value is out of its range or NaN
     */
    public AdamStep(double learningRate, double beta1, double beta2, double epsilon, double weightDecay, long step) {
        this(learningRate, beta1, beta2, epsilon, weightDecay, step, 1);
    }

    /**
     * {@code 1 - beta1^step}.
     *
     * @return the divisor that bias-corrects the first moment, in {@code (0, 1]}
     */
    public double firstBiasCorrection() {
        return 1 - Math.pow(beta1, (double) step);
    }

    /**
     * {@code 1 - beta2^step}.
     *
     * @return the divisor that bias-corrects the second moment, in {@code (0, 1]}
     */
    public double secondBiasCorrection() {
        return 1 - Math.pow(beta2, (double) step);
    }
}
