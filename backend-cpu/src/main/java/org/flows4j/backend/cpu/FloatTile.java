package org.flows4j.backend.cpu;

/**
 * A float32 GEMM micro-kernel: {@code C += A B} (or {@code C = A B}) for one {@code mr x nr} tile
 * of C, with A read at row stride {@code rs} and column stride {@code cs} (in place or from a
 * packed panel) and B from a packed panel of {@code nr} values per step of k (see
 * {@link Kernels#microF} for the exact contract). Each element's {@code kc} products are summed
 * in order from 0, so a tile's result depends only on its inputs and {@code kc}, never on where
 * the tile sits. The Vector API tiles ({@code TileF*}) are generated, one class per shape and
 * width, by {@code backend-cpu/src/codegen/float_tiles.py}; {@link #SCALAR} is the scalar one.
 */
abstract class FloatTile {

    /** The scalar {@code 4 x 4} tile of {@link Kernels}: needs nothing beyond {@code java.base}. */
    static final FloatTile SCALAR = new FloatTile("scalar-4x4", 4, 4, 0, 0) {
        @Override
        void micro(
                int kc, float[] a, int ao, int rs, int cs, float[] b, int bo, float[] c, int co, int ldc, boolean add) {
            Kernels.SCALAR.microF(kc, a, ao, rs, cs, b, bo, c, co, ldc, add);
        }

        @Override
        void microNarrow(
                int kc, float[] a, int ao, int rs, int cs, float[] b, int bo, float[] c, int co, int ldc, boolean add) {
            throw new UnsupportedOperationException("no narrow kernel");
        }
    };

    private final String name;
    private final int mr;
    private final int nr;
    private final int narrow;
    private final int bits;

    /**
     * @param name the tile's name in plan names, {@code bits-MRxNV}
     * @param narrow columns of {@link #microNarrow}, 0 when there is none
     * @param bits the vector width, 0 for scalar code
     */
    FloatTile(String name, int mr, int nr, int narrow, int bits) {
        this.name = name;
        this.mr = mr;
        this.nr = nr;
        this.narrow = narrow;
        this.bits = bits;
    }

    final String name() {
        return name;
    }

    /** Rows of the tile. */
    final int mr() {
        return mr;
    }

    /** Columns of the tile, the width of a packed B panel. */
    final int nr() {
        return nr;
    }

    /** Columns of the narrow kernel for a ragged last panel (one vector), or 0 when there is none. */
    final int narrow() {
        return narrow;
    }

    /** The vector width in bits, 0 for scalar code. */
    final int bits() {
        return bits;
    }

    /** The tile {@code C (+)= A B}; see the class comment. */
    abstract void micro(
            int kc, float[] a, int ao, int rs, int cs, float[] b, int bo, float[] c, int co, int ldc, boolean add);

    /**
     * As {@link #micro} for an {@code mr x narrow()} tile: the first {@code narrow()} values of
     * each row of a packed panel whose rows are {@code nr()} apart.
     */
    abstract void microNarrow(
            int kc, float[] a, int ao, int rs, int cs, float[] b, int bo, float[] c, int co, int ldc, boolean add);

    @Override
    public String toString() {
        return name;
    }
}
