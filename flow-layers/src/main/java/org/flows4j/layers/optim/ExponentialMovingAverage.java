package org.flows4j.layers.optim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.tensor.Tensor;

/**
 * An exponential moving average of parameters (Polyak averaging, which Glow evaluates with):
 * after each optimizer step, {@link #update()} sets
 * <pre>
 *   a = decay * a + (1 - decay) * p
 * </pre>
 * The averages start at the parameters' values when this object is made and are <b>not</b>
 * bias-corrected (as TensorFlow's {@code ExponentialMovingAverage} and Glow): starting from
 * the initial values rather than from zero leaves no bias to correct, at the price that the
 * initial values weigh {@code decay^n} after {@code n} updates.
 *
 * <p>To evaluate with the averages, swap them in for a while:
 * <pre>{@code
 * try (ExponentialMovingAverage.Applied averaged = ema.applied()) {
 *     double bpd = evaluate(flow);          // the parameters hold their averages here
 * }                                          // and their trained values again here
 * }</pre>
 * The swap copies nothing: each parameter temporarily shares its average's storage. Do not
 * step an optimizer while it is open (an in-place update would change the average).
 * Single-threaded, like training.
 */
public final class ExponentialMovingAverage {

    private static final String WHO = "ExponentialMovingAverage";

    private final Map<String, Parameter> parameters;
    private final double decay;
    private final Map<String, Tensor> averages = new LinkedHashMap<>();
    private long updates;
    private Applied open;

    /**
     * A moving average of {@code parameters}, starting from copies of their current values, with
     * {@link #updates()} at 0.
     *
     * @param parameters trainable parameters by name, usually {@code module.parameters()}
     * @param decay the weight of the old average, in {@code [0, 1)} (Glow: 0.999)
     */
    public ExponentialMovingAverage(Map<String, Parameter> parameters, double decay) {
        this.decay = OptimSupport.check(WHO, "decay", decay, decay >= 0 && decay < 1, "in [0, 1)");
        this.parameters = OptimSupport.trainable(WHO, parameters);
        this.parameters.forEach(
                (name, p) -> averages.put(name, OptimSupport.copy(p.value()).unscoped()));
    }

    /**
     * The parameters being averaged.
     *
     * @return the trainable parameters by name, in a fixed order
     */
    public Map<String, Parameter> parameters() {
        return parameters;
    }

    /**
     * The decay.
     *
     * @return the weight of the old average, in {@code [0, 1)}
     */
    public double decay() {
        return decay;
    }

    /**
     * How many times {@link #update()} ran since construction or {@link #loadAverages}.
     *
     * @return the update count, {@code >= 0} (as restored by {@link #loadAverages})
     */
    public long updates() {
        return updates;
    }

    /**
     * Folds the current parameter values into the averages.
     *
     * @throws IllegalStateException while the averages are {@linkplain #applied() applied}
     */
    public void update() {
        checkNotApplied("update");
        parameters.forEach((name, p) -> OptimSupport.inStepScope(() -> {
            Tensor old = averages.get(name);
            averages.put(name, old.mul(decay).add(p.value().mul(1 - decay)).unscoped());
            old.free();
        }));
        updates++;
    }

    /**
     * Copies of the averages by parameter name, in the caller's memory scope (for checkpoints).
     *
     * @return an unmodifiable map of new tensors, owned by the caller; later updates leave them unchanged
     */
    public Map<String, Tensor> averages() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        averages.forEach((name, t) -> out.put(name, OptimSupport.copy(t)));
        return Collections.unmodifiableMap(out);
    }

    /**
     * Replaces the averages (from {@link #averages()}), checking every name, shape and dtype
     * before changing anything, and sets {@link #updates()}.
     *
     * @param state the averages by parameter name, each of its parameter's shape and dtype; copied, so
     *     still the caller's
     * @param updates the update count to continue from, {@code >= 0}
     * @throws IllegalArgumentException naming what does not match, or if {@code updates} is negative
     * @throws IllegalStateException while the averages are {@linkplain #applied() applied}
     */
    public void loadAverages(Map<String, Tensor> state, long updates) {
        checkNotApplied("loadAverages");
        if (updates < 0) {
            throw new IllegalArgumentException(WHO + ": updates must be >= 0, got " + updates);
        }
        Map<String, OptimSupport.Slot> expected = new LinkedHashMap<>();
        parameters.forEach((name, p) -> expected.put(name, new OptimSupport.Slot(p.shape(), p.dtype())));
        OptimSupport.checkState(WHO, expected, state);
        averages.replaceAll((name, old) -> {
            Tensor next =
                    OptimSupport.unscopedCopyOn(parameters.get(name).value().backend(), state.get(name));
            old.free();
            return next;
        });
        this.updates = updates;
    }

    /**
     * Sets every parameter to its average until the returned handle is closed, which restores
     * the values they had.
     *
     * @return the open swap; close it (try-with-resources) to restore the trained values
     * @throws IllegalStateException if already applied
     */
    public Applied applied() {
        checkNotApplied("applied");
        List<Tensor> saved = new ArrayList<>(parameters.size());
        parameters.forEach((name, p) -> {
            // a second reference to the trained value's storage, so set() below does not free it
            saved.add(p.value().detach().unscoped());
            p.set(averages.get(name));
        });
        open = new Applied(saved);
        return open;
    }

    private void checkNotApplied(String what) {
        if (open != null) {
            throw new IllegalStateException(WHO + "." + what + ": the averages are applied; close applied() first");
        }
    }

    /** The parameters set to their averages; {@link #close()} restores them (twice is harmless). */
    public final class Applied implements AutoCloseable {

        private final List<Tensor> saved;
        private boolean closed;

        private Applied(List<Tensor> saved) {
            this.saved = saved;
        }

        /** Restores the parameters' trained values. */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            int i = 0;
            for (Parameter p : parameters.values()) {
                Tensor value = saved.get(i++);
                p.set(value);
                value.free();
            }
            open = null;
        }
    }
}
