package org.flows4j.layers.bijectors;

import java.util.ArrayList;
import java.util.List;
import org.flows4j.api.Shape;
import org.flows4j.api.tensor.Tensor;

/**
 * The monotonic rational-quadratic spline of Neural Spline Flows (Durkan, Bekasov, Murray and
 * Papamakarios, 2019) as an element transform, for couplings ({@link Coupling#of}) and for
 * autoregressive flows ({@link MaskedAutoregressive}).
 *
 * <p><b>Knots.</b> {@code K} bins cover {@code [-B, B]} in both {@code x} and {@code y}; outside
 * it the map is the identity (linear tails, log-det 0). From the conditioner's {@code 3K - 1}
 * raw outputs per element ({@code K} widths, {@code K} heights, {@code K - 1} derivatives, in
 * that order):
 * <pre>
 *   w_k = w_min + (1 - K w_min) softmax(u^w)_k,     x_k = -B + 2B sum_{i&lt;k} w_i   (x_0 = -B, x_K = B)
 *   h_k = h_min + (1 - K h_min) softmax(u^h)_k,     y_k = -B + 2B sum_{i&lt;k} h_i
 *   d_k = d_min + softplus(u^d_k + ln(e^(1 - d_min) - 1))  for the K - 1 inner knots,  d_0 = d_K = 1
 * </pre>
 * The shift inside the softplus makes a raw output of 0 a derivative of exactly 1, so a
 * zero-initialized conditioner (uniform bins, unit derivatives) gives the identity, and the
 * outer derivatives of 1 make the spline continuously differentiable into the tails.
 *
 * <p><b>Forward</b> in bin {@code k}, with {@code xi = (x - x_k) / (x_(k+1) - x_k)},
 * {@code s_k = (y_(k+1) - y_k) / (x_(k+1) - x_k)}:
 * <pre>
 *   y = y_k + (y_(k+1) - y_k) [s_k xi^2 + d_k xi (1 - xi)] / [s_k + (d_(k+1) + d_k - 2 s_k) xi (1 - xi)]
 *   dy/dx = s_k^2 [d_(k+1) xi^2 + 2 s_k xi (1 - xi) + d_k (1 - xi)^2] / [s_k + (d_(k+1) + d_k - 2 s_k) xi (1 - xi)]^2
 * </pre>
 * <b>Inverse</b>: {@code xi} is the root in {@code [0, 1]} of {@code a xi^2 + b xi + c = 0} with
 * {@code a = (y_(k+1) - y_k)(s_k - d_k) + (y - y_k) m}, {@code b = (y_(k+1) - y_k) d_k - (y - y_k) m},
 * {@code c = -s_k (y - y_k)}, {@code m = d_(k+1) + d_k - 2 s_k}, taken as
 * {@code xi = 2c / (-b - sqrt(b^2 - 4ac))}: the textbook {@code (-b + sqrt(.)) / 2a} cancels
 * catastrophically when {@code a} is small (near-linear bins), this form does not.
 *
 * <p>The bin of each element is found by comparing with the inner knots; the selected bin's
 * quantities are taken with a one-hot mask, so everything is made of differentiable tensor
 * operations that run on every backend. Inputs are clamped to {@code [-B, B]} before the spline
 * is evaluated, so tail elements never produce a NaN that could leak into gradients.
 *
 * <p>Defaults ({@link #builder()}): {@code K = 8}, {@code B = 3}, minimum bin width, height and
 * derivative {@code 1e-3} (nflows' defaults). Immutable.
 */
public final class RationalQuadraticSpline implements CouplingTransform {

    private final int bins;
    private final double bound;
    private final double minBinWidth;
    private final double minBinHeight;
    private final double minDerivative;
    private final double derivativeShift;

    private RationalQuadraticSpline(Builder b) {
        this.bins = b.bins;
        this.bound = b.bound;
        this.minBinWidth = b.minBinWidth;
        this.minBinHeight = b.minBinHeight;
        this.minDerivative = b.minDerivative;
        this.derivativeShift = Math.log(Math.expm1(1 - minDerivative));
    }

    /**
     * A builder with the defaults: 8 bins on [-3, 3], minimum width, height and derivative 1e-3.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The number of bins {@code K}.
     *
     * @return {@code K}, at least 2
     */
    public int bins() {
        return bins;
    }

    /**
     * The half-width {@code B} of the interval {@code [-B, B]} the bins cover.
     *
     * @return {@code B}, positive and finite
     */
    public double bound() {
        return bound;
    }

    /** {@code 3K - 1}: widths, heights and the inner derivatives. */
    @Override
    public int parameterCount() {
        return 3 * bins - 1;
    }

    @Override
    public Result forward(Tensor x, List<Tensor> params) {
        return spline(x, params, false);
    }

