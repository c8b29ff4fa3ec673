package org.flows4j.api.flow;

import org.flows4j.api.Shape;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;

/**
 * A probability distribution over events of a fixed shape, batched along the first axis.
 *
 * <p>Implemented by layers (standard normal, standard logistic, learned diagonal Gaussian).
 */
public interface Distribution extends Component {

    /**
     * The shape of one event (one sample without the batch axis).
     *
     * @return the event shape, for example {@code [features]} or {@code [c, h, w]}
     */
    Shape eventShape();

    /**
     * {@code log p(x)} per sample: {@code x} is {@code [batch, ...eventShape]}, the result {@code [batch]}.
     *
     * @param x the batch of events, {@code [batch, ...eventShape]}
     * @return the log-density of each event in nats, {@code [batch]}
     */
    Tensor logProb(Tensor x);

    /**
     * {@code n} samples, {@code [n, ...eventShape]}, drawn at {@code temperature}: the standard
     * deviation is scaled by it (Glow's reduced-temperature sampling; 1 is the distribution itself).
     *
     * @param n the number of samples
     * @param random the source of the noise; it advances
     * @param temperature the factor on the standard deviation, 1 for the distribution itself
     * @return the samples, {@code [n, ...eventShape]}
     */
    Tensor sample(int n, RandomSource random, double temperature);

    /**
     * {@code log p(x | c)} per sample, {@code c} of shape {@code [batch, c]} or null. A base
     * distribution that depends on the context (Glow's class-conditional prior) overrides it;
     * the default ignores the context.
     *
     * @param x the batch of events, {@code [batch, ...eventShape]}
     * @param context the context, {@code [batch, c]}, or null for none
     * @return the log-density of each event in nats, {@code [batch]}
     */
    default Tensor logProb(Tensor x, Tensor context) {
        return logProb(x);
    }

    /**
     * {@code n} samples given a context of shape {@code [n, c]} (or null), at
     * {@code temperature}; the default ignores the context.
     *
     * @param n the number of samples
     * @param context the context, {@code [n, c]}, or null for none
     * @param random the source of the noise; it advances
     * @param temperature the factor on the standard deviation, 1 for the distribution itself
     * @return the samples, {@code [n, ...eventShape]}
     */
    default Tensor sample(int n, Tensor context, RandomSource random, double temperature) {
        return sample(n, random, temperature);
    }
}
