package org.flows4j.backend.cpu;

import java.util.Arrays;

/**
 * General matrix multiplication {@code C += op(A) op(B)}, or {@code C = op(A) op(B)} (the first
 * slice of k stores instead of adding, so C may hold garbage), on row-major heap arrays, in
 * float32 and float64, the core of matmul and of the convolutions. {@code op} transposes when its flag is
 * set; element {@code (i, p)} of op(A) is {@code a[ao + i lda + p]}, or {@code a[ao + p lda + i]}
 * transposed, and likewise for B, so every transpose case costs about the same.
 *
 * <p><b>Packed path</b> (Goto's algorithm, as in BLIS). For each block of {@code NC} columns of
 * C and each slice of {@code KC} of the inner dimension, the {@code KC x NC} block of op(B) is
 * copied into panels of {@code NR} columns ({@code NR} consecutive values per step of k); then
 * for each block of {@code MC} rows a register-tiled micro-kernel ({@link Kernels#microF}) adds
 * one {@code MR x NR} tile of C per pair of A panel and B panel. The B panel is streamed with
 * unit stride from L1/L2; the {@code MR} rows of A are read in place, four scalar streams that
 * each step broadcasts (packing them too cost more than it saved on the batch-256 products of
 * a NICE step, see {@code docs/BENCHMARKS.md}); only a ragged last panel of rows is packed,
 * zero-padded. {@code KC = 192} keeps a B panel (48 floats or 24 doubles wide, 36 KiB) in
 * a 48 KiB L1 beside the A streams while the row tiles pass over it (256, a 48 KiB panel, was
 * up to 10% slower on the batch-256 products), the {@code 128 x 192} block of A in L2, and
 * {@code NC} the packed B block (768 KiB) in L2 and L3. A ragged edge tile is computed into a scratch tile and its valid part added.
 *
 * <p><b>Threads</b>: a product of at least {@link #MIN_THREADED_WORK} multiply-adds is
 * cut into one block of C per thread: columns when there are enough, so that each thread packs
 * its own part of B and nothing is packed twice, else rows. Packing buffers are per thread
 * ({@link Buffers}). C is never split along k, so every element is summed in the same order
 * whatever the thread count.
 *
 * <p><b>Direct path</b>: products under {@link #DIRECT_WORK} multiply-adds, or with fewer rows
 * than a tile or fewer than 8 columns, use plain loops with no packing and no threads, where
 * packing would cost more than it saves.
 *
 * <p>Float32 products accumulate in float32 (with fused multiply-adds in the vector kernels):
 * the rounding error of an element is bounded by about {@code k 2^-24 sum |a_ip b_pj|}.
 */
final class Gemm {

    /** Slice of the inner dimension per packed panel. */
    static final int KC = 192;
    /** Rows of op(A) packed at once (rounded up to the tile height). */
    static final int MC = 128;
    /** Columns of op(B) packed at once: 768 KiB of floats or of doubles with {@code KC}. */
    static final int NC_F = 1024;

    static final int NC_D = 512;
    /**
     * Products under this many multiply-adds (about 100 us on one core) run on the calling
     * thread. Waking a parked worker costs tens of microseconds on the 2-vCPU machines this was
     * measured on, and a model's small products come further apart than a worker spins
     * ({@link Parallel#SPIN_NANOS}): with {@code 2^17}, realnvp:2d's {@code 512 x 64 x 64}
     * products took 70 to 110 us on two threads against 50 on one. At {@code 2^22} a second
     * thread pays even when parked (1.34x measured, 1.54x at {@code 2^23}).
     */
    static final long MIN_THREADED_WORK = 1L << 22;
    /** Products under this many multiply-adds take the direct loops. */
    static final long DIRECT_WORK = 1L << 14;
    /** Direct products narrower than this, and at least twice {@link #SKINNY_ROWS} tall, take {@link #skinny}. */
    static final int SKINNY = 8;
    /** Rows {@link #skinny} sums side by side when A is not transposed. */
    static final int SKINNY_ROWS = 8;

    private Gemm() {}

    /** Whether a product takes the direct loops rather than the packed kernels. */
    static boolean isDirect(int m, int n, int k, int mr) {
        return (long) m * n * k < DIRECT_WORK || m < mr || n < 8;
    }

    /**
     * {@code C += op(A) op(B)}, or {@code C = op(A) op(B)} when {@code add} is false (C's old
     * contents are then never read, so C may be a recycled array), on arrays of one element
     * type, {@code float[]} or {@code double[]}.
     */
    static void gemm(
            Kernels kern,
            Parallel par,
            int m,
            int n,
            int k,
            Object a,
            int ao,
            int lda,
            boolean ta,
            Object b,
            int bo,
            int ldb,
            boolean tb,
            Object c,
            int co,
            int ldc,
            boolean add) {
        if (c instanceof float[] cf) {
            gemm(kern, par, m, n, k, (float[]) a, ao, lda, ta, (float[]) b, bo, ldb, tb, cf, co, ldc, add);
        } else {
            gemm(kern, par, m, n, k, (double[]) a, ao, lda, ta, (double[]) b, bo, ldb, tb, (double[]) c, co, ldc, add);
        }
    }

