package org.flows4j.api.backend;

/**
 * The frozen list of reductions over a set of axes (see {@link Backend#reduce}).
 * Reducing an axis of size 0 gives 0 for {@link #SUM}, NaN for {@link #MEAN} and
 * {@code -inf} for {@link #MAX}.
 */
public enum ReduceOp {
    /** The sum. */
    SUM,
    /** The arithmetic mean. */
    MEAN,
    /** The maximum; NaN if any element is NaN. */
    MAX
}
