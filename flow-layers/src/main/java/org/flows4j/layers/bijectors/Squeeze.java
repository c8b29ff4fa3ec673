package org.flows4j.layers.bijectors;

import java.util.Map;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.tensor.Tensor;

/**
 * RealNVP's squeeze: each {@code 2 x 2 x c} block of an image {@code [n, c, h, w]} becomes a
 * {@code 1 x 1 x 4c} one, giving {@code [n, 4c, h/2, w/2]}. Output channel {@code 4k + 2i + j}
 * holds input channel {@code k} at offset {@code (i, j)} of the block. A rearrangement, so
 * {@code log|det| = 0}.
 */
public final class Squeeze implements Bijector {

    @Override
    public Transformed forward(Tensor x) {
        if (x.rank() != 4 || x.shape().dim(2) % 2 != 0 || x.shape().dim(3) % 2 != 0) {
            throw new IllegalArgumentException("Squeeze: input of shape " + x.shape()
                    + " is not a batch of images [n, c, h, w] with even h and w");
        }
        int n = x.shape().dim(0);
        int c = x.shape().dim(1);
        int h = x.shape().dim(2);
        int w = x.shape().dim(3);
        Tensor y = x.reshape(n, c, h / 2, 2, w / 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(n, 4 * c, h / 2, w / 2);
        return new Transformed(y, LogDets.zero(x));
    }

    @Override
    public Transformed inverse(Tensor z) {
        if (z.rank() != 4 || z.shape().dim(1) % 4 != 0) {
            throw new IllegalArgumentException(
                    "Squeeze.inverse: input of shape " + z.shape() + " is not a batch of images [n, 4c, h, w]");
        }
        int n = z.shape().dim(0);
        int c = z.shape().dim(1) / 4;
        int h = z.shape().dim(2);
        int w = z.shape().dim(3);
        Tensor x = z.reshape(n, c, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3).reshape(n, c, 2 * h, 2 * w);
        return new Transformed(x, LogDets.zero(z));
    }

    @Override
    public Map<String, Parameter> variables() {
        return Map.of();
    }
}
