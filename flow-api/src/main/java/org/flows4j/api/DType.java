package org.flows4j.api;

/**
 * The element type of a tensor. Every backend supports both; operations never mix them
 * silently: a binary operation on a float32 and a float64 tensor is an error, and
 * {@code Tensor.to(DType)} converts explicitly.
 */
public enum DType {
    /** IEEE 754 binary32: the training default. */
    FLOAT32(4),
    /** IEEE 754 binary64: the reference for conformance and gradient checks. */
    FLOAT64(8);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /**
     * Bytes per element.
     *
     * @return 4 for {@link #FLOAT32}, 8 for {@link #FLOAT64}
     */
    public int byteSize() {
        return byteSize;
    }

    /**
     * The lower-case name used on command lines and in checkpoints: {@code float32}, {@code float64}.
     *
     * @return the label, which {@link #parse} reads back
     */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Parses {@code float32}/{@code float64} (also {@code f32}, {@code f64}, {@code float},
     * {@code double}), case-insensitively.
     *
     * @param text the name; surrounding whitespace is ignored
     * @return the dtype it names
     * @throws IllegalArgumentException if {@code text} names neither dtype
     */
    public static DType parse(String text) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        return switch (t) {
            case "float32", "f32", "float" -> FLOAT32;
            case "float64", "f64", "double" -> FLOAT64;
            default -> throw new IllegalArgumentException("unknown dtype '" + text + "': expected float32 or float64");
        };
    }
}
