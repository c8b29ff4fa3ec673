package org.flows4j.layers.bijectors;

import java.util.Arrays;
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
 * NICE's diagonal scaling layer: {@code h = S x} with {@code S = diag(exp(s))}, so
 * {@code log|det| = sum_d log|S_dd| = sum_d s_d}. The exponential keeps {@code S} invertible;
 * it lets NICE weight latent dimensions by importance.
 *
 * <p>Two ways to start:
 *
 * <ul>
 *   <li>{@link #DiagonalScaling(BuildContext, Shape) new DiagonalScaling(ctx, shape)}: {@code s = 0},
 *       the identity, usable at once.
 *   <li>{@link #dataInitialized(BuildContext, Shape)}: {@code s} is set by {@link #initialize} from a
 *       batch, {@code s_d = -ln(max(std_d, MIN_STD))} with {@code std_d} the standard deviation of
 *       component {@code d} over the batch, so that the first outputs have unit variance per
 *       component, as actnorm does without its bias. On images this matters: a pixel that is
 *       almost constant over the data (a border pixel, dequantization noise of width 1/256) has a
 *       log-density around {@code 6.8} nats higher once scaled, which the identity start has to
 *       climb to by gradient steps. Whether it ran is a state slot ({@code initialized}), saved with
 *       the model; using the layer before that fails with an explanation.
 * </ul>
 */
public final class DiagonalScaling extends AbstractComponent implements Bijector {

    /** The floor on the standard deviation used by data-dependent initialization (as {@link ActNorm#MIN_STD}). */
    public static final double MIN_STD = ActNorm.MIN_STD;

    private final Shape eventShape;
    private final Parameter logScale;
    /** Null for the identity start; otherwise 0 until {@link #initialize} ran, then 1. */
    private final Parameter initialized;

    /**
     * A scaling of events of {@code eventShape} that starts at the identity ({@code s = 0}), its
     * parameter made by {@code ctx} (nothing is drawn).
     *
     * @param ctx makes the parameter (backend and dtype); draws nothing from its random source
     * @param eventShape the shape of one event, without the batch axis; one scale per element
     * @throws NullPointerException if an argument is null
     */
    public DiagonalScaling(BuildContext ctx, Shape eventShape) {
        this(ctx, eventShape, false);
    }

    private DiagonalScaling(BuildContext ctx, Shape eventShape, boolean dataInit) {
        Objects.requireNonNull(ctx, "ctx");
        this.eventShape = Objects.requireNonNull(eventShape, "eventShape");
        this.logScale = parameter("logScale", ctx.zeros(eventShape));
        this.initialized = dataInit ? state("initialized", Tensor.scalar(ctx.backend(), ctx.dtype(), 0)) : null;
    }

    /**
     * A scaling of events of {@code eventShape} whose {@code s} is set from data by
     * {@link #initialize} ({@code s_d = -ln(max(std_d, MIN_STD))}); until then, or until a
     * checkpoint is loaded into it, it refuses to run.
     *
     * @param ctx makes the parameters (backend and dtype); draws nothing from its random source
     * @param eventShape the shape of one event, without the batch axis; one scale per element
     * @return the scaling, not yet initialized
     * @throws NullPointerException if an argument is null
     */
    public static DiagonalScaling dataInitialized(BuildContext ctx, Shape eventShape) {
        return new DiagonalScaling(ctx, eventShape, true);
    }

    /**
     * Whether {@link #initialize} sets this scaling from data.
     *
     * @return true if made by {@link #dataInitialized}, false for the identity start
     */
    public boolean isDataInitialized() {
        return initialized != null;
    }

    @Override
    public boolean isInitialized() {
        return initialized == null || initialized.value().item() != 0;
    }

    /**
     * For a {@linkplain #dataInitialized data-initialized} scaling, sets
     * {@code s_d = -ln(max(std_d, MIN_STD))} from the batch and marks the layer initialized;
     * for the identity start, does nothing.
     *
     * @param x a batch {@code [batch, event shape...]} of this layer's inputs, at least 2 samples
     * @throws IllegalArgumentException if the batch's event shape is not this layer's, or it has
     *     fewer than 2 samples (no standard deviation)
     */
    @Override
    public void initialize(Tensor x) {
        if (initialized == null) {
            return;
        }
        checkShape("initialize: batch", x);
        if (x.shape().dim(0) < 2) {
            throw new IllegalArgumentException("DiagonalScaling.initialize: a batch of "
                    + x.shape().dim(0) + " sample has no standard deviation; give it at least 2");
        }
        Autodiff.noGrad(() -> {
            Tensor mean = x.mean(true, 0);
            Tensor std =
                    x.sub(mean).square().mean(false, 0).sqrt().maximum(Tensor.scalar(x.backend(), x.dtype(), MIN_STD));
            logScale.set(std.log().neg());
            initialized.set(Tensor.scalar(x.backend(), x.dtype(), 1));
            return null;
        });
    }

    private void checkShape(String what, Tensor x) {
        if (x.rank() != eventShape.rank() + 1
                || !Shape.of(Arrays.copyOfRange(x.shape().dims(), 1, x.rank())).equals(eventShape)) {
            throw new IllegalArgumentException(
                    "DiagonalScaling." + what + " of shape " + x.shape() + " does not have event shape " + eventShape);
        }
    }

    private void checkInitialized() {
        if (!isInitialized()) {
            throw new IllegalStateException("DiagonalScaling (data-initialized) was never initialized: call "
                    + "initialize(batch) on the flow with a batch of training data (or load a checkpoint) before "
                    + "using it");
        }
    }

    @Override
    public Transformed forward(Tensor x) {
        checkInitialized();
        Tensor s = logScale.value();
        return new Transformed(x.mul(s.exp()), LogDets.constant(x, s.sum()));
    }

    @Override
    public Transformed inverse(Tensor z) {
        checkInitialized();
        Tensor s = logScale.value();
        return new Transformed(z.mul(s.neg().exp()), LogDets.constant(z, s.sum().neg()));
    }
}