    private static int roundUp(int v, int multiple) {
        return (v + multiple - 1) / multiple * multiple;
    }

    // ---- float32 -----------------------------------------------------------------------------

    /**
     * {@code C += op(A) op(B)}, or {@code C =} when {@code add} is false, in float32 (see the class
     * comment): the direct loops for small or skinny products, else the packed kernels, split
     * over {@code par}'s threads when large.
     */
    static void gemm(
            Kernels kern,
            Parallel par,
            int m,
            int n,
            int k,
            float[] a,
            int ao,
            int lda,
            boolean ta,
            float[] b,
            int bo,
            int ldb,
            boolean tb,
            float[] c,
            int co,
            int ldc,
            boolean add) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!add) {
                for (int i = 0; i < m; i++) {
                    Arrays.fill(c, co + i * ldc, co + i * ldc + n, 0);
                }
            }
            return;
        }
        if (k == 1) {
            kern.outerF(m, n, a, ao, ta ? 1 : lda, b, bo, tb ? ldb : 1, c, co, ldc, add);
            return;
        }
        if (n < SKINNY && kern.skinnyF(m, n, k, a, ao, lda, ta, b, bo, ldb, tb, c, co, ldc, add)) {
            return;
        }
        GemmPlan plan = kern.gemmF();
        if (isDirect(m, n, k, plan.tile().mr())) {
            direct(m, n, k, a, ao, lda, ta, b, bo, ldb, tb, c, co, ldc, add);
        } else {
            packed(plan, par, m, n, k, a, ao, lda, ta, b, bo, ldb, tb, c, co, ldc, add);
        }
    }

    /**
     * The product by plain loops, no packing and no threads. Without a transposed B the inner
     * loop is {@code C[i, :] += A[i, p] B[p, :]}, unit stride, which C2 vectorizes by itself;
     * with one it is a dot product of a row of op(A) and a row of B.
     */
    static void direct(
            int m,
            int n,
            int k,
            float[] a,
            int ao,
            int lda,
            boolean ta,
            float[] b,
            int bo,
            int ldb,
            boolean tb,
            float[] c,
            int co,
            int ldc,
            boolean add) {
        int si = ta ? 1 : lda;
        int sp = ta ? lda : 1;
        if (n < SKINNY && m >= 2 * SKINNY_ROWS) {
            skinny(m, n, k, a, ao, lda, ta, b, bo, ldb, tb, c, co, ldc, add);
            return;
        }
        for (int i = 0; i < m; i++) {
            int ci = co + i * ldc;
            int ai = ao + i * si;
            if (!add) {
                Arrays.fill(c, ci, ci + n, 0);
            }
            if (!tb) {
                for (int p = 0; p < k; p++) {
                    float aip = a[ai + p * sp];
                    int bp = bo + p * ldb;
                    for (int j = 0; j < n; j++) {
                        c[ci + j] += aip * b[bp + j];
                    }
                }
            } else {
                for (int j = 0; j < n; j++) {
                    int bj = bo + j * ldb;
                    float s = 0;
                    for (int p = 0; p < k; p++) {
                        s += a[ai + p * sp] * b[bj + p];
                    }
                    c[ci + j] += s;
                }
            }
        }
    }

    /** The element of {@link #skinny} from its sum, as {@link #direct} finishes it. */
    private static float finish(float old, float sum, boolean tb, boolean add) {
        return !tb ? sum : add ? old + sum : 0 + sum;
    }

    /**
     * {@link #direct} for a product a few columns wide and many rows tall ({@code 512 x 64} by
     * {@code 64 x 2}: RealNVP's output layers and their gradients), where the plain loops run
     * along a row of two and nothing vectorizes: with A transposed, each step of k adds a
     * contiguous run of A, times one value of B, into each column of C held as a contiguous row
     * of a scratch array (a loop C2 vectorizes); otherwise {@value #SKINNY_ROWS} rows are summed
     * side by side, independent chains. Every element is summed exactly as {@link #direct} sums
     * it (the same operations in the same order), so the two give the same bits.
     */
    private static void skinny(
            int m,
            int n,
            int k,
            float[] a,
            int ao,
            int lda,
            boolean ta,
            float[] b,
            int bo,
            int ldb,
            boolean tb,
            float[] c,
            int co,
            int ldc,
            boolean add) {
        if (ta) {
            // direct's order: without tb, C (or 0) then each product in turn; with tb, 0 then the
            // products, then that sum added to C (or to 0)
            float[] ct = Buffers.get().floats(Buffers.SKINNY, n * m);
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < m; i++) {
                    ct[j * m + i] = !tb && add ? c[co + i * ldc + j] : 0;
                }
            }
            for (int p = 0; p < k; p++) {
                int ap = ao + p * lda;
                for (int j = 0; j < n; j++) {
                    float bpj = tb ? b[bo + j * ldb + p] : b[bo + p * ldb + j];
                    int cj = j * m;
                    for (int i = 0; i < m; i++) {
                        ct[cj + i] += a[ap + i] * bpj;
                    }
                }
            }
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    int at = co + i * ldc + j;
                    c[at] = finish(c[at], ct[j * m + i], tb, add);
                }
            }
            return;
        }
        int i = 0;
        for (; i + SKINNY_ROWS <= m; i += SKINNY_ROWS) {
            int ai = ao + i * lda;
            for (int j = 0; j < n; j++) {
                int c0 = co + i * ldc + j;
                boolean start = !tb && add;
                float s0 = start ? c[c0] : 0;
                float s1 = start ? c[c0 + ldc] : 0;
                float s2 = start ? c[c0 + 2 * ldc] : 0;
                float s3 = start ? c[c0 + 3 * ldc] : 0;
                float s4 = start ? c[c0 + 4 * ldc] : 0;
                float s5 = start ? c[c0 + 5 * ldc] : 0;
                float s6 = start ? c[c0 + 6 * ldc] : 0;
                float s7 = start ? c[c0 + 7 * ldc] : 0;
                for (int p = 0; p < k; p++) {
                    float bpj = tb ? b[bo + j * ldb + p] : b[bo + p * ldb + j];
                    s0 += a[ai + p] * bpj;
                    s1 += a[ai + lda + p] * bpj;
                    s2 += a[ai + 2 * lda + p] * bpj;
                    s3 += a[ai + 3 * lda + p] * bpj;
                    s4 += a[ai + 4 * lda + p] * bpj;
                    s5 += a[ai + 5 * lda + p] * bpj;
                    s6 += a[ai + 6 * lda + p] * bpj;
                    s7 += a[ai + 7 * lda + p] * bpj;
                }
                c[c0] = finish(c[c0], s0, tb, add);
                c[c0 + ldc] = finish(c[c0 + ldc], s1, tb, add);
                c[c0 + 2 * ldc] = finish(c[c0 + 2 * ldc], s2, tb, add);
                c[c0 + 3 * ldc] = finish(c[c0 + 3 * ldc], s3, tb, add);
                c[c0 + 4 * ldc] = finish(c[c0 + 4 * ldc], s4, tb, add);
                c[c0 + 5 * ldc] = finish(c[c0 + 5 * ldc], s5, tb, add);
                c[c0 + 6 * ldc] = finish(c[c0 + 6 * ldc], s6, tb, add);
                c[c0 + 7 * ldc] = finish(c[c0 + 7 * ldc], s7, tb, add);
            }
        }
        if (i < m) {
            direct(m - i, n, k, a, ao + i * lda, lda, false, b, bo, ldb, tb, c, co + i * ldc, ldc, add);
        }
    }

    /**
     * The packed product, cut into one block of C per thread: columns when there are enough
     * (each thread packs its own panels of B and reads A in place, so nothing is packed twice),
     * else rows (each thread then packs all of B). Every element is summed the same way
     * whichever thread computes it, so the bits do not depend on the thread count.
     */
    static void packed(
            Kernels kern,
            Parallel par,
            int m,
            int n,
            int k,
            float[] a,
            int ao,
            int lda,
            boolean ta,
            float[] b,
            int bo,
            int ldb,
            boolean tb,
            float[] c,
            int co,
            int ldc,
            boolean add) {
        packed(kern.gemmF(), par, m, n, k, a, ao, lda, ta, b, bo, ldb, tb, c, co, ldc, add);
    }

    /** As {@link #packed(Kernels, Parallel, int, int, int, float[], int, int, boolean, float[], int, int, boolean, float[], int, int, boolean)} with the given plan. */
    static void packed(
            GemmPlan kern,
            Parallel par,
            int m,
            int n,
            int k,
            float[] a,
            int ao,
            int lda,
            boolean ta,
            float[] b,
            int bo,
            int ldb,
            boolean tb,
            float[] c,
            int co,
            int ldc,
            boolean add) {
        int mr = kern.tile().mr();
        int nr = kern.tile().nr();
        int parts = (long) m * n * k >= MIN_THREADED_WORK ? par.threads() : 1;
        // a thread packs its own columns of B and reads A in place, so a split of the columns
        // packs nothing twice; rows are split when the columns are too few
        boolean rowsFit = m >= 2 * parts * mr;
        boolean colsFit = n >= 2 * parts * nr;
        if (parts > 1 && rowsFit && !colsFit) {
            int rows = roundUp((m + parts - 1) / parts, mr);
            int count = (m + rows - 1) / rows;
            par.forEach(
                    count,
                    Long.MAX_VALUE,
                    t -> block(
                            kern,
                            t * rows,
                            Math.min(m, (t + 1) * rows),
                            0,
                            n,
                            k,
                            a,
                            ao,
                            lda,
                            ta,
                            b,
                            bo,
                            ldb,
                            tb,
                            c,
                            co,
                            ldc,
                            add));
        } else if (parts > 1 && colsFit) {
            // whole panels of nr columns per thread; the few left over (fewer than the threads)
            // are shared out by rows, so that no thread idles while another does one more panel
            int panels = (n + nr - 1) / nr;
            int per = panels / parts;
            int shared = per * parts * nr;
            int rows = roundUp((m + parts - 1) / parts, mr);
            par.forEach(parts, Long.MAX_VALUE, t -> {
                block(
                        kern,
                        0,
                        m,
                        t * per * nr,
                        Math.min(n, (t + 1) * per * nr),
                        k,
                        a,
                        ao,
                        lda,
                        ta,
                        b,
                        bo,
                        ldb,
                        tb,
                        c,
                        co,
                        ldc,
                        add);
                if (shared < n && t * rows < m) {
                    block(
                            kern,
                            t * rows,
                            Math.min(m, (t + 1) * rows),
                            shared,
                            n,
                            k,
                            a,
                            ao,
                            lda,
                            ta,
                            b,
                            bo,
                            ldb,
                            tb,
                            c,
                            co,
                            ldc,
                            add);
                }
            });
        } else {
            block(kern, 0, m, 0, n, k, a, ao, lda, ta, b, bo, ldb, tb, c, co, ldc, add);
        }
    }

    /** Rows {@code [r0, r1)} and columns {@code [c0, c1)} of C, on the calling thread. */
    private static void block(
            GemmPlan plan,
            int r0,
            int r1,
            int c0,
            int c1,
            int k,
            float[] a,
            int ao,
            int lda,
            boolean ta,
            float[] b,
            int bo,
            int ldb,
            boolean tb,
            float[] c,
            int co,
            int ldc,
            boolean add) {
        FloatTile kern = plan.tile();
        int mr = kern.mr();
        int nr = kern.nr();
        int narrow = kern.narrow();
        boolean packAll = plan.packA();
        boolean alongRows = plan.alongRows();
        int mcBlock = Math.min(roundUp(plan.mc(), mr), roundUp(r1 - r0, mr));
        int ncBlock = Math.min(Math.max(nr, plan.nc() / nr * nr), roundUp(c1 - c0, nr));
        int kcBlock = Math.min(plan.kc(), k);
        Buffers buf = Buffers.get();
        float[] ap = buf.floats(Buffers.PACK_A, (packAll ? mcBlock : mr) * kcBlock);
        float[] bp = buf.floats(Buffers.PACK_B, ncBlock * kcBlock);
        float[] tile = buf.floats(Buffers.TILE, mr * nr);
        for (int jc = c0; jc < c1; jc += ncBlock) {
            int nc = Math.min(ncBlock, c1 - jc);
            for (int pc = 0; pc < k; pc += kcBlock) {
                int kc = Math.min(kcBlock, k - pc);
                // the first slice of k stores into C unless the product is added to it
                boolean sum = add || pc > 0;
                packB(b, bo, ldb, tb, pc, kc, jc, nc, nr, bp);
                for (int ic = r0; ic < r1; ic += mcBlock) {
                    int mc = Math.min(mcBlock, r1 - ic);
                    int full = packAll ? 0 : mc / mr * mr;
                    if (full < mc) {
                        // every panel (packAll), or only a ragged last one, is packed (zero-padded);
                        // other full panels are read in place
                        packA(a, ao, lda, ta, ic + full, mc - full, pc, kc, mr, ap);
                    }
                    // tiles column by column (the B panel stays in L1 while the A panels pass), or
                    // row by row (alongRows: the A panel stays while the B panels pass, and C is
                    // written in address order, which the hardware prefetcher follows)
                    int across = (nc + nr - 1) / nr;
                    int down = (mc + mr - 1) / mr;
                    int outer = alongRows ? down : across;
                    int inner = alongRows ? across : down;
                    for (int o = 0; o < outer; o++) {
                        for (int q = 0; q < inner; q++) {
                            int ir = (alongRows ? o : q) * mr;
                            int jr = (alongRows ? q : o) * nr;
                            int nrr = Math.min(nr, nc - jr);
                            int mrr = Math.min(mr, mc - ir);
                            int cij = co + (ic + ir) * ldc + jc + jr;
                            float[] x = ap;
                            int xo = 0;
                            int rs = 1;
                            int cs = mr;
                            if (packAll) {
                                xo = ir * kc;
                            } else if (mrr == mr) {
                                x = a;
                                xo = ta ? ao + pc * lda + ic + ir : ao + (ic + ir) * lda + pc;
                                rs = ta ? 1 : lda;
                                cs = ta ? lda : 1;
                            }
                            if (mrr == mr && nrr == nr) {
                                kern.micro(kc, x, xo, rs, cs, bp, jr * kc, c, cij, ldc, sum);
                            } else if (nrr <= narrow) {
                                // a narrow last panel: one vector of columns, into scratch unless exact
                                if (mrr == mr && nrr == narrow) {
                                    kern.microNarrow(kc, x, xo, rs, cs, bp, jr * kc, c, cij, ldc, sum);
                                } else {
                                    kern.microNarrow(kc, x, xo, rs, cs, bp, jr * kc, tile, 0, narrow, false);
                                    for (int r = 0; r < mrr; r++) {
                                        for (int j = 0; j < nrr; j++) {
                                            int at = cij + r * ldc + j;
                                            c[at] = sum ? c[at] + tile[r * narrow + j] : tile[r * narrow + j];
                                        }
                                    }
                                }
                            } else {
                                // a ragged edge: the whole tile into scratch, then its valid part
                                kern.micro(kc, x, xo, rs, cs, bp, jr * kc, tile, 0, nr, false);
                                for (int r = 0; r < mrr; r++) {
                                    for (int j = 0; j < nrr; j++) {
                                        int at = cij + r * ldc + j;
                                        c[at] = sum ? c[at] + tile[r * nr + j] : tile[r * nr + j];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Rows {@code [ic, ic + mc)} and columns {@code [pc, pc + kc)} of op(A) as panels of
     * {@code mr} rows: panel {@code q} at {@code q mr kc}, holding for each {@code p} the
     * {@code mr} values of column {@code p}; rows past {@code mc} are zeros.
     */
    private static void packA(
            float[] a, int ao, int lda, boolean ta, int ic, int mc, int pc, int kc, int mr, float[] ap) {
        for (int ir = 0; ir < mc; ir += mr) {
            int rows = Math.min(mr, mc - ir);
            int base = ir * kc;
            if (ta) {
                // op(A)[i, p] = a[p, i]: each step of p is a contiguous run of rows, too short for arraycopy
                for (int p = 0; p < kc; p++) {
                    int src = ao + (pc + p) * lda + ic + ir;
                    int dst = base + p * mr;
                    for (int r = 0; r < rows; r++) {
                        ap[dst + r] = a[src + r];
                    }
                    for (int r = rows; r < mr; r++) {
                        ap[dst + r] = 0;
                    }
                }
            } else {
                // rows of a are read side by side, so the panel is written in order
                int src = ao + (ic + ir) * lda + pc;
                for (int p = 0; p < kc; p++) {
                    int dst = base + p * mr;
                    for (int r = 0; r < rows; r++) {
                        ap[dst + r] = a[src + r * lda + p];
                    }
                    for (int r = rows; r < mr; r++) {
                        ap[dst + r] = 0;
                    }
                }
            }
        }
    }

    /**
     * Rows {@code [pc, pc + kc)} and columns {@code [jc, jc + nc)} of op(B) as panels of
     * {@code nr} columns: panel {@code q} at {@code q nr kc}, holding for each {@code p} the
     * {@code nr} values of row {@code p}; columns past {@code nc} are zeros.
     */
    private static void packB(
            float[] b, int bo, int ldb, boolean tb, int pc, int kc, int jc, int nc, int nr, float[] bp) {
        for (int jr = 0; jr < nc; jr += nr) {
            int cols = Math.min(nr, nc - jr);
            int base = jr * kc;
            if (!tb) {
                for (int p = 0; p < kc; p++) {
                    int dst = base + p * nr;
                    System.arraycopy(b, bo + (pc + p) * ldb + jc + jr, bp, dst, cols);
                    if (cols < nr) {
                        Arrays.fill(bp, dst + cols, dst + nr, 0);
                    }
                }
            } else {
                // op(B)[p, j] = b[j, p]: each row of b is read in order and written down a
                // column of the panel, which stays in L1 (10% faster than reading the panel's
                // rows side by side, measured on a 1000 x 1000 transposed B)
                if (cols < nr) {
                    Arrays.fill(bp, base, base + kc * nr, 0);
                }
                for (int j = 0; j < cols; j++) {
                    int src = bo + (jc + jr + j) * ldb + pc;
                    for (int p = 0, dst = base + j; p < kc; p++, dst += nr) {
                        bp[dst] = b[src + p];
                    }
                }
            }
        }
    }

    // ---- float64 -----------------------------------------------------------------------------

    /**
     * {@code C += op(A) op(B)}, or {@code C =} when {@code add} is false, in float64 (see the class
     * comment): the direct loops for small or skinny products, else the packed kernels, split
     * over {@code par}'s threads when large.
     */
    static void gemm(
            Kernels kern,
            Parallel par,
            int m,
            int n,
            int k,
            double[] a,
            int ao,
            int lda,
            boolean ta,
            double[] b,
            int bo,
            int ldb,
            boolean tb,
            double[] c,
            int co,
            int ldc,
            boolean add) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!add) {
                for (int i = 0; i < m; i++) {
                    Arrays.fill(c, co + i * ldc, co + i * ldc + n, 0);
                }
            }
            return;
        }
        if (isDirect(m, n, k, kern.mrD())) {
            direct(m, n, k, a, ao, lda, ta, b, bo, ldb, tb, c, co, ldc, add);
        } else {
            packed(kern, par, m, n, k, a, ao, lda, ta, b, bo, ldb, tb, c, co, ldc, add);
        }
    }

    /**
     * The product by plain loops, no packing and no threads. Without a transposed B the inner
     * loop is {@code C[i, :] += A[i, p] B[p, :]}, unit stride, which C2 vectorizes by itself;
     * with one it is a dot product of a row of op(A) and a row of B.
     */
    static void direct(
            int m,
            int n,
            int k,
            double[] a,
            int ao,
            int lda,
            boolean ta,
            double[] b,
            int bo,
            int ldb,
            boolean tb,
            double[] c,
            int co,
            int ldc,
            boolean add) {
        int si = ta ? 1 : lda;
        int sp = ta ? lda : 1;
        if (n < SKINNY && m >= 2 * SKINNY_ROWS) {
            skinny(m, n, k, a, ao, lda, ta, b, bo, ldb, tb, c, co, ldc, add);
            return;
        }
        for (int i = 0; i < m; i++) {
            int ci = co + i * ldc;
            int ai = ao + i * si;
            if (!add) {
                Arrays.fill(c, ci, ci + n, 0);
            }
            if (!tb) {
                for (int p = 0; p < k; p++) {
                    double aip = a[ai + p * sp];
                    int bp = bo + p * ldb;
                    for (int j = 0; j < n; j++) {
                        c[ci + j] += aip * b[bp + j];
                    }
                }
            } else {
                for (int j = 0; j < n; j++) {
                    int bj = bo + j * ldb;
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        s += a[ai + p * sp] * b[bj + p];
                    }
                    c[ci + j] += s;
                }
            }
        }
    }

    /** The element of {@link #skinny} from its sum, as {@link #direct} finishes it. */
    private static double finish(double old, double sum, boolean tb, boolean add) {
        return !tb ? sum : add ? old + sum : 0 + sum;
    }

    /**
     * {@link #direct} for a product a few columns wide and many rows tall ({@code 512 x 64} by
     * {@code 64 x 2}: RealNVP's output layers and their gradients), where the plain loops run
     * along a row of two and nothing vectorizes: with A transposed, each step of k adds a
     * contiguous run of A, times one value of B, into each column of C held as a contiguous row
     * of a scratch array (a loop C2 vectorizes); otherwise {@value #SKINNY_ROWS} rows are summed
     * side by side, independent chains. Every element is summed exactly as {@link #direct} sums
     * it (the same operations in the same order), so the two give the same bits.
     */
    private static void skinny(
            int m,
            int n,
            int k,
            double[] a,
            int ao,
            int lda,
            boolean ta,
            double[] b,
            int bo,
            int ldb,
            boolean tb,
            double[] c,
            int co,
            int ldc,
            boolean add) {
        if (ta) {
            // direct's order: without tb, C (or 0) then each product in turn; with tb, 0 then the
            // products, then that sum added to C (or to 0)
            double[] ct = Buffers.get().doubles(Buffers.SKINNY, n * m);
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < m; i++) {
                    ct[j * m + i] = !tb && add ? c[co + i * ldc + j] : 0;
                }
            }
            for (int p = 0; p < k; p++) {
                int ap = ao + p * lda;
                for (int j = 0; j < n; j++) {
                    double bpj = tb ? b[bo + j * ldb + p] : b[bo + p * ldb + j];
                    int cj = j * m;
                    for (int i = 0; i < m; i++) {
                        ct[cj + i] += a[ap + i] * bpj;
                    }
                }
            }
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    int at = co + i * ldc + j;
                    c[at] = finish(c[at], ct[j * m + i], tb, add);
                }
            }
            return;
        }
        int i = 0;
        for (; i + SKINNY_ROWS <= m; i += SKINNY_ROWS) {
            int ai = ao + i * lda;
            for (int j = 0; j < n; j++) {
                int c0 = co + i * ldc + j;
                boolean start = !tb && add;
                double s0 = start ? c[c0] : 0;
                double s1 = start ? c[c0 + ldc] : 0;
                double s2 = start ? c[c0 + 2 * ldc] : 0;
                double s3 = start ? c[c0 + 3 * ldc] : 0;
                double s4 = start ? c[c0 + 4 * ldc] : 0;
                double s5 = start ? c[c0 + 5 * ldc] : 0;
                double s6 = start ? c[c0 + 6 * ldc] : 0;
                double s7 = start ? c[c0 + 7 * ldc] : 0;
                for (int p = 0; p < k; p++) {
                    double bpj = tb ? b[bo + j * ldb + p] : b[bo + p * ldb + j];
                    s0 += a[ai + p] * bpj;
                    s1 += a[ai + lda + p] * bpj;
                    s2 += a[ai + 2 * lda + p] * bpj;
                    s3 += a[ai + 3 * lda + p] * bpj;
                    s4 += a[ai + 4 * lda + p] * bpj;
                    s5 += a[ai + 5 * lda + p] * bpj;
                    s6 += a[ai + 6 * lda + p] * bpj;
                    s7 += a[ai + 7 * lda + p] * bpj;
                }
                c[c0] = finish(c[c0], s0, tb, add);
                c[c0 + ldc] = finish(c[c0 + ldc], s1, tb, add);
                c[c0 + 2 * ldc] = finish(c[c0 + 2 * ldc], s2, tb, add);
                c[c0 + 3 * ldc] = finish(c[c0 + 3 * ldc], s3, tb, add);
                c[c0 + 4 * ldc] = finish(c[c0 + 4 * ldc], s4, tb, add);
                c[c0 + 5 * ldc] = finish(c[c0 + 5 * ldc], s5, tb, add);
                c[c0 + 6 * ldc] = finish(c[c0 + 6 * ldc], s6, tb, add);
                c[c0 + 7 * ldc] = finish(c[c0 + 7 * ldc], s7, tb, add);
            }
        }
        if (i < m) {
            direct(m - i, n, k, a, ao + i * lda, lda, false, b, bo, ldb, tb, c, co + i * ldc, ldc, add);
        }
    }

    /**
     * The packed product, cut into one block of C per thread: columns when there are enough
     * (each thread packs its own panels of B and reads A in place, so nothing is packed twice),
     * else rows (each thread then packs all of B). Every element is summed the same way
     * whichever thread computes it, so the bits do not depend on the thread count.
     */
    static void packed(
            Kernels kern,
            Parallel par,
            int m,
            int n,
            int k,
            double[] a,
            int ao,
            int lda,
            boolean ta,
            double[] b,
            int bo,
            int ldb,
            boolean tb,
            double[] c,
            int co,
            int ldc,
            boolean add) {
        int mr = kern.mrD();
        int nr = kern.nrD();
        int parts = (long) m * n * k >= MIN_THREADED_WORK ? par.threads() : 1;
        // a thread packs its own columns of B and reads A in place, so a split of the columns
        // packs nothing twice; rows are split when the columns are too few
        boolean rowsFit = m >= 2 * parts * mr;
        boolean colsFit = n >= 2 * parts * nr;
        if (parts > 1 && rowsFit && !colsFit) {
            int rows = roundUp((m + parts - 1) / parts, mr);
            int count = (m + rows - 1) / rows;
            par.forEach(
                    count,
                    Long.MAX_VALUE,
                    t -> block(
                            kern,
                            t * rows,
                            Math.min(m, (t + 1) * rows),
                            0,
                            n,
                            k,
                            a,
                            ao,
                            lda,
                            ta,
                            b,
                            bo,
                            ldb,
                            tb,
                            c,
                            co,
                            ldc,
                            add));
        } else if (parts > 1 && colsFit) {
            // whole panels of nr columns per thread; the few left over (fewer than the threads)
            // are shared out by rows, so that no thread idles while another does one more panel
            int panels = (n + nr - 1) / nr;
            int per = panels / parts;
            int shared = per * parts * nr;
            int rows = roundUp((m + parts - 1) / parts, mr);
            par.forEach(parts, Long.MAX_VALUE, t -> {
                block(
                        kern,
                        0,
                        m,
                        t * per * nr,
                        Math.min(n, (t + 1) * per * nr),
                        k,
                        a,
                        ao,
                        lda,
                        ta,
                        b,
                        bo,
                        ldb,
                        tb,
                        c,
                        co,
                        ldc,
                        add);
                if (shared < n && t * rows < m) {
                    block(
                            kern,
                            t * rows,
                            Math.min(m, (t + 1) * rows),
                            shared,
                            n,
                            k,
                            a,
                            ao,
                            lda,
                            ta,
                            b,
                            bo,
                            ldb,
                            tb,
                            c,
                            co,
                            ldc,
                            add);
                }
            });
        } else {
            block(kern, 0, m, 0, n, k, a, ao, lda, ta, b, bo, ldb, tb, c, co, ldc, add);
        }
    }

    /** Rows {@code [r0, r1)} and columns {@code [c0, c1)} of C, on the calling thread. */
    private static void block(
            Kernels kern,
            int r0,
            int r1,
            int c0,
            int c1,
            int k,
            double[] a,
            int ao,
            int lda,
            boolean ta,
            double[] b,
            int bo,
            int ldb,
            boolean tb,
            double[] c,
            int co,
            int ldc,
            boolean add) {
        int mr = kern.mrD();
        int nr = kern.nrD();
        int narrow = kern.narrowD();
        int mcBlock = Math.min(roundUp(MC, mr), roundUp(r1 - r0, mr));
        int ncBlock = Math.min(Math.max(nr, NC_D / nr * nr), roundUp(c1 - c0, nr));
        int kcBlock = Math.min(KC, k);
        Buffers buf = Buffers.get();
        double[] ap = buf.doubles(Buffers.PACK_A, mr * kcBlock);
        double[] bp = buf.doubles(Buffers.PACK_B, ncBlock * kcBlock);
        double[] tile = buf.doubles(Buffers.TILE, mr * nr);
        for (int jc = c0; jc < c1; jc += ncBlock) {
            int nc = Math.min(ncBlock, c1 - jc);
            for (int pc = 0; pc < k; pc += kcBlock) {
                int kc = Math.min(kcBlock, k - pc);
                // the first slice of k stores into C unless the product is added to it
                boolean sum = add || pc > 0;
                packB(b, bo, ldb, tb, pc, kc, jc, nc, nr, bp);
                for (int ic = r0; ic < r1; ic += mcBlock) {
                    int mc = Math.min(mcBlock, r1 - ic);
                    int full = mc / mr * mr;
                    if (full < mc) {
                        // only a ragged last panel is packed (zero-padded); full panels are read in place
                        packA(a, ao, lda, ta, ic + full, mc - full, pc, kc, mr, ap);
                    }
                    for (int jr = 0; jr < nc; jr += nr) {
                        int nrr = Math.min(nr, nc - jr);
                        for (int ir = 0; ir < mc; ir += mr) {
                            int mrr = Math.min(mr, mc - ir);
                            int cij = co + (ic + ir) * ldc + jc + jr;
                            double[] x = ap;
                            int xo = 0;
                            int rs = 1;
                            int cs = mr;
                            if (mrr == mr) {
                                x = a;
                                xo = ta ? ao + pc * lda + ic + ir : ao + (ic + ir) * lda + pc;
                                rs = ta ? 1 : lda;
                                cs = ta ? lda : 1;
                            }
                            if (mrr == mr && nrr == nr) {
                                kern.microD(kc, x, xo, rs, cs, bp, jr * kc, c, cij, ldc, sum);
                            } else if (nrr <= narrow) {
                                // a narrow last panel: one vector of columns, into scratch unless exact
                                if (mrr == mr && nrr == narrow) {
                                    kern.microNarrowD(kc, x, xo, rs, cs, bp, jr * kc, nr, c, cij, ldc, sum);
                                } else {
                                    kern.microNarrowD(kc, x, xo, rs, cs, bp, jr * kc, nr, tile, 0, narrow, false);
                                    for (int r = 0; r < mrr; r++) {
                                        for (int j = 0; j < nrr; j++) {
                                            int at = cij + r * ldc + j;
                                            c[at] = sum ? c[at] + tile[r * narrow + j] : tile[r * narrow + j];
                                        }
                                    }
                                }
                            } else {
                                // a ragged edge: the whole tile into scratch, then its valid part
                                kern.microD(kc, x, xo, rs, cs, bp, jr * kc, tile, 0, nr, false);
                                for (int r = 0; r < mrr; r++) {
                                    for (int j = 0; j < nrr; j++) {
                                        int at = cij + r * ldc + j;
                                        c[at] = sum ? c[at] + tile[r * nr + j] : tile[r * nr + j];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Rows {@code [ic, ic + mc)} and columns {@code [pc, pc + kc)} of op(A) as panels of
     * {@code mr} rows: panel {@code q} at {@code q mr kc}, holding for each {@code p} the
     * {@code mr} values of column {@code p}; rows past {@code mc} are zeros.
     */
    private static void packA(
            double[] a, int ao, int lda, boolean ta, int ic, int mc, int pc, int kc, int mr, double[] ap) {
        for (int ir = 0; ir < mc; ir += mr) {
            int rows = Math.min(mr, mc - ir);
            int base = ir * kc;
            if (ta) {
                // op(A)[i, p] = a[p, i]: each step of p is a contiguous run of rows, too short for arraycopy
                for (int p = 0; p < kc; p++) {
                    int src = ao + (pc + p) * lda + ic + ir;
                    int dst = base + p * mr;
                    for (int r = 0; r < rows; r++) {
                        ap[dst + r] = a[src + r];
                    }
                    for (int r = rows; r < mr; r++) {
                        ap[dst + r] = 0;
                    }
                }
            } else {
                // rows of a are read side by side, so the panel is written in order
                int src = ao + (ic + ir) * lda + pc;
                for (int p = 0; p < kc; p++) {
                    int dst = base + p * mr;
                    for (int r = 0; r < rows; r++) {
                        ap[dst + r] = a[src + r * lda + p];
                    }
                    for (int r = rows; r < mr; r++) {
                        ap[dst + r] = 0;
                    }
                }
            }
        }
    }

    /**
     * Rows {@code [pc, pc + kc)} and columns {@code [jc, jc + nc)} of op(B) as panels of
     * {@code nr} columns: panel {@code q} at {@code q nr kc}, holding for each {@code p} the
     * {@code nr} values of row {@code p}; columns past {@code nc} are zeros.
     */
    private static void packB(
            double[] b, int bo, int ldb, boolean tb, int pc, int kc, int jc, int nc, int nr, double[] bp) {
        for (int jr = 0; jr < nc; jr += nr) {
            int cols = Math.min(nr, nc - jr);
            int base = jr * kc;
            if (!tb) {
                for (int p = 0; p < kc; p++) {
                    int dst = base + p * nr;
                    System.arraycopy(b, bo + (pc + p) * ldb + jc + jr, bp, dst, cols);
                    if (cols < nr) {
                        Arrays.fill(bp, dst + cols, dst + nr, 0);
                    }
                }
            } else {
                // op(B)[p, j] = b[j, p]: each row of b is read in order and written down a
                // column of the panel, which stays in L1 (10% faster than reading the panel's
                // rows side by side, measured on a 1000 x 1000 transposed B)
                if (cols < nr) {
                    Arrays.fill(bp, base, base + kc * nr, 0);
                }
                for (int j = 0; j < cols; j++) {
                    int src = bo + (jc + jr + j) * ldb + pc;
                    for (int p = 0, dst = base + j; p < kc; p++, dst += nr) {
                        bp[dst] = b[src + p];
                    }
                }
            }
        }
    }
}
