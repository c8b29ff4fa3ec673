package org.flows4j.api.backend;

/**
 * The frozen list of comparison primitives: each gives 1 where the relation holds and 0
 * where it does not, in the operands' dtype, with NumPy broadcasting. Any comparison with
 * NaN is false, except {@link #NE}, which is true (IEEE 754). Their outputs feed
 * {@link Backend#where} and the backward rules of relu, abs, maximum, minimum and max.
 */
public enum CompareOp {
    /** {@code a == b}. */
    EQ,
    /** {@code a != b}. */
    NE,
    /** {@code a < b}. */
    LT,
    /** {@code a <= b}. */
    LE,
    /** {@code a > b}. */
    GT,
    /** {@code a >= b}. */
    GE
}
