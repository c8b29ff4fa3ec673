package org.flows4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every micro-kernel of this JVM's GEMM plans, called directly with each layout of A that the
 * generated tiles have a loop for: a packed panel ({@code rs = 1, cs = mr}), rows in place
 * ({@code cs = 1}) and columns in place (any other stride). The packed GEMM reaches some of
 * these only for some plans (a tile offered with A packed never reads A in place), so each is
 * checked here, bit for bit, against the chain of fused multiply-adds that the contract
 * ({@link Kernels#microF}) prescribes: each element summed in order of k from 0, then added to
 * C or stored.
 */
class FloatTileTest {

    /** The generated tiles (the scalar one sums without fused multiply-adds and has tests of its own). */
    static Stream<FloatTile> tiles() {
        Map<String, FloatTile> byName = new LinkedHashMap<>();
        for (GemmPlan p : Kernels.vector()
                .orElseThrow(() -> new AssertionError(
                        "no vector kernels: the Vector API is missing or they failed their self-test"))
                .plans()) {
            if (p.bits() > 0) {
                byName.putIfAbsent(p.tile().name(), p.tile());
            }
        }
        return byName.values().stream();
    }

    /** One layout of an {@code mr x kc} block of A inside a larger array. */
    private record Layout(String name, int offset, int rs, int cs) {

        int at(int r, int p) {
            return offset + r * rs + p * cs;
        }
    }

    private static List<Layout> layouts(int mr, int kc) {
        List<Layout> out = new ArrayList<>();
        out.add(new Layout("packed", 5, 1, mr));
        out.add(new Layout("rows in place", 7, kc + 3, 1));
        out.add(new Layout("columns in place", 2, 1, mr + 4));
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tiles")
    void every_layout_of_a_gives_the_bits_of_the_fused_chain(FloatTile tile) {
        int mr = tile.mr();
        int nr = tile.nr();
        int kc = 37;
        SplittableRandom rng = new SplittableRandom(mr * 131L + nr);
        float[][] values = new float[mr][kc];
        for (float[] row : values) {
            for (int p = 0; p < kc; p++) {
                row[p] = (float) (rng.nextDouble() * 2 - 1);
            }
        }
        int bo = 3;
        float[] b = new float[bo + kc * nr];
        for (int i = bo; i < b.length; i++) {
            b[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        int ldc = nr + 5;
        int co = 4;
        float[] c0 = new float[co + mr * ldc];
        for (int i = 0; i < c0.length; i++) {
            c0[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        for (Layout layout : layouts(mr, kc)) {
            float[] a = new float[layout.at(mr - 1, kc - 1) + 1];
            for (int r = 0; r < mr; r++) {
                for (int p = 0; p < kc; p++) {
                    a[layout.at(r, p)] = values[r][p];
                }
            }
            for (boolean add : new boolean[] {true, false}) {
                float[] c = c0.clone();
                tile.micro(kc, a, layout.offset(), layout.rs(), layout.cs(), b, bo, c, co, ldc, add);
                check(tile.name() + ", " + layout.name() + ", add " + add, values, b, bo, nr, nr, c0, c, co, ldc, add);
                if (tile.narrow() > 0) {
                    float[] cn = c0.clone();
                    tile.microNarrow(kc, a, layout.offset(), layout.rs(), layout.cs(), b, bo, cn, co, ldc, add);
                    check(
                            tile.name() + " narrow, " + layout.name() + ", add " + add,
                            values,
                            b,
                            bo,
                            nr,
                            tile.narrow(),
                            c0,
                            cn,
                            co,
                            ldc,
                            add);
                }
            }
        }
    }

    /** The tile's {@code cols} first columns against the fused chain; every other element of C untouched. */
    private static void check(
            String what,
            float[][] a,
            float[] b,
            int bo,
            int nr,
            int cols,
            float[] c0,
            float[] c,
            int co,
            int ldc,
            boolean add) {
        int mr = a.length;
        int kc = a[0].length;
        float[] expected = c0.clone();
        for (int r = 0; r < mr; r++) {
            for (int j = 0; j < cols; j++) {
                float sum = 0f;
                for (int p = 0; p < kc; p++) {
                    sum = Math.fma(b[bo + p * nr + j], a[r][p], sum);
                }
                int at = co + r * ldc + j;
                expected[at] = (add ? c0[at] : 0f) + sum;
            }
        }
        for (int i = 0; i < c.length; i++) {
            assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(c[i]), what + ": element " + i);
        }
    }
}
