package org.flows4j.api.flow;

import java.util.LinkedHashMap;
import java.util.Map;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.Tensor;

/**
 * A normalizing flow: a base distribution on the latent space and a bijector from data to
 * latent. {@code log p(x) = log p_Z(f(x)) + log|det df/dx|}; sampling draws {@code z} from the
 * base and returns {@code f^-1(z)}.
 *
 * <p>Safe for concurrent inference ({@link #logProb}, {@link #sample}, {@link #encode},
 * {@link #decode}) from several threads; training is single-threaded.
 */
public final class Flow implements Component {

    private final Bijector bijector;
    private final Distribution base;

    /**
     * A flow of {@code bijector} (data to latent) over {@code base}.
     *
     * @param bijector the map from data to latent; its output shape is the base's event shape
     * @param base the distribution of the latent code
     */
    public Flow(Bijector bijector, Distribution base) {
        this.bijector = bijector;
        this.base = base;
    }

    /**
     * The data-to-latent bijector.
     *
     * @return the bijector given at construction
     */
    public Bijector bijector() {
        return bijector;
    }

    /**
     * The base distribution on the latent space.
     *
     * @return the distribution given at construction
     */
    public Distribution base() {
        return base;
    }

    /**
     * {@code log p(x)} per sample, {@code [batch]}.
     *
     * @param x the data batch, {@code [batch, ...]}
     * @return the log-density of each sample in nats, {@code [batch]}
     * @throws IllegalStateException if a layer needs {@link #initialize} and has not had it
     */
    public Tensor logProb(Tensor x) {
        checkInitialized();
        Transformed t = bijector.forward(x);
        return base.logProb(t.value()).add(t.logDet());
    }

    /**
     * {@code n} samples at temperature 1.
     *
     * @param n the number of samples
     * @param random the source of the base's noise; it advances
     * @return the samples, {@code [n, ...]} in data space
     * @throws IllegalStateException if a layer needs {@link #initialize} and has not had it
     */
    public Tensor sample(int n, RandomSource random) {
        return sample(n, random, 1.0);
    }

    /**
     * {@code n} samples with the base's standard deviation scaled by {@code temperature}.
     *
     * @param n the number of samples
     * @param random the source of the base's noise; it advances
     * @param temperature the factor on the base's standard deviation, 1 for the model itself
     * @return the samples, {@code [n, ...]} in data space
     * @throws IllegalStateException if a layer needs {@link #initialize} and has not had it
     */
    public Tensor sample(int n, RandomSource random, double temperature) {
        checkInitialized();
        return bijector.inverse(base.sample(n, random, temperature)).value();
    }

    /**
     * {@code log p(x | c) = log p_Z(f(x; c) | c) + log|det df/dx|} per sample, {@code [batch]}:
     * the density of a conditional flow, whose bijector and base may both depend on the
     * context. {@code context} is {@code [c]} (the same for every sample, broadcast) or
     * {@code [batch, c]} (one per sample); null is {@link #logProb(Tensor)}.
     *
     * @param x the data batch, {@code [batch, ...]}
     * @param context the context, {@code [c]} or {@code [batch, c]}, or null for none
     * @return the log-density of each sample in nats, {@code [batch]}
     * @throws IllegalArgumentException naming {@code context} if its shape is neither
     */
    public Tensor logProb(Tensor x, Tensor context) {
        if (context == null) {
            return logProb(x);
        }
        checkInitialized();
        Tensor c = broadcastContext("logProb", context, x.shape().dim(0));
        Transformed t = bijector.forward(x, c);
        return base.logProb(t.value(), c).add(t.logDet());
    }

    /**
     * {@code n} samples given {@code context} ({@code [c]} for all, or {@code [n, c]}), at temperature 1.
     *
     * @param n the number of samples
     * @param context the context, {@code [c]} or {@code [n, c]}, or null for none
     * @param random the source of the base's noise; it advances
     * @return the samples, {@code [n, ...]} in data space
     * @throws IllegalArgumentException naming {@code context} if its shape is neither
     */
    public Tensor sample(int n, Tensor context, RandomSource random) {
        return sample(n, context, random, 1.0);
    }

    /**
     * {@code n} samples {@code x = f^-1(z; c)}, {@code z ~ p_Z(. | c)} at {@code temperature}:
     * {@code context} is {@code [c]} (broadcast to all {@code n}) or {@code [n, c]} (one per
     * sample); null is {@link #sample(int, RandomSource, double)}.
     *
     * @param n the number of samples
     * @param context the context, {@code [c]} or {@code [n, c]}, or null for none
     * @param random the source of the base's noise; it advances
     * @param temperature the factor on the base's standard deviation, 1 for the model itself
     * @return the samples, {@code [n, ...]} in data space
     * @throws IllegalArgumentException naming {@code context} if its shape is neither
     */
    public Tensor sample(int n, Tensor context, RandomSource random, double temperature) {
        if (context == null) {
            return sample(n, random, temperature);
        }
        checkInitialized();
        Tensor c = broadcastContext("sample", context, n);
        return bijector.inverse(base.sample(n, c, random, temperature), c).value();
    }

    /**
     * A context as {@code [n, c]}: a {@code [c]} context repeated for every sample, an
     * {@code [n, c]} one as it is.
     *
     * @param who the calling operation's name, used only in the error message
     * @param context the context, {@code [c]} or {@code [n, c]}
     * @param n the number of samples
     * @return the context as {@code [n, c]}: a broadcast view of a {@code [c]} context, or
     *     {@code context} itself
     * @throws IllegalArgumentException naming {@code context} for any other shape
     */
    public static Tensor broadcastContext(String who, Tensor context, int n) {
        if (context.rank() == 1) {
            int c = context.shape().dim(0);
            return context.reshape(1, c).broadcastTo(org.flows4j.api.Shape.of(n, c));
        }
        if (context.rank() == 2 && context.shape().dim(0) == n) {
            return context;
        }
        throw new IllegalArgumentException(
                who + ": context must be [c] or [" + n + ", c] for " + n + " samples, got " + context.shape());
    }

