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

    /** A flow of {@code bijector} (data to latent) over {@code base}. */
    public Flow(Bijector bijector, Distribution base) {
        this.bijector = bijector;
        this.base = base;
    }

    /** The data-to-latent bijector. */
    public Bijector bijector() {
        return bijector;
    }

    /** The base distribution on the latent space. */
    public Distribution base() {
        return base;
    }

    /** {@code log p(x)} per sample, {@code [batch]}. */
    public Tensor logProb(Tensor x) {
        checkInitialized();
        Transformed t = bijector.forward(x);
        return base.logProb(t.value()).add(t.logDet());
    }

    /** {@code n} samples at temperature 1. */
    public Tensor sample(int n, RandomSource random) {
        return sample(n, random, 1.0);
    }

    /** {@code n} samples with the base's standard deviation scaled by {@code temperature}. */
    public Tensor sample(int n, RandomSource random, double temperature) {
        checkInitialized();
        return bijector.inverse(base.sample(n, random, temperature)).value();
    }

    /** A sample and its log-density under this flow, from one inverse pass. */
    public Sample sampleAndLogProb(int n, RandomSource random) {
        return sampleAndLogProb(n, random, 1.0);
    }

    /**
     * Samples at {@code temperature} with their log-density under this flow (at temperature
     * 1, since that is the model's density), from one inverse pass:
     * {@code log p(x) = log p_Z(z) - log|det df^-1/dz|}.
     */
    public Sample sampleAndLogProb(int n, RandomSource random, double temperature) {
        checkInitialized();
        Tensor z = base.sample(n, random, temperature);
        Transformed t = bijector.inverse(z);
        return new Sample(t.value(), base.logProb(z).sub(t.logDet()));
    }

    /** A batch of samples with their log-densities. */
    public record Sample(Tensor value, Tensor logProb) {
    }

    /** The latent code {@code z = f(x)}. */
    public Tensor encode(Tensor x) {
        checkInitialized();
        return bijector.forward(x).value();
    }

    /** The data point {@code x = f^-1(z)}. */
    public Tensor decode(Tensor z) {
        checkInitialized();
        return bijector.inverse(z).value();
    }

    /** Runs the bijector's data-dependent initialization (actnorm) on a batch, without recording gradients. */
    public void initialize(Tensor batch) {
        Autodiff.noGrad(() -> {
            bijector.initialize(batch);
            return null;
        });
    }

    /** Whether every part that needs data-dependent initialization has it. */
    public boolean isInitialized() {
        return bijector.isInitialized();
    }

    private void checkInitialized() {
        if (!bijector.isInitialized()) {
            throw new IllegalStateException("this flow has layers with data-dependent initialization (actnorm) that "
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
