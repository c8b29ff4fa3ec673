package org.flows4j.layers.bijectors;

import java.util.Map;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.tensor.Tensor;

/**
 * A fixed scaling {@code y = c x} with {@code log|det| = D ln|c|}, {@code D} the elements per
 * sample. With {@code c = 1/256} it maps dequantized pixels in {@code [0, 256)} to
 * {@code [0, 1)} and its log-det makes the flow's likelihood one of pixel space, so bits per
 * dimension are exact.
 */
public final class Scale implements Bijector {

    private final double factor;

    /**
     * Multiplication by {@code factor} (nonzero and finite).
     *
     * @param factor the constant {@code c}; negative values flip signs, and only {@code |c|} enters the log-det
     * @throws IllegalArgumentException if {@code factor} is 0, infinite or NaN
     */
    public Scale(double factor) {
        if (factor == 0 || !Double.isFinite(factor)) {
            throw new IllegalArgumentException("a scaling factor must be nonzero and finite, got " + factor);
        }
        this.factor = factor;
    }

    private Tensor logDet(Tensor x, double sign) {
        double perSample = (double) x.size() / Math.max(1, x.shape().dim(0)) * Math.log(Math.abs(factor));
        return LogDets.zero(x).add(sign * perSample);
    }

    @Override
    public Transformed forward(Tensor x) {
        LogDets.checkBatched("Scale", x);
        return new Transformed(x.mul(factor), logDet(x, 1));
    }

    @Override
    public Transformed inverse(Tensor z) {
        LogDets.checkBatched("Scale", z);
        return new Transformed(z.div(factor), logDet(z, -1));
    }

    @Override
    public Map<String, Parameter> variables() {
        return Map.of();
    }
}