    @Override
    public Result inverse(Tensor y, List<Tensor> params) {
        return spline(y, params, true);
    }

    private Result spline(Tensor input, List<Tensor> params, boolean inverse) {
        if (params.size() != parameterCount()) {
            throw new IllegalArgumentException("RationalQuadraticSpline with " + bins + " bins takes "
                    + parameterCount() + " parameter tensors, got " + params.size());
        }
        Shape shape = input.shape();
        int b = shape.dim(0);
        int n = input.size() / Math.max(1, b);
        int k = bins;
        Tensor v = input.reshape(b, n);
        Tensor uw = stack(params, 0, k, b, n);
        Tensor uh = stack(params, k, k, b, n);
        Tensor ud = stack(params, 2 * k, k - 1, b, n);

        Tensor widths = softmax(uw).mul(1 - minBinWidth * k).add(minBinWidth);
        Tensor heights = softmax(uh).mul(1 - minBinHeight * k).add(minBinHeight);
        Tensor ones = Tensor.full(input.backend(), input.dtype(), Shape.of(b, n, 1), 1);
        Tensor zeros = Tensor.full(input.backend(), input.dtype(), Shape.of(b, n, 1), 0);
        Tensor lo = ones.mul(-bound);
        Tensor hi = ones.mul(bound);
        Tensor xInner = cumulative(widths, input);
        Tensor yInner = cumulative(heights, input);
        Tensor xKnots = Tensor.concat(2, lo, xInner, hi);
        Tensor yKnots = Tensor.concat(2, lo, yInner, hi);
        Tensor derivatives =
                Tensor.concat(2, ones, ud.add(derivativeShift).softplus().add(minDerivative), ones);

        // the bin: 1 for each inner knot at or below the (clamped) value, then first differences
        Tensor clamped = v.clamp(-bound, bound);
        Tensor inner = inverse ? yInner : xInner;
        Tensor below = Tensor.concat(2, ones, clamped.reshape(b, n, 1).ge(inner), zeros);
        Tensor onehot = below.slice(2, 0, k).sub(below.slice(2, 1, k + 1));

        Tensor xk = select(xKnots.slice(2, 0, k), onehot);
        Tensor wk = select(xKnots.slice(2, 1, k + 1).sub(xKnots.slice(2, 0, k)), onehot);
        Tensor yk = select(yKnots.slice(2, 0, k), onehot);
        Tensor hk = select(yKnots.slice(2, 1, k + 1).sub(yKnots.slice(2, 0, k)), onehot);
        Tensor dk = select(derivatives.slice(2, 0, k), onehot);
        Tensor dk1 = select(derivatives.slice(2, 1, k + 1), onehot);
        Tensor s = hk.div(wk);
        Tensor m = dk1.add(dk).sub(s.mul(2));

        Tensor out;
        Tensor xi;
        if (!inverse) {
            xi = clamped.sub(xk).div(wk);
            Tensor t = xi.mul(xi.neg().add(1));
            Tensor numerator = hk.mul(s.mul(xi.square()).add(dk.mul(t)));
            out = yk.add(numerator.div(s.add(m.mul(t))));
        } else {
            Tensor dy = clamped.sub(yk);
            Tensor a = hk.mul(s.sub(dk)).add(dy.mul(m));
            Tensor bq = hk.mul(dk).sub(dy.mul(m));
            Tensor c = s.mul(dy).neg();
            Tensor discriminant = bq.square().sub(a.mul(c).mul(4)).maximum(zeros.reshape(b, n));
            xi = c.mul(2).div(bq.neg().sub(discriminant.sqrt()));
            out = xi.mul(wk).add(xk);
        }
        Tensor t = xi.mul(xi.neg().add(1));
        Tensor oneMinus = xi.neg().add(1);
        Tensor derivNumerator = dk1.mul(xi.square()).add(s.mul(t).mul(2)).add(dk.mul(oneMinus.square()));
        Tensor logDerivative = s.log()
                .mul(2)
                .add(derivNumerator.log())
                .sub(s.add(m.mul(t)).log().mul(2));
        if (inverse) {
            logDerivative = logDerivative.neg();
        }
        Tensor inside = v.ge(lo.reshape(b, n)).mul(v.le(hi.reshape(b, n)));
        Tensor value = Tensor.where(inside, out, v);
        Tensor logDet = Tensor.where(inside, logDerivative, zeros.reshape(b, n));
        return new Result(value.reshape(shape), logDet.reshape(shape));
    }

