package org.flows4j.api.backend;

/**
 * The frozen list of elementwise unary primitives. Each maps an element {@code x} to one
 * element of the same dtype; NaN propagates (a NaN input gives a NaN output, never an
 * exception).
 */
public enum UnaryOp {
    /** {@code -x}. */
    NEG,
    /** {@code e^x}. */
    EXP,
    /** {@code ln x}; {@code -inf} at 0, NaN below 0. */
    LOG,
    /** {@code ln(1 + x)}, accurate for tiny {@code x} (never computed as {@code log(1 + x)}). */
    LOG1P,
    /** {@code e^x - 1}, accurate for tiny {@code x}. */
    EXPM1,
    /** {@code tanh x}. */
    TANH,
    /** {@code 1 / (1 + e^-x)}, evaluated without overflow for large {@code |x|}. */
    SIGMOID,
    /** {@code ln(1 + e^x)} computed as {@code max(x, 0) + log1p(e^-|x|)}, which never overflows. */
    SOFTPLUS,
    /** {@code max(x, 0)}; NaN stays NaN. */
    RELU,
    /** {@code |x|}. */
    ABS,
    /** {@code -1, 0, +1} by the sign of {@code x} (0 for both zeros); NaN stays NaN. */
    SIGN,
    /** {@code sqrt x}. */
    SQRT,
    /** {@code x * x}. */
    SQUARE,
    /** {@code 1 / x}. */
    RECIPROCAL
}
