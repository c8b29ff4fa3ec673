package org.flows4j.layers.nn;

import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Layer;

/**
 * A network architecture without its sizes: {@code (in, out) -> network}. A coupling layer
 * knows how many inputs its conditioner sees and how many outputs its transform needs, so
 * it is given a factory and fills the sizes in itself (see
 * {@link org.flows4j.layers.bijectors.Coupling#of(BuildContext, org.flows4j.layers.bijectors.Mask,
 * org.flows4j.layers.bijectors.CouplingTransform, NetworkFactory)}).
 *
 * <p>{@code in} and {@code out} are features for networks of vectors ({@link Mlp#hidden})
 * and channels for convolutional networks of images ({@link ResNet#width},
 * {@link GlowNet#hidden}). The specs made by those methods are immutable values, reusable
 * for any number of networks.
 *
 * <p>Implemented by the specs here and by users (a lambda will do).
 */
@FunctionalInterface
public interface NetworkFactory {

    /**
     * A fresh network from {@code in} to {@code out} features or channels, its parameters
     * made and initialized by {@code ctx}.
     *
     * @param ctx makes and initializes the parameters; its random source advances as the network's
     *     Javadoc states
     * @param in the input features (vectors) or channels (images), {@code > 0}
     * @param out the output features or channels, {@code > 0}
     * @return a new network, owned by the caller (a coupling registers it as its child)
     * @throws IllegalArgumentException if {@code in} or {@code out} is not positive
     */
    Layer create(BuildContext ctx, int in, int out);
}