    /** Parameters {@code from .. from + count - 1}, each {@code [b, ...]}, as {@code [b, n, count]}. */
    private static Tensor stack(List<Tensor> params, int from, int count, int b, int n) {
        List<Tensor> parts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            parts.add(params.get(from + i).reshape(b, n, 1));
        }
        return count == 1 ? parts.get(0) : Tensor.concat(2, parts);
    }

    /** {@code softmax} over the last axis, as {@code exp(u - logsumexp(u))}. */
    private static Tensor softmax(Tensor u) {
        return u.sub(u.logSumExp(true, 2)).exp();
    }

    /** The inner knots {@code -B + 2B sum_{i<j} w_i}, {@code j = 1 .. K-1}, by a product with a triangular 0/1 matrix. */
    private Tensor cumulative(Tensor fractions, Tensor like) {
        int k = bins;
        double[] tri = new double[k * (k - 1)];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k - 1; j++) {
                tri[i * (k - 1) + j] = i <= j ? 1 : 0;
            }
        }
        Tensor sum = fractions.matmul(Tensor.of(like.backend(), like.dtype(), tri, Shape.of(k, k - 1)));
        return sum.mul(2 * bound).sub(bound);
    }

    /** The entries of {@code values [b, n, K]} in each element's bin: {@code sum_k onehot_k values_k}. */
    private static Tensor select(Tensor values, Tensor onehot) {
        return values.mul(onehot).sum(2);
    }

    @Override
    public String toString() {
        return "RationalQuadraticSpline(" + bins + " bins on [" + -bound + ", " + bound + "])";
    }

    /** Settings of a {@link RationalQuadraticSpline}, validated by {@link #build()}. */
    public static final class Builder {

        private int bins = 8;
        private double bound = 3;
        private double minBinWidth = 1e-3;
        private double minBinHeight = 1e-3;
        private double minDerivative = 1e-3;

        private Builder() {}

        /**
         * The number of bins {@code K} (default 8).
         *
         * @param bins the number of bins, at least 2 (checked by {@link #build()})
         * @return this builder
         */
        public Builder bins(int bins) {
            this.bins = bins;
            return this;
        }

        /**
         * The half-width {@code B} of the spline's interval {@code [-B, B]} (default 3).
         *
         * @param bound {@code B}, positive and finite (checked by {@link #build()}); outside {@code [-B, B]}
         *     the map is the identity
         * @return this builder
         */
        public Builder bound(double bound) {
            this.bound = bound;
            return this;
        }

        /**
         * The smallest bin width as a fraction of {@code 2B} (default 1e-3).
         *
         * @param minBinWidth the fraction, in {@code [0, 1 / bins)} (checked by {@link #build()})
         * @return this builder
         */
        public Builder minBinWidth(double minBinWidth) {
            this.minBinWidth = minBinWidth;
            return this;
        }

        /**
         * The smallest bin height as a fraction of {@code 2B} (default 1e-3).
         *
         * @param minBinHeight the fraction, in {@code [0, 1 / bins)} (checked by {@link #build()})
         * @return this builder
         */
        public Builder minBinHeight(double minBinHeight) {
            this.minBinHeight = minBinHeight;
            return this;
        }

        /**
         * The smallest derivative at an inner knot (default 1e-3).
         *
         * @param minDerivative the floor, in {@code (0, 1)} (checked by {@link #build()})
         * @return this builder
         */
        public Builder minDerivative(double minDerivative) {
            this.minDerivative = minDerivative;
            return this;
        }

        /**
         * The spline.
         *
         * @return a new immutable spline with these settings; the builder can be reused
         * @throws IllegalArgumentException naming the setting out of range: {@code bins >= 2},
         *     {@code bound > 0} and finite, {@code 0 <= minBinWidth, minBinHeight < 1 / bins},
         *     {@code 0 < minDerivative < 1}
         */
        public RationalQuadraticSpline build() {
            if (bins < 2) {
                throw new IllegalArgumentException("RationalQuadraticSpline: bins must be >= 2, got " + bins);
            }
            if (!(bound > 0) || Double.isInfinite(bound)) {
                throw new IllegalArgumentException(
                        "RationalQuadraticSpline: bound must be positive and finite, got " + bound);
            }
            if (!(minBinWidth >= 0 && minBinWidth * bins < 1)) {
                throw new IllegalArgumentException("RationalQuadraticSpline: minBinWidth must be in [0, 1/bins), got "
                        + minBinWidth + " for " + bins + " bins");
            }
            if (!(minBinHeight >= 0 && minBinHeight * bins < 1)) {
                throw new IllegalArgumentException("RationalQuadraticSpline: minBinHeight must be in [0, 1/bins), got "
                        + minBinHeight + " for " + bins + " bins");
            }
            if (!(minDerivative > 0 && minDerivative < 1)) {
                throw new IllegalArgumentException(
                        "RationalQuadraticSpline: minDerivative must be in (0, 1), got " + minDerivative);
            }
            return new RationalQuadraticSpline(this);
        }
    }
}
