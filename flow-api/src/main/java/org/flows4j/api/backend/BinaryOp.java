package org.flows4j.api.backend;

/**
 * The frozen list of elementwise binary primitives. Both operands broadcast (NumPy rules,
 * see {@link Backend#binary}); both have the same dtype, which the result keeps.
 */
public enum BinaryOp {
    /** {@code a + b}. */
    ADD,
    /** {@code a - b}. */
    SUB,
    /** {@code a * b}. */
    MUL,
    /** {@code a / b} (IEEE: a nonzero over zero is infinite, 0/0 is NaN). */
    DIV,
    /**
     * {@code a^b} with C99 / IEEE 754 {@code pow} semantics, as native engines compute it: like
     * {@link Math#pow} except that {@code pow(1, b) = 1} for every {@code b} (NaN included) and
     * {@code pow(-1, +-inf) = 1}, where Java gives NaN.
     */
    POW,
    /** {@code max(a, b)}; NaN if either is NaN. */
    MAXIMUM,
    /** {@code min(a, b)}; NaN if either is NaN. */
    MINIMUM
}
