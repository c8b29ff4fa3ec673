package org.flows4j.layers.bijectors;

import java.util.List;
import org.flows4j.api.tensor.Tensor;

/**
 * The element transform of a coupling layer: how the transformed part changes given the
 * parameters its conditioner predicted. {@link Additive} (NICE) and {@link Affine} (RealNVP,
 * Glow).
 *
 * <p>Implemented here and by users who want another element transform (for example a spline).
 */
public interface CouplingTransform {

    /**
     * NICE's additive transform {@code y = x + m}.
     *
     * @return a new additive transform (one parameter, log-det 0)
     */
    static CouplingTransform additive() {
        return new Additive();
    }

    /**
     * The affine transform {@code y = x exp(s) + t}, {@code s = scale(h_s)}.
     *
     * @param scale how the conditioner's raw output becomes the log-scale {@code s}
     * @return a new affine transform (two parameters: raw log-scale, then shift)
     * @throws NullPointerException if {@code scale} is null
     */
    static CouplingTransform affine(Scale scale) {
        return new Affine(scale);
    }

    /**
     * How many parameter tensors, each of the transformed part's shape, it takes.
     *
     * @return the parameter count {@code k}, {@code >= 1}; the conditioner outputs {@code k} times the
     *     transformed part's size along axis 1
     */
    int parameterCount();

    /**
     * {@code y = g(x; params)} and the per-element {@code log|dy/dx|}, or null where it is 0 everywhere.
     *
     * @param x the transformed part, {@code [batch, n, ...]}
     * @param params the {@link #parameterCount()} parameter tensors, each of {@code x}'s shape, in order
     * @return {@code y} of {@code x}'s shape and the per-element log-derivative (null when 0)
     */
    Result forward(Tensor x, List<Tensor> params);

    /**
     * {@code x = g^-1(y; params)} and the per-element {@code log|dx/dy|}, or null where it is 0 everywhere.
     *
     * @param y the transformed part of the output, {@code [batch, n, ...]}
     * @param params the {@link #parameterCount()} parameter tensors, each of {@code y}'s shape, in order
     * @return {@code x} of {@code y}'s shape and the per-element log-derivative (null when 0)
     */
    Result inverse(Tensor y, List<Tensor> params);

    /**
     * The output and its per-element log-derivative (null for a volume-preserving transform).
     *
     * @param value the transformed elements, of the input's shape
     * @param logDet the per-element log-derivative, of the input's shape; null where it is 0 everywhere
     */
    record Result(Tensor value, Tensor logDet) {}

    /** NICE's additive coupling: {@code y = x + m}; the log-det is 0. */
    final class Additive implements CouplingTransform {

        /** The additive transform. */
        public Additive() {}

        @Override
        public int parameterCount() {
            return 1;
        }

        @Override
        public Result forward(Tensor x, List<Tensor> params) {
            return new Result(x.add(params.get(0)), null);
        }

        @Override
        public Result inverse(Tensor y, List<Tensor> params) {
            return new Result(y.sub(params.get(0)), null);
        }
    }

    /**
     * Affine coupling: {@code y = x * exp(s) + t} with {@code s = scale(h_s)} and {@code t = h_t}
     * from the conditioner's two outputs (log-scale first, shift second); per-element log-det
     * {@code s}. The scale function bounds {@code s} for stability (see {@link Scale}).
     */
    final class Affine implements CouplingTransform {

        private final Scale scale;

        /**
         * An affine transform with the given log-scale function.
         *
         * @param scale how the conditioner's raw output becomes the log-scale {@code s}
         * @throws NullPointerException if {@code scale} is null
         */
        public Affine(Scale scale) {
            this.scale = java.util.Objects.requireNonNull(scale, "scale");
        }

        /**
         * The log-scale function.
         *
         * @return the function this transform bounds its log-scale with
         */
        public Scale scale() {
            return scale;
        }

        @Override
        public int parameterCount() {
            return 2;
        }

        /**
         * {@code y = x * exp(s) + t} and the log-det {@code s}; one backend call
         * ({@link Tensor#affineCoupling}) when {@code s} and {@code t} have {@code x}'s shape, as
         * a coupling's parameters do, the broadcasting composition otherwise.
         */
        @Override
        public Result forward(Tensor x, List<Tensor> params) {
            Tensor s = scale.logScale(params.get(0));
            Tensor t = params.get(1);
            if (sameShape(x, s, t)) {
                return new Result(x.affineCoupling(s, t, false), s);
            }
            return new Result(x.mul(s.exp()).add(t), s);
        }

        /**
         * {@code x = (y - t) * exp(-s)} and the log-det {@code -s}; one backend call when
         * {@code s} and {@code t} have {@code y}'s shape, as for {@link #forward}.
         */
        @Override
        public Result inverse(Tensor y, List<Tensor> params) {
            Tensor s = scale.logScale(params.get(0));
            Tensor t = params.get(1);
            if (sameShape(y, s, t)) {
                return new Result(y.affineCoupling(s, t, true), s.neg());
            }
            return new Result(y.sub(t).mul(s.neg().exp()), s.neg());
        }

        private static boolean sameShape(Tensor x, Tensor s, Tensor t) {
            return x.shape().equals(s.shape()) && x.shape().equals(t.shape());
        }
    }

    /** The log-scale {@code s} as a function of the conditioner's raw output {@code h}. */
    enum Scale {
        /** {@code s = h}: RealNVP's plain form, unbounded. */
        EXP {
            @Override
            Tensor logScale(Tensor h) {
                return h;
            }
        },
        /** {@code s = tanh(h)}: bounded in (-1, 1), RealNVP's stabilized form. */
        TANH {
            @Override
            Tensor logScale(Tensor h) {
                return h.tanh();
            }
        },
        /**
         * {@code s = max(ln sigmoid(h + 2), S_MIN)}: Glow's scale, below 1 and near 0.88 at
         * {@code h = 0} so that fresh layers shrink slightly rather than blow up, with the floor
         * {@link #SIGMOID_MIN_LOG_SCALE} {@code S_MIN = -10}.
         *
         * <p>Why the floor: {@code ln sigmoid(u) ~ u} for very negative {@code u}, and the
         * inverse multiplies by {@code exp(-s)}, which overflows float32 once {@code h < -90.7}
         * (and gives NaN where {@code y - t = 0}). A conditioner that is fine on data can output
         * that on the out-of-distribution inputs of sampling at temperature 1, and one infinite
         * pixel turns a whole image into NaN through the next layers. Clamping {@code s} at -10
         * bounds every coupling's inverse gain by {@code e^10}; it changes nothing where the
         * scale is above {@code e^-10 ~ 4.5e-5}, far below what training on data produces.
         */
        SIGMOID {
            @Override
            Tensor logScale(Tensor h) {
                return h.add(2.0).logSigmoid().clamp(SIGMOID_MIN_LOG_SCALE, 0.0);
            }
        };

        /** The floor of {@link #SIGMOID}'s log-scale; {@code e^10} bounds its inverse's gain. */
        public static final double SIGMOID_MIN_LOG_SCALE = -10.0;

        abstract Tensor logScale(Tensor h);
    }
}
