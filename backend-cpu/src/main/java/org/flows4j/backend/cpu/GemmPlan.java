package org.flows4j.backend.cpu;

/**
 * One way to run the float32 packed GEMM: a micro-kernel and a blocking (Goto's algorithm, see
 * {@link Gemm}). Plans differ in float32 summation order only through {@code kc} (each element
 * sums its products slice by slice of {@code kc}, and within a slice in order), so two plans
 * with the same {@code kc} give the same bits; with different ones, results differ by
 * rounding. That is why the plan a machine runs is chosen once and kept ({@link GemmPlans}).
 *
 * @param name the plan's name, as {@code -Dflows4j.cpu.gemm=NAME} forces it
 * @param tile the micro-kernel
 * @param kc the slice of the inner dimension per packed panel (the B panel, {@code kc x nr}, is sized for L1)
 * @param mc rows of op(A) per block (a multiple of the tile height is used)
 * @param nc columns of op(B) per packed block (a multiple of the tile width is used)
 * @param packA whether every panel of A is packed ({@code mr} values per step of k, contiguous), or
 *     read in place with only a ragged last panel packed
 * @param alongRows the order of the tiles in a block: row of tiles by row of tiles (one A panel
 *     against every B panel, C written in address order), or else column by column (one B panel
 *     against every A panel). The order changes no sum, so it never changes a bit
 */
record GemmPlan(String name, FloatTile tile, int kc, int mc, int nc, boolean packA, boolean alongRows) {

    /** The plan of the scalar kernels, usable on any JVM. */
    static final GemmPlan SCALAR = new GemmPlan("scalar-4x4", FloatTile.SCALAR, 192, 128, 1024, false, false);

    GemmPlan {
        if (kc < 1 || mc < 1 || nc < 1) {
            throw new IllegalArgumentException("blocking must be positive: " + name);
        }
    }

    /**
     * Named {@code 512-8x3-k128-pa} style: the tile ({@code bits-MRxNV}), the k slice, {@code -pa}
     * when A is packed, {@code -rows} when the tiles go along rows.
     */
    static GemmPlan of(FloatTile tile, int kc, int mc, int nc, boolean packA, boolean alongRows) {
        return new GemmPlan(
                tile.name() + "-k" + kc + (packA ? "-pa" : "") + (alongRows ? "-rows" : ""),
                tile,
                kc,
                mc,
                nc,
                packA,
                alongRows);
    }

    /** The vector width in bits, 0 for the scalar plan. */
    int bits() {
        return tile.bits();
    }

    @Override
    public String toString() {
        return name + " (tile " + tile.mr() + "x" + tile.nr() + ", KC " + kc + ", MC " + mc + ", NC " + nc
                + (packA ? ", A packed" : ", A in place") + (alongRows ? ", tiles along rows" : "") + ")";
    }
}
