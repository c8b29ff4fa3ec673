package org.flows4j.layers.bijectors;

import java.util.ArrayList;
import java.util.List;
import org.flows4j.api.Shape;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.Events;

/**
 * The multi-scale architecture of RealNVP and Glow. The input image passes through levels;
 * each level's steps (a squeeze, then flow steps) map it to a tensor of known shape, and every
 * level but the last factors out the second half of the channels: that half leaves the flow
 * (optionally through a {@link SplitPrior}) and only the first half goes on to the next level.
 * The latent is the concatenation of everything factored out, flattened per sample, followed
 * by the last level's output: {@code [n, D]}, {@code D} the input's elements per sample.
 *
 * <p>Factoring out is a bijection (a reordering), so the log-det is the sum of the levels'
 * and priors' log-dets, and the inverse takes the latent apart in the same order.
 */
public final class MultiScale extends AbstractComponent implements Bijector {

    /**
     * One level: its steps, the shape of one sample after them, and the prior of the half
     * it factors out (ignored on the last level; null for none).
     *
     * @param steps the level's bijector (squeeze, then flow steps), registered as {@code level<i>}
     * @param outputShape the shape {@code [c, h, w]} of one sample after {@code steps}; {@code c} even on
     *     every level but the last
     * @param prior the learned prior of the factored-out half, registered as {@code prior<i>}; null for
     *     none, ignored on the last level
     */
    public record Level(Bijector steps, Shape outputShape, SplitPrior prior) {}

    private final Shape inputShape;
    private final List<Level> levels;
    private final int[] factoredSizes;

    /**
     * Levels over images of {@code inputShape} ({@code [c, h, w]}); each level but the last
     * must end with an even number of channels.
     *
     * @param inputShape the shape {@code [c, h, w]} of one input sample, without the batch axis
     * @param levels the levels, first applied first, copied; at least one, and together their factored-out
     *     halves and the last level's output must account for every element of {@code inputShape}
     * @throws IllegalArgumentException if {@code levels} is empty, a level but the last ends with an odd
     *     number of channels, or the sizes do not add up to {@code inputShape.size()}
     */
    public MultiScale(Shape inputShape, List<Level> levels) {
        if (levels.isEmpty()) {
            throw new IllegalArgumentException("a multi-scale flow needs at least one level");
        }
        this.inputShape = inputShape;
        this.levels = List.copyOf(levels);
        this.factoredSizes = new int[levels.size()];
        int total = 0;
        for (int i = 0; i < levels.size(); i++) {
            Level l = levels.get(i);
            child("level" + i, l.steps());
            Shape out = l.outputShape();
            boolean last = i == levels.size() - 1;
            if (!last) {
                if (out.dim(0) % 2 != 0) {
                    throw new IllegalArgumentException("level " + i + " ends with " + out.dim(0)
                            + " channels; factoring out half needs an even number");
                }
                factoredSizes[i] = out.size() / 2;
                if (l.prior() != null) {
                    child("prior" + i, l.prior());
                }
            } else {
                factoredSizes[i] = out.size();
            }
            total += factoredSizes[i];
        }
        if (total != inputShape.size()) {
            throw new IllegalArgumentException("the levels' shapes account for " + total + " elements but the input "
                    + inputShape + " has " + inputShape.size());
        }
    }

    /**
     * The shape of one input sample.
     *
     * @return the event shape {@code [c, h, w]}, without the batch axis
     */
    public Shape inputShape() {
        return inputShape;
    }

    /**
     * The latent size per sample (equal to the input's).
     *
     * @return {@code D}, the elements per sample; the latent is {@code [batch, D]}
     */
    public int latentSize() {
        return inputShape.size();
    }

    @Override
    public Transformed forward(Tensor x) {
        int n = x.shape().dim(0);
        if (!x.shape().equals(Events.batchShape(n, inputShape))) {
            throw new IllegalArgumentException(
                    "MultiScale: input of shape " + x.shape() + " is not a batch of " + inputShape);
        }
        List<Tensor> latents = new ArrayList<>();
        Tensor h = x;
        Tensor logDet = LogDets.zero(x);
        for (int i = 0; i < levels.size(); i++) {
            Level l = levels.get(i);
            Transformed t = l.steps().forward(h);
            h = t.value();
            logDet = logDet.add(t.logDet());
            if (i < levels.size() - 1) {
                int c = h.shape().dim(1);
                List<Tensor> halves = h.split(1, c / 2, c / 2);
                Tensor kept = halves.get(0);
                Tensor out = halves.get(1);
                if (l.prior() != null) {
                    Transformed p = l.prior().forward(out, kept);
                    out = p.value();
                    logDet = logDet.add(p.logDet());
                }
                latents.add(out.reshape(n, -1));
                h = kept;
            }
        }
        latents.add(h.reshape(n, -1));
        return new Transformed(Tensor.concat(1, latents), logDet);
    }

    @Override
    public Transformed inverse(Tensor z) {
        if (z.rank() != 2 || z.shape().dim(1) != latentSize()) {
            throw new IllegalArgumentException(
                    "MultiScale.inverse: latent of shape " + z.shape() + " is not [n, " + latentSize() + "]");
        }
        int n = z.shape().dim(0);
        List<Tensor> parts = z.split(1, factoredSizes);
        Tensor logDet = LogDets.zero(z);
        int last = levels.size() - 1;
        Tensor h = parts.get(last).reshape(Events.batchShape(n, levels.get(last).outputShape()));
        for (int i = last; i >= 0; i--) {
            Level l = levels.get(i);
            if (i < last) {
                Shape out = l.outputShape();
                Shape half = Shape.of(out.dims()).withDim(0, out.dim(0) / 2);
                Tensor factored = parts.get(i).reshape(Events.batchShape(n, half));
                if (l.prior() != null) {
                    Transformed p = l.prior().inverse(factored, h);
                    factored = p.value();
                    logDet = logDet.add(p.logDet());
                }
                h = Tensor.concat(1, h, factored);
            }
            Transformed t = l.steps().inverse(h);
            h = t.value();
            logDet = logDet.add(t.logDet());
        }
        return new Transformed(h, logDet);
    }

    /**
     * Initializes each level's steps on the batch as it flows through the levels, one level's
     * intermediates at a time. Each level's steps run once
     * ({@link Bijector#initializeThrough}): the pass that initializes them gives the next level
     * its input.
     */
    @Override
    public void initialize(Tensor x) {
        Autodiff.noGrad(() -> {
            Tensor h = x;
            for (int i = 0; i < levels.size(); i++) {
                try (MemoryScope level = MemoryScope.open()) {
                    Tensor out = levels.get(i).steps().initializeThrough(h);
                    h = level.keep(
                            i < levels.size() - 1 ? out.slice(1, 0, out.shape().dim(1) / 2) : out);
                }
            }
            return null;
        });
    }

    @Override
    public boolean isInitialized() {
        for (Level l : levels) {
            if (!l.steps().isInitialized()) {
                return false;
            }
        }
        return true;
    }
}
