package org.flows4j.layers.bijectors;

import java.util.ArrayList;
import java.util.List;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;

/**
 * The composition of bijectors, applied in list order in the forward (data to latent)
 * direction: {@code f = f_n o ... o f_1}, {@code log|det df/dx| = sum_i log|det df_i|}.
 * The inverse applies the inverses in reverse order. Parts are named by their index.
 */
public final class Chain extends AbstractComponent implements Bijector {

    private final List<Bijector> parts;

    /**
     * The composition of {@code parts}, first applied first.
     *
     * @param parts the bijectors in forward order, copied; an empty list is the identity
     */
    public Chain(List<? extends Bijector> parts) {
        this.parts = List.copyOf(parts);
        for (int i = 0; i < this.parts.size(); i++) {
            child(Integer.toString(i), this.parts.get(i));
        }
    }

    /**
     * The composition of {@code parts}, first applied first.
     *
     * @param parts the bijectors in forward order; none gives the identity
     * @return the chain
     */
    public static Chain of(Bijector... parts) {
        return new Chain(List.of(parts));
    }

    /**
     * The parts, in forward order.
     *
     * @return the unmodifiable list of direct parts (nested chains are not flattened)
     */
    public List<Bijector> parts() {
        return parts;
    }

    @Override
    public Transformed forward(Tensor x) {
        return forward(x, null);
    }

    @Override
    public Transformed inverse(Tensor z) {
        return inverse(z, null);
    }

    /**
     * Each part in order, every one given the same context. When no gradient is recorded
     * (evaluation, sampling, initialization), each part runs in a memory scope of its own that
     * keeps only its value and the running log-determinant, so a deep chain holds one part's
     * intermediates at a time instead of all of them; with gradients, the tape needs them all.
     */
    @Override
    public Transformed forward(Tensor x, Tensor context) {
        boolean scoped = !Autodiff.isRecording();
        Tensor h = x;
        Tensor logDet = null;
        for (Bijector b : parts) {
            try (MemoryScope part = scoped ? MemoryScope.open() : null) {
                Transformed t = b.forward(h, context);
                h = keep(part, t.value());
                logDet = keep(part, logDet == null ? t.logDet() : logDet.add(t.logDet()));
            }
        }
        return new Transformed(h, logDet == null ? LogDets.zero(x) : logDet);
    }

    /**
     * Each part's inverse in reverse order, every one given the same context; scoped part by
     * part when no gradient is recorded, as {@link #forward(Tensor, Tensor)}.
     */
    @Override
    public Transformed inverse(Tensor z, Tensor context) {
        boolean scoped = !Autodiff.isRecording();
        Tensor h = z;
        Tensor logDet = null;
        for (int i = parts.size() - 1; i >= 0; i--) {
            try (MemoryScope part = scoped ? MemoryScope.open() : null) {
                Transformed t = parts.get(i).inverse(h, context);
                h = keep(part, t.value());
                logDet = keep(part, logDet == null ? t.logDet() : logDet.add(t.logDet()));
            }
        }
        return new Transformed(h, logDet == null ? LogDets.zero(z) : logDet);
    }

    /** {@code t} moved out of {@code part} (a tensor of another scope stays where it is), or {@code t} if no scope. */
    private static Tensor keep(MemoryScope part, Tensor t) {
        return part == null ? t : part.keep(t);
    }

    /**
     * Initializes each part on the batch as the parts before it transform it; nothing (no pass
     * at all) when no part needs it, so a chain of conditional parts, whose forward pass needs a
     * context, can be initialized without one.
     */
    @Override
    public void initialize(Tensor x) {
        if (!isInitialized()) {
            initializeThrough(x);
        }
    }

    /**
     * Initializes each part as {@link #initialize} does, and returns what the initialized chain
     * makes of {@code x} (the value of {@code forward(x)}), from the same pass: a caller that
     * needs both, as {@link MultiScale} does level by level, runs the chain once, not twice, and
     * so does a chain nested in this one. An initialized chain is only run forward.
     */
    @Override
    public Tensor initializeThrough(Tensor x) {
        if (isInitialized()) {
            return Autodiff.noGrad(() -> forward(x).value());
        }
        return Autodiff.noGrad(() -> {
            Tensor h = x;
            for (Bijector b : parts) {
                // one part's intermediates at a time: the initialization batch is larger than a training batch
                try (MemoryScope part = MemoryScope.open()) {
                    h = part.keep(b.initializeThrough(h));
                }
            }
            return h;
        });
    }

    @Override
    public boolean isInitialized() {
        for (Bijector b : parts) {
            if (!b.isInitialized()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Flattens nested chains, for display and introspection.
     *
     * @return a new list of the leaf bijectors in forward order, no {@code Chain} among them
     */
    public List<Bijector> flatten() {
        List<Bijector> out = new ArrayList<>();
        for (Bijector b : parts) {
            if (b instanceof Chain c) {
                out.addAll(c.flatten());
            } else {
                out.add(b);
            }
        }
        return out;
    }
}
