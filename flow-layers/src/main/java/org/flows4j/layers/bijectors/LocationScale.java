package org.flows4j.layers.bijectors;

import java.util.List;
import java.util.Objects;
import org.flows4j.api.tensor.Tensor;

/**
 * MAF's Gaussian element transform (Papamakarios, Pavlakou and Murray, 2017, eq. 4 inverted):
 * with a location {@code mu} and a log-scale {@code alpha = scale(h_alpha)} from the
 * conditioner's two outputs (location first),
 * <pre>
 *   z = (x - mu) exp(-alpha),   log|dz/dx| = -alpha,   x = z exp(alpha) + mu.
 * </pre>
 * So {@code z} is the standardized {@code x} under {@code N(mu, exp(alpha)^2)}, and a stack of
 * these over a standard normal is a stack of Gaussian MADEs. {@link CouplingTransform.Scale#EXP}
 * ({@code alpha = h}) is the paper's unbounded form; {@code TANH} bounds {@code |alpha| < 1}.
 */
public final class LocationScale implements CouplingTransform {

    private final Scale scale;

    private LocationScale(Scale scale) {
        this.scale = scale;
    }

    /**
     * The transform with {@code alpha = scale(h)}.
     *
     * @param scale how the conditioner's raw output {@code h_alpha} becomes the log-scale {@code alpha}
     * @return the transform
     * @throws NullPointerException if {@code scale} is null
     */
    public static LocationScale of(Scale scale) {
        return new LocationScale(Objects.requireNonNull(scale, "scale"));
    }

    /**
     * The paper's form, {@code alpha = h} unbounded.
     *
     * @return the transform with {@link CouplingTransform.Scale#EXP}
     */
    public static LocationScale gaussian() {
        return of(Scale.EXP);
    }

    /**
     * The log-scale function.
     *
     * @return the function that bounds {@code alpha}
     */
    public Scale scale() {
        return scale;
    }

    @Override
    public int parameterCount() {
        return 2;
    }

    @Override
    public Result forward(Tensor x, List<Tensor> params) {
        Tensor alpha = scale.logScale(params.get(1));
        return new Result(x.sub(params.get(0)).mul(alpha.neg().exp()), alpha.neg());
    }

    @Override
    public Result inverse(Tensor z, List<Tensor> params) {
        Tensor alpha = scale.logScale(params.get(1));
        return new Result(z.mul(alpha.exp()).add(params.get(0)), alpha);
    }

    @Override
    public String toString() {
        return "LocationScale(" + scale + ")";
    }
}
