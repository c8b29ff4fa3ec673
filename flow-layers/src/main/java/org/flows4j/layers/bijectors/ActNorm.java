package org.flows4j.layers.bijectors;

import java.util.Objects;
import org.flows4j.api.Shape;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.BuildContext;

/**
 * Glow's activation normalization: a per-channel affine map {@code y = (x + b) * exp(s)} over
 * axis 1 (channels of an image, features of a vector), with
 * {@code log|det| = (pixels per channel) * sum_c s_c}.
 *
 * <p>Data-dependent initialization ({@link #initialize}) sets {@code b = -mean} and
 * {@code s = -ln(max(std, MIN_STD))} per channel over a batch, so the first outputs have zero
 * mean and unit variance; the floor keeps a tiny or constant batch from producing an infinite
 * scale. Whether it ran is a state slot ({@code initialized}), saved with the model; using
 * the layer before that fails with an explanation.
 */
public final class ActNorm extends AbstractComponent implements Bijector {

    /** The floor on the standard deviation used by initialization. */
    public static final double MIN_STD = 1e-3;

    private final int channels;
    private final Parameter bias;
    private final Parameter logScale;
    private final Parameter initialized;

    /**
     * An actnorm over {@code channels} channels of inputs of the given rank (2 for vectors, 4
     * for images), its parameters made by {@code ctx} (nothing is drawn: they are set by
     * {@link #initialize}).
     *
     * @param ctx makes the parameters (backend and dtype); draws nothing from its random source
     * @param channels the size of axis 1 of the inputs
     * @param rank the rank of the inputs, batch axis included: 2 for {@code [batch, features]}, 4 for
     *     {@code [batch, channels, height, width]}
     * @throws NullPointerException if {@code ctx} is null
     */
    public ActNorm(BuildContext ctx, int channels, int rank) {
        Objects.requireNonNull(ctx, "ctx");
        this.channels = channels;
        Shape shape = Shape.of(LogDets.channelShape(channels, rank));
        this.bias = parameter("bias", ctx.zeros(shape));
        this.logScale = parameter("logScale", ctx.zeros(shape));
        this.initialized = state("initialized", Tensor.scalar(ctx.backend(), ctx.dtype(), 0));
    }

    private void check(Tensor x) {
        if (x.rank() != bias.shape().rank() || x.shape().dim(1) != channels) {
            throw new IllegalArgumentException("ActNorm: input of shape " + x.shape() + " does not have " + channels
                    + " channels on axis 1 and rank " + bias.shape().rank());
        }
        if (!isInitialized()) {
            throw new IllegalStateException("ActNorm was never initialized: call initialize(batch) on the flow "
                    + "with a batch of training data (or load a checkpoint) before using it");
        }
    }

    @Override
    public boolean isInitialized() {
        return initialized.value().item() != 0;
    }

    @Override
    public void initialize(Tensor x) {
        if (x.rank() != bias.shape().rank() || x.shape().dim(1) != channels) {
            throw new IllegalArgumentException("ActNorm.initialize: batch of shape " + x.shape() + " does not have "
                    + channels + " channels on axis 1");
        }
        Autodiff.noGrad(() -> {
            int[] axes = reduceAxes(x.rank());
            Tensor mean = x.mean(true, axes);
            Tensor std = x.sub(mean)
                    .square()
                    .mean(true, axes)
                    .sqrt()
                    .maximum(Tensor.scalar(x.backend(), x.dtype(), MIN_STD));
            bias.set(mean.neg());
            logScale.set(std.log().neg());
            initialized.set(Tensor.scalar(x.backend(), x.dtype(), 1));
            return null;
        });
    }

    private static int[] reduceAxes(int rank) {
        int[] axes = new int[rank - 1];
        axes[0] = 0;
        for (int i = 2; i < rank; i++) {
            axes[i - 1] = i;
        }
        return axes;
    }

    @Override
    public Transformed forward(Tensor x) {
        check(x);
        Tensor s = logScale.value();
        Tensor y = x.add(bias.value()).mul(s.exp());
        return new Transformed(y, LogDets.constant(x, s.sum().mul(LogDets.spatialSize(x))));
    }

    @Override
    public Transformed inverse(Tensor z) {
        check(z);
        Tensor s = logScale.value();
        Tensor x = z.mul(s.neg().exp()).sub(bias.value());
        return new Transformed(x, LogDets.constant(z, s.sum().mul(-LogDets.spatialSize(z))));
    }
}
