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
 * Batch normalization as a bijector (RealNVP, section 3.7), per channel of axis 1:
 * {@code y = (x - mu) / sqrt(var + eps) * exp(g) + beta}, with
 * {@code log|det| = (pixels per channel) * sum_c (g_c - ln(var_c + eps) / 2)}.
 *
 * <p>In training mode the forward pass uses the batch's mean and (biased) variance, through
 * which gradients flow, and updates running averages ({@code runningMean}, {@code runningVar},
 * state slots) with {@code momentum}. In evaluation mode, and always in the inverse pass
 * (sampling has no batch to take statistics from), the running averages are used, so the
 * map is a fixed bijection and the inverse is exact.
 */
public final class BatchNorm extends AbstractComponent implements Bijector {

    private final int channels;
    private final double momentum;
    private final double epsilon;
    private final Parameter logGamma;
    private final Parameter beta;
    private final Parameter runningMean;
    private final Parameter runningVar;

    /**
     * A batch normalization over {@code channels} channels of inputs of the given rank (2 or
     * 4), its parameters made by {@code ctx} (nothing is drawn).
     *
     * @param ctx makes the parameters (backend and dtype); draws nothing from its random source
     * @param channels the size of axis 1 of the inputs
     * @param rank the rank of the inputs, batch axis included: 2 for {@code [batch, features]}, 4 for
     *     {@code [batch, channels, height, width]}
     * @param momentum the weight of each training batch's statistics in the running averages, in
     *     {@code (0, 1]} (1 keeps only the latest batch)
     * @param epsilon added to the variance before the square root, {@code > 0}
     * @throws IllegalArgumentException unless {@code 0 < momentum <= 1} and {@code epsilon > 0}
     */
    public BatchNorm(BuildContext ctx, int channels, int rank, double momentum, double epsilon) {
        Objects.requireNonNull(ctx, "ctx");
        if (!(momentum > 0 && momentum <= 1) || !(epsilon > 0)) {
            throw new IllegalArgumentException(
                    "batch norm needs momentum in (0, 1] and epsilon > 0, got " + momentum + " and " + epsilon);
        }
        this.channels = channels;
        this.momentum = momentum;
        this.epsilon = epsilon;
        Shape shape = Shape.of(LogDets.channelShape(channels, rank));
        this.logGamma = parameter("logGamma", ctx.zeros(shape));
        this.beta = parameter("beta", ctx.zeros(shape));
        this.runningMean = state("runningMean", ctx.zeros(shape));
        this.runningVar = state("runningVar", ctx.full(shape, 1));
    }

    /**
     * With RealNVP's momentum 0.05 and epsilon 1e-4.
     *
     * @param ctx makes the parameters (backend and dtype); draws nothing from its random source
     * @param channels the size of axis 1 of the inputs
     * @param rank the rank of the inputs, batch axis included: 2 for {@code [batch, features]}, 4 for
     *     {@code [batch, channels, height, width]}
     */
    public BatchNorm(BuildContext ctx, int channels, int rank) {
        this(ctx, channels, rank, 0.05, 1e-4);
    }

    private void check(Tensor x) {
        if (x.rank() != logGamma.shape().rank() || x.shape().dim(1) != channels) {
            throw new IllegalArgumentException("BatchNorm: input of shape " + x.shape() + " does not have " + channels
                    + " channels on axis 1 and rank " + logGamma.shape().rank());
        }
    }

    private static int[] reduceAxes(int rank) {
        int[] axes = new int[rank - 1];
        for (int i = 1; i < rank; i++) {
            axes[i - 1] = i == 1 ? 0 : i;
        }
        return axes;
    }

    @Override
    public Transformed forward(Tensor x) {
        check(x);
        Tensor mean;
        Tensor var;
        if (isTraining() && x.shape().dim(0) > 1) {
            int[] axes = reduceAxes(x.rank());
            mean = x.mean(true, axes);
            var = x.sub(mean).square().mean(true, axes);
            Tensor m = mean;
            Tensor v = var;
            Autodiff.noGrad(() -> {
                runningMean.set(
                        runningMean.value().mul(1 - momentum).add(m.detach().mul(momentum)));
                runningVar.set(
                        runningVar.value().mul(1 - momentum).add(v.detach().mul(momentum)));
                return null;
            });
        } else {
            mean = runningMean.value();
            var = runningVar.value();
        }
        Tensor logStd = var.add(epsilon).log().mul(0.5);
        Tensor g = logGamma.value();
        Tensor y = x.sub(mean).mul(g.sub(logStd).exp()).add(beta.value());
        return new Transformed(y, LogDets.constant(x, g.sub(logStd).sum().mul(LogDets.spatialSize(x))));
    }

    @Override
    public Transformed inverse(Tensor z) {
        check(z);
        Tensor logStd = runningVar.value().add(epsilon).log().mul(0.5);
        Tensor g = logGamma.value();
        Tensor x = z.sub(beta.value()).mul(logStd.sub(g).exp()).add(runningMean.value());
        return new Transformed(x, LogDets.constant(z, logStd.sub(g).sum().mul(LogDets.spatialSize(z))));
    }
}