    /**
     * A sample and its log-density under this flow, from one inverse pass.
     *
     * @param n the number of samples
     * @param random the source of the base's noise; it advances
     * @return the samples, {@code [n, ...]}, and their log-densities, {@code [n]}
     * @throws IllegalStateException if a layer needs {@link #initialize} and has not had it
     */
    public Sample sampleAndLogProb(int n, RandomSource random) {
        return sampleAndLogProb(n, random, 1.0);
    }

    /**
     * Samples at {@code temperature} with their log-density under this flow (at temperature
     * 1, since that is the model's density), from one inverse pass:
     * {@code log p(x) = log p_Z(z) - log|det df^-1/dz|}.
     *
     * @param n the number of samples
     * @param random the source of the base's noise; it advances
     * @param temperature the factor on the base's standard deviation; the densities are the model's
     * @return the samples, {@code [n, ...]}, and their log-densities in nats, {@code [n]}
     * @throws IllegalStateException if a layer needs {@link #initialize} and has not had it
     */
    public Sample sampleAndLogProb(int n, RandomSource random, double temperature) {
        checkInitialized();
        Tensor z = base.sample(n, random, temperature);
        Transformed t = bijector.inverse(z);
        return new Sample(t.value(), base.logProb(z).sub(t.logDet()));
    }

    /**
     * A batch of samples with their log-densities.
     *
     * @param value the samples in data space, {@code [n, ...]}
     * @param logProb the log-density of each sample under the flow, in nats, {@code [n]}
     */
    public record Sample(Tensor value, Tensor logProb) {}

    /**
     * The latent code {@code z = f(x)}.
     *
     * @param x the data batch, {@code [batch, ...]}
     * @return the latent codes, {@code [batch, ...]} in the base's event shape
     * @throws IllegalStateException if a layer needs {@link #initialize} and has not had it
     */
    public Tensor encode(Tensor x) {
        checkInitialized();
        return bijector.forward(x).value();
    }

    /**
     * The data point {@code x = f^-1(z)}.
     *
     * @param z the latent batch, {@code [batch, ...]} in the base's event shape
     * @return the data points, {@code [batch, ...]}
     * @throws IllegalStateException if a layer needs {@link #initialize} and has not had it
     */
    public Tensor decode(Tensor z) {
        checkInitialized();
        return bijector.inverse(z).value();
    }

    /**
     * The latent code {@code z = f(x; c)} of a conditional flow: {@code context} is {@code [c]}
     * (broadcast) or {@code [batch, c]}; null is {@link #encode(Tensor)}.
     *
     * @param x the data batch, {@code [batch, ...]}
     * @param context the context, {@code [c]} or {@code [batch, c]}, or null for none
     * @return the latent codes, {@code [batch, ...]}
     * @throws IllegalArgumentException naming {@code context} if its shape is neither
     */
    public Tensor encode(Tensor x, Tensor context) {
        if (context == null) {
            return encode(x);
        }
        checkInitialized();
        return bijector.forward(x, broadcastContext("encode", context, x.shape().dim(0)))
                .value();
    }

    /**
     * The data point {@code x = f^-1(z; c)} of a conditional flow: {@code context} is {@code [c]}
     * (broadcast) or {@code [batch, c]}; null is {@link #decode(Tensor)}.
     *
     * @param z the latent batch, {@code [batch, ...]}
     * @param context the context, {@code [c]} or {@code [batch, c]}, or null for none
     * @return the data points, {@code [batch, ...]}
     * @throws IllegalArgumentException naming {@code context} if its shape is neither
     */
    public Tensor decode(Tensor z, Tensor context) {
        if (context == null) {
            return decode(z);
        }
        checkInitialized();
        return bijector.inverse(z, broadcastContext("decode", context, z.shape().dim(0)))
                .value();
    }

    /**
     * Runs the bijector's data-dependent initialization (actnorm, NICE's data-initialized scaling) on a batch, without recording gradients.
     *
     * @param batch a representative batch of training data, {@code [batch, ...]}
     */
    public void initialize(Tensor batch) {
        Autodiff.noGrad(() -> {
            bijector.initialize(batch);
            return null;
        });
    }

    /**
     * Whether every part that needs data-dependent initialization has it.
     *
     * @return true if no part needs initialization or every one has had it (from {@link #initialize} or
     *     a checkpoint); false means the flow's passes throw
     */
    public boolean isInitialized() {
        return bijector.isInitialized();
    }

    private void checkInitialized() {
        if (!bijector.isInitialized()) {
            throw new IllegalStateException(
                    "this flow has layers with data-dependent initialization (actnorm, NICE's data-initialized scaling) that "
                            + "were never initialized: call initialize(batch) with a batch of training data first, "
                            + "or load a checkpoint");
        }
    }

    /** The bijector's slots under {@code bijector.}, then the base's under {@code base.}. */
    @Override
    public Map<String, Parameter> variables() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        bijector.variables().forEach((k, v) -> out.put("bijector." + k, v));
        base.variables().forEach((k, v) -> out.put("base." + k, v));
        return out;
    }

    @Override
    public void setTraining(boolean training) {
        bijector.setTraining(training);
        base.setTraining(training);
    }
}
