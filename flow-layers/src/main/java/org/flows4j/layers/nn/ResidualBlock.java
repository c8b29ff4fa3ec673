package org.flows4j.layers.nn;

import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Layer;

/** A pre-activation residual block: {@code h + conv2(relu(conv1(relu(h))))}, 3x3 convolutions of one width. */
final class ResidualBlock extends AbstractComponent implements Layer {

    private final Conv2d conv1;
    private final Conv2d conv2;

    /** Each convolution from its own {@code ctx.split()}, {@code conv1} first. */
    ResidualBlock(BuildContext ctx, int width) {
        this.conv1 = child("conv1", new Conv2d(ctx.split(), width, width, 3, true, false));
        this.conv2 = child("conv2", new Conv2d(ctx.split(), width, width, 3, true, false));
    }

    @Override
    public Tensor apply(Tensor h) {
        return h.add(conv2.applyToRelu(conv1.applyToRelu(h)));
    }
}
