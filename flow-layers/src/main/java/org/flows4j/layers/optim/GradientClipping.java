package org.flows4j.layers.optim;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.flows4j.api.DType;
import org.flows4j.api.internal.TensorAccess;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;

/**
 * Gradient clipping by global norm (Pascanu et al. 2013), as PyTorch's
 * {@code clip_grad_norm_} and TensorFlow's {@code clip_by_global_norm}:
 * <pre>
 *   norm = sqrt(sum over every gradient g and element i of g_i^2)
 *   g    = g * maxNorm / norm    when norm &gt; maxNorm, else unchanged
 * </pre>
 * Each gradient's squares are summed by its backend in one read
 * ({@link org.flows4j.api.backend.Backend#sumOfSquares}) and the gradients' sums added in
 * float64, so a float32 model's norm loses none of its small gradients; a float32 sum that
 * overflows is taken again in float64.
 *
 * <p>An optimizer can take the factor itself ({@link Optimizer#step(Map, double)}, with
 * {@link #globalNorm} and {@link #scaleFor}): Adam folds it into its fused update, so the
 * clipped gradients are never written out, with the same bits as {@link #clipByGlobalNorm}
 * followed by a step.
 */
public final class GradientClipping {

    private GradientClipping() {}

    /**
     * The outcome of {@link #clipByGlobalNorm}.
     *
     * @param gradients the gradients to use, in the input's order: the inputs themselves when
     *     not clipped, else scaled copies in the caller's memory scope
     * @param norm the global norm before clipping; NaN or infinite when a gradient is
     * @param scale the factor applied ({@code 1} when nothing was clipped)
     */
    public record Clipped(Map<String, Tensor> gradients, double norm, double scale) {

        /**
         * Copies the map.
         *
         * @param gradients the gradients to use, in the input's order; the map is copied, the tensors are not
         * @param norm the global norm before clipping; NaN or infinite when a gradient is
         * @param scale the factor applied ({@code 1} when nothing was clipped)
         */
        public Clipped {
            gradients = Collections.unmodifiableMap(new LinkedHashMap<>(gradients));
        }

        /**
         * Whether the norm is finite; when not, the gradients were left as they are and the step should be skipped.
         *
         * @return {@code true} if {@link #norm()} is finite
         */
        public boolean isFinite() {
            return Double.isFinite(norm);
        }

        /**
         * Whether the gradients were scaled down.
         *
         * @return {@code true} if {@link #scale()} is not 1, so {@link #gradients()} are new tensors
         */
        public boolean wasClipped() {
            return scale != 1.0;
        }
    }

    /**
     * Scales {@code gradients} down so their global norm is at most {@code maxNorm}. A NaN or
     * infinite norm is reported in the result and the gradients are returned unchanged:
     * scaling would zero them (for an infinite norm) or spread NaN, hiding the problem.
     *
     * @param gradients the gradients by parameter name; not modified
     * @param maxNorm the largest global norm allowed, finite and {@code > 0}
     * @return the gradients to use with the norm before clipping and the factor applied
     * @throws NullPointerException if {@code gradients} is null
     * @throws IllegalArgumentException if {@code maxNorm} is not finite and positive
     */
    @SuppressWarnings("try") // the guard acts by being open
    public static Clipped clipByGlobalNorm(Map<String, Tensor> gradients, double maxNorm) {
        Objects.requireNonNull(gradients, "gradients");
        if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
            throw new IllegalArgumentException("clipByGlobalNorm: maxNorm must be finite and > 0, got " + maxNorm);
        }
        double norm = globalNorm(gradients);
        if (!Double.isFinite(norm) || norm <= maxNorm) {
            return new Clipped(gradients, norm, 1.0);
        }
        double scale = scaleFor(norm, maxNorm);
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (Autodiff.NoGrad noGrad = Autodiff.noGrad()) {
            gradients.forEach((name, g) -> out.put(name, g.mul(scale)));
        }
        return new Clipped(out, norm, scale);
    }

    /**
     * {@code sqrt(sum g_i^2)} over every element of every gradient. Each gradient is read once by
     * its backend's {@link org.flows4j.api.backend.Backend#sumOfSquares}, which squares in the
     * gradient's dtype and sums in at least that precision (the backends of this project add runs
     * of squares into a double), and the per-gradient sums are added in float64: no copy of the
     * gradients is made, where squaring into new arrays and summing those cost two extra passes
     * over memory the size of the model's parameters on every step. Where a float32 sum
     * overflows (an element above about {@code 1.8e19}), that gradient is summed again in
     * float64, so the norm is infinite only when it is.
     *
     * @param gradients the gradients by parameter name; an empty map gives 0
     * @return the global norm, {@code >= 0}; NaN or infinite when a gradient is
     * @throws NullPointerException if a gradient is null
     */
    @SuppressWarnings("try") // the scope and the guard act by being open
    public static double globalNorm(Map<String, Tensor> gradients) {
        double sumSquares = 0;
        try (MemoryScope scope = MemoryScope.open();
                Autodiff.NoGrad noGrad = Autodiff.noGrad()) {
            for (Map.Entry<String, Tensor> e : gradients.entrySet()) {
                Tensor g = Objects.requireNonNull(e.getValue(), () -> "gradient '" + e.getKey() + "'");
                double part = sumOfSquares(g);
                if (Double.isInfinite(part) && g.dtype() != DType.FLOAT64) {
                    part = sumOfSquares(g.to(DType.FLOAT64));
                }
                sumSquares += part;
            }
        }
        return Math.sqrt(sumSquares);
    }

    /** One read of {@code g} by its backend's fused {@link org.flows4j.api.backend.Backend#sumOfSquares}. */
    private static double sumOfSquares(Tensor g) {
        return g.backend().sumOfSquares(TensorAccess.storage(g));
    }

    /**
     * The factor that brings a global norm down to {@code maxNorm}: {@code maxNorm / norm} when
     * the norm is above it, else 1. What {@link #clipByGlobalNorm} multiplies the gradients by, and
     * what an optimizer that takes the factor itself
     * ({@link Optimizer#step(Map, double)}) is given instead.
     *
     * @param norm the global norm, finite and {@code >= 0}
     * @param maxNorm the largest global norm allowed, finite and {@code > 0}
     * @return the factor, in {@code (0, 1]}
     * @throws IllegalArgumentException if {@code norm} is not finite and {@code >= 0}, or {@code maxNorm} not
     *     finite and positive
     */
    public static double scaleFor(double norm, double maxNorm) {
        if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
            throw new IllegalArgumentException("clipping: maxNorm must be finite and > 0, got " + maxNorm);
        }
        if (!(norm >= 0) || Double.isInfinite(norm)) {
            throw new IllegalArgumentException("clipping: the norm must be finite and >= 0, got " + norm);
        }
        return norm > maxNorm ? maxNorm / norm : 1.0;
    }
}
