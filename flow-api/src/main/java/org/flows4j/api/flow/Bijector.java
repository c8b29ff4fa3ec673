package org.flows4j.api.flow;

import org.flows4j.api.tensor.Tensor;

/**
 * An invertible, differentiable map with a tractable Jacobian determinant.
 *
 * <p><b>Direction.</b> {@link #forward} maps data {@code x} to latent {@code z}: the
 * normalizing direction, {@code f} in the NICE paper, so
 * {@code log p(x) = log p_Z(f(x)) + log|det df/dx|} is one forward pass and sampling is one
 * inverse pass. (nflows and TFP name the directions the other way round; distrax and the
 * papers agree with this one.)
 *
 * <p><b>Contract</b>, checked for every bijector by the contract tests:
 * {@code inverse(forward(x).value).value == x}; the inverse's log-det at {@code z = f(x)} is
 * minus the forward log-det at {@code x}; the log-det equals {@code log|det J|} of the
 * Jacobian computed numerically; results for a sample do not depend on the other samples
 * of the batch (except in batch normalization's training mode), and shapes hold for any
 * batch size. Inputs are {@code [batch, ...]}; log-dets are {@code [batch]}.
 *
 * <p>Implemented by layers and users.
 */
public interface Bijector extends Component {

    /**
     * {@code z = f(x)} and {@code log|det df/dx|} per sample.
     *
     * @param x the data batch, {@code [batch, ...]}
     * @return {@code z} (same batch size) and the log-determinant, {@code [batch]}
     */
    Transformed forward(Tensor x);

    /**
     * {@code x = f^-1(z)} and {@code log|det df^-1/dz|} per sample.
     *
     * @param z the latent batch, {@code [batch, ...]}
     * @return {@code x} (same batch size) and the log-determinant, {@code [batch]}: minus the forward
     *     one at {@code x}
     */
    Transformed inverse(Tensor z);

    /**
     * {@code z = f(x; c)} and {@code log|det df/dx|} given a context {@code c} of shape
     * {@code [batch, c]} (one row per sample; {@link Flow} broadcasts a context of shape
     * {@code [c]} before calling), or null for none. A conditional bijector (a MADE or coupling
     * whose conditioner sees {@code c}) overrides it; composites pass the context on to their
     * parts. The default ignores the context: an unconditional bijector is the same map for
     * every {@code c}.
     *
     * @param x the data batch, {@code [batch, ...]}
     * @param context the context, {@code [batch, c]}, or null for none
     * @return {@code z} (same batch size) and the log-determinant, {@code [batch]}
     */
    default Transformed forward(Tensor x, Tensor context) {
        return forward(x);
    }

    /**
     * {@code x = f^-1(z; c)} and {@code log|det df^-1/dz|} given a context; see
     * {@link #forward(Tensor, Tensor)}.
     *
     * @param z the latent batch, {@code [batch, ...]}
     * @param context the context, {@code [batch, c]}, or null for none
     * @return {@code x} (same batch size) and the log-determinant, {@code [batch]}
     */
    default Transformed inverse(Tensor z, Tensor context) {
        return inverse(z);
    }

    /**
     * Data-dependent initialization from a representative batch (actnorm), called once by a
     * trainer before training. Composites initialize their parts in order, passing the batch
     * forward. Bijectors without such a step do nothing.
     *
     * @param x a representative data batch, {@code [batch, ...]}, as {@link #forward(Tensor)} takes
     */
    default void initialize(Tensor x) {}

    /**
     * Initializes this bijector on {@code x} as {@link #initialize} does and returns what the
     * initialized bijector makes of it, the value of {@code forward(x)}: what a composite needs
     * when it passes the batch on to the parts after this one. The default runs
     * {@link #initialize} and then {@link #forward(Tensor)}; a composite that transforms the batch
     * part by part as it initializes them overrides it to do both in that one pass. Callers run it
     * without recording gradients.
     *
     * @param x a representative data batch, {@code [batch, ...]}, as {@link #forward(Tensor)} takes
     * @return {@code forward(x).value()} of the initialized bijector
     */
    default Tensor initializeThrough(Tensor x) {
        initialize(x);
        return forward(x).value();
    }

    /**
     * Whether {@link #initialize} has run where it is needed; a bijector that needs it and lacks it fails
     * when used.
     *
     * @return true once initialized, and always for bijectors (the default) that need no initialization
     */
    default boolean isInitialized() {
        return true;
    }
}
