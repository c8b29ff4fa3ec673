package org.flows4j.backend.cpu;

/**
 * Per-thread scratch arrays, reused from one kernel call to the next: the packed panels of
 * {@link Gemm} and the column matrices of {@link Convolution}. A 1024-square product would
 * otherwise allocate (and the JVM zero) a megabyte of panels per thread per call.
 *
 * <p>Each slot belongs to one use, and a thread runs one kernel at a time, so no slot is ever
 * used twice at once. A buffer only grows; its contents are garbage on entry, so every user
 * writes what it reads (the packing routines zero their own padding). The arrays live as long
 * as their thread: at most a few megabytes for the backend's workers and for each thread that
 * calls kernels.
 */
final class Buffers {

    /** The packed ragged last panel of rows of op(A) (full panels are read in place). */
    static final int PACK_A = 0;
    /** Packed panels of op(B). */
    static final int PACK_B = 1;
    /** The scratch tile of a ragged edge. */
    static final int TILE = 2;
    /** The column matrix (im2col) of a convolution. */
    static final int COLUMNS = 3;
    /** A fused elementwise kernel's intermediate chunk ({@link Fused}). */
    static final int FUSED = 4;
    /** The columns of C of a skinny direct product, as rows ({@link Gemm}). */
    static final int SKINNY = 5;

    /** A bias row repeated for the rows of one chunk ({@link Fused#linear}). */
    static final int BIAS = 6;

    private static final int SLOTS = 7;
    private static final ThreadLocal<Buffers> LOCAL = ThreadLocal.withInitial(Buffers::new);

    private final float[][] floats = new float[SLOTS][];
    private final double[][] doubles = new double[SLOTS][];

    private Buffers() {}

    /** The calling thread's buffers. */
    static Buffers get() {
        return LOCAL.get();
    }

    /** A float array of at least {@code size} elements in {@code slot}, contents unspecified. */
    float[] floats(int slot, int size) {
        float[] f = floats[slot];
        if (f == null || f.length < size) {
            f = new float[size];
            floats[slot] = f;
        }
        return f;
    }

    /** A double array of at least {@code size} elements in {@code slot}, contents unspecified. */
    double[] doubles(int slot, int size) {
        double[] d = doubles[slot];
        if (d == null || d.length < size) {
            d = new double[size];
            doubles[slot] = d;
        }
        return d;
    }
}
