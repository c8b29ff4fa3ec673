package org.flows4j.layers.bijectors;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Events;
import org.flows4j.layers.nn.Made;

/**
 * A masked autoregressive transform: an element transform {@code g} whose parameters for
 * dimension {@code i} come from a {@link Made} of the dimensions before {@code i} in its
 * ordering (and of an optional context {@code c}):
 * <pre>
 *   z_i = g(x_i; theta_i(x_&lt;i, c)),   log|det dz/dx| = sum_i log|g'(x_i; theta_i)|
 * </pre>
 * With {@link LocationScale} it is MAF's Gaussian MADE
 * {@code z_i = (x_i - mu_i(x_<i)) exp(-alpha_i(x_<i))}; with a
 * {@link RationalQuadraticSpline} it is the autoregressive neural spline flow (NSF-AR).
 *
 * <p><b>Cost.</b> The forward (density) direction is one pass of the MADE: every
 * {@code theta_i} depends on {@code x} alone. The inverse (sampling) direction is {@code D}
 * sequential passes: starting from {@code x = 0}, pass {@code k} recomputes {@code theta} from
 * the current {@code x} and inverts {@code g}, which makes the {@code k}-th dimension of the
 * ordering exact (it depends only on the {@code k - 1} before it, exact already), so after
 * {@code D} passes all are, and the last pass's log-det is the inverse's. Used the other way
 * round ({@link Inverse}) it is an IAF: sampling in one pass, density in {@code D}.
 *
 * <p>Inputs {@code [batch, D]}; context {@code [batch, c]}. Slots: {@code made.*}.
 */
public final class MaskedAutoregressive extends AbstractComponent implements Bijector {

    private final Made made;
    private final CouplingTransform transform;
    private final int features;

    private MaskedAutoregressive(Made made, CouplingTransform transform) {
        this.made = child("made", made);
        this.transform = transform;
        this.features = made.features();
    }

    /**
     * An unconditional transform over {@code ordering.size()} features, its MADE built by
     * {@code network} with {@code transform.parameterCount()} outputs per feature from {@code ctx}.
     *
     * @param ctx makes and initializes the MADE's parameters; its random source advances
     * @param ordering the autoregressive order of the features; its size is the number of features
     * @param transform the element transform; its parameter count sizes the MADE's output
     * @param network the MADE architecture
     * @return the transform, over inputs {@code [batch, ordering.size()]}
     * @throws NullPointerException naming the argument that is null
     */
    public static MaskedAutoregressive of(
            BuildContext ctx, Made.Ordering ordering, CouplingTransform transform, Made.Spec network) {
        return of(ctx, ordering, transform, network, 0);
    }

    /**
     * A transform conditioned on a context of {@code contextSize} features (0: none), its MADE
     * built by {@code network} with {@code transform.parameterCount()} outputs per feature.
     *
     * @param ctx makes and initializes the MADE's parameters; its random source advances
     * @param ordering the autoregressive order of the features; its size is the number of features
     * @param transform the element transform; its parameter count sizes the MADE's output
     * @param network the MADE architecture
     * @param contextSize the number of context features, {@code [batch, contextSize]}; 0 for none
     * @return the transform, over inputs {@code [batch, ordering.size()]}
     * @throws NullPointerException naming the argument that is null
     * @throws IllegalArgumentException naming {@code contextSize} if it is negative
     */
    public static MaskedAutoregressive of(
            BuildContext ctx, Made.Ordering ordering, CouplingTransform transform, Made.Spec network, int contextSize) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(ordering, "ordering");
        Objects.requireNonNull(transform, "transform");
        Objects.requireNonNull(network, "network");
        return new MaskedAutoregressive(
                network.create(ctx, ordering, transform.parameterCount(), contextSize), transform);
    }

    /**
     * The conditioner.
     *
     * @return the MADE, registered as the child {@code made}
     */
    public Made made() {
        return made;
    }

    /**
     * The element transform.
     *
     * @return the transform applied to each feature
     */
    public CouplingTransform transform() {
        return transform;
    }

    /**
     * The context features (0 for none).
     *
     * @return the MADE's context size, {@code >= 0}
     */
    public int contextSize() {
        return made.contextSize();
    }

    private void check(Tensor x) {
        if (x.rank() != 2 || x.shape().dim(1) != features) {
            throw new IllegalArgumentException(
                    "MaskedAutoregressive: input must be [batch, " + features + "], got " + x.shape());
        }
    }

    private List<Tensor> params(Tensor x, Tensor context) {
        Tensor c = context == null
                ? null
                : org.flows4j.api.flow.Flow.broadcastContext(
                        "MaskedAutoregressive", context, x.shape().dim(0));
        Tensor h = made.apply(x, c);
        int k = transform.parameterCount();
        if (k == 1) {
            return List.of(h);
        }
        int[] sizes = new int[k];
        Arrays.fill(sizes, features);
        return h.split(1, sizes);
    }

    @Override
    public Transformed forward(Tensor x) {
        return forward(x, null);
    }

    @Override
    public Transformed inverse(Tensor z) {
        return inverse(z, null);
    }

    /** One pass: {@code z = g(x; theta(x, c))}. */
    @Override
    public Transformed forward(Tensor x, Tensor context) {
        check(x);
        CouplingTransform.Result r = transform.forward(x, params(x, context));
        return new Transformed(r.value(), logDet(x, r));
    }

    /**
     * {@code D} passes, each making one more dimension of the ordering exact. Without gradients
     * (sampling), every pass but the last frees its MADE activations before the next begins, so
     * memory stays that of one pass rather than growing with {@code D}.
     */
    @Override
    @SuppressWarnings("try") // the scope is opened for its close()
    public Transformed inverse(Tensor z, Tensor context) {
        check(z);
        Tensor x = Tensor.zeros(z.backend(), z.dtype(), z.shape().dims());
        boolean recording = Autodiff.isRecording();
        for (int pass = 0; pass < features - 1; pass++) {
            if (recording) {
                x = transform.inverse(z, params(x, context)).value();
            } else {
                try (MemoryScope scope = MemoryScope.open()) {
                    x = scope.keep(transform.inverse(z, params(x, context)).value());
                }
            }
        }
        CouplingTransform.Result r = transform.inverse(z, params(x, context));
        return new Transformed(r.value(), logDet(z, r));
    }

    private static Tensor logDet(Tensor x, CouplingTransform.Result r) {
        return r.logDet() == null ? LogDets.zero(x) : Events.sumPerSample(r.logDet());
    }

    @Override
    public String toString() {
        return "MaskedAutoregressive(" + made + ", " + transform + ")";
    }
}
