package org.flows4j.layers;

import org.flows4j.api.flow.Component;
import org.flows4j.api.tensor.Tensor;

/**
 * A differentiable function with parameters: the networks that condition coupling layers
 * (MLP, ResNet, Glow's convolutional net) and their parts.
 *
 * <p>Implemented by the networks in {@code org.flows4j.layers.nn} and by users.
 */
public interface Layer extends Component {

    /**
     * The output for a batch ({@code [batch, ...]} in, {@code [batch, ...]} out).
     *
     * @param input the batch, {@code [batch, ...]} with the input shape the layer was built for
     * @return the output, {@code [batch, ...]} with the same batch size
     */
    Tensor apply(Tensor input);
}
