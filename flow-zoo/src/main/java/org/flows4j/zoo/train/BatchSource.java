package org.flows4j.zoo.train;

import org.flows4j.api.tensor.Tensor;

/**
 * The training data as a function: the batch of every global step, computed from the run's
 * seed and the step alone. Because nothing else (no iterator position, no random state)
 * decides a batch, a resumed run takes exactly the batches of the uninterrupted one, and
 * workers of a data-parallel run can each compute their share of a step.
 *
 * <p>Implement {@link #batch}; the tensors are made in the caller's memory scope.
 */
@FunctionalInterface
public interface BatchSource {

    /**
     * The batch of update {@code step + 1} ({@code step} updates were done before it):
     * {@code [batch, event shape...]} on the flow's backend and dtype. Must be a pure function
     * of {@code (seed, step)}.
     *
     * @param seed the run's seed
     * @param step the number of updates done before this batch, from 0
     * @return the batch {@code [batch, event shape...]}, a new tensor in the caller's memory scope
     */
    Tensor batch(long seed, long step);

    /**
     * The batch for the flow's data-dependent initialization (actnorm, NICE's data-initialized scaling), used once before the
     * first step of a new run; by default the first training batch.
     *
     * @param seed the run's seed
     * @return the initialization batch {@code [batch, event shape...]}, a new tensor in the caller's memory
     *     scope; by default {@code batch(seed, 0)}
     */
    default Tensor initializationBatch(long seed) {
        return batch(seed, 0);
    }

    /**
     * The context of the samples of {@link #batch batch(seed, step)}, {@code [batch, c]}, for a
     * conditional flow ({@code flow.logProb(x, context)}); null, the default, for none. Must be
     * a pure function of {@code (seed, step)} that lines up with the batch row by row.
     *
     * @param seed the run's seed
     * @param step the number of updates done before the batch, from 0, as in {@link #batch}
     * @return the context {@code [batch, c]}, a new tensor in the caller's memory scope, or null for an
     *     unconditional flow
     */
    default Tensor context(long seed, long step) {
        return null;
    }
}
