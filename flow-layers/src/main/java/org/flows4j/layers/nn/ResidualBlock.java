package org.flows4j.layers.nn;

import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.Layer;

/** A pre-activation residual block: {@code h + conv2(relu(conv1(relu(h))))}, 3x3 convolutions of one width. */
final class ResidualBlock extends AbstractComponent implements Layer {

    private final Conv2d conv1;
    private final Conv2d conv2;

    ResidualBlock(Backend backend, DType dtype, int width, RandomSource random) {
        this.conv1 = child("conv1", new Conv2d(backend, dtype, width, width, 3, true, false, random.split()));
        this.conv2 = child("conv2", new Conv2d(backend, dtype, width, width, 3, true, false, random.split()));
    }

    static long parameterCount(int width) {
        return 2 * Conv2d.parameterCount(width, width, 3, true);
    }

    @Override
    public Tensor apply(Tensor h) {
        return h.add(conv2.apply(conv1.apply(h.relu()).relu()));
    }
}
