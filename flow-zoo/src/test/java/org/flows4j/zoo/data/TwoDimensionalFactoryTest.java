package org.flows4j.zoo.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.flows4j.api.Shape;
import org.flows4j.api.random.RandomSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The generated densities: sizes, determinism, and one statistic each on the 20000 training
 * points. Tolerances are about five standard errors ({@code sd / sqrt(n)}, sd from the
 * definition or from two million draws of FFJORD's numpy code), so a correct generator fails
 * with negligible probability while a wrong constant (a scale, a centre, a lost sign) is
 * caught.
 */
class TwoDimensionalFactoryTest {

    static List<String> names() {
        return TwoDimensionalFactory.NAMES;
    }

    static Dataset load(String name, long seed, int limit) {
        return new TwoDimensionalFactory(name).load(new DataRequest(name, null, seed, limit));
    }

    /** All values of a split, sample after sample. */
    static float[] values(DataSplit s) {
        float[] out = new float[s.size() * 2];
        for (int i = 0; i < s.size(); i++) {
            System.arraycopy(s.sample(i), 0, out, 2 * i, 2);
        }
        return out;
    }

    static double[] mean(float[] xy) {
        double mx = 0;
        double my = 0;
        for (int i = 0; i < xy.length; i += 2) {
            mx += xy[i];
            my += xy[i + 1];
        }
        int n = xy.length / 2;
        return new double[] {mx / n, my / n};
    }

    @ParameterizedTest
    @MethodSource("names")
    void shapes_and_sizes(String name) {
        Dataset d = load(name, 1, 0);
        assertEquals(name, d.name());
        assertEquals(Dataset.Kind.CONTINUOUS, d.kind());
        assertEquals(Shape.of(2), d.eventShape());
        assertTrue(d.labelNames().isEmpty());
        assertEquals(20000, d.train().size());
        assertEquals(2000, d.validation().size());
        assertEquals(5000, d.test().size());
        assertFalse(d.train().hasLabels());
        for (float v : values(d.train())) {
            assertTrue(Float.isFinite(v));
        }
    }

    @ParameterizedTest
    @MethodSource("names")
    void the_same_seed_gives_the_same_data_and_another_seed_other_data(String name) {
        Dataset a = load(name, 42, 0);
        Dataset b = load(name, 42, 0);
        Dataset c = load(name, 43, 0);
        assertArrayEquals(values(a.train()), values(b.train()));
        assertArrayEquals(values(a.validation()), values(b.validation()));
        assertArrayEquals(values(a.test()), values(b.test()));
        assertFalse(Arrays.equals(values(a.train()), values(c.train())));
        // the splits are independent streams, not copies of one another
        assertFalse(Arrays.equals(values(a.validation()), Arrays.copyOf(values(a.train()), 4000)));
    }

    @ParameterizedTest
    @MethodSource("names")
    void a_limit_keeps_a_prefix_and_shrinks_the_other_splits(String name) {
        Dataset full = load(name, 5, 0);
        Dataset small = load(name, 5, 500);
        assertEquals(500, small.train().size());
        assertEquals(50, small.validation().size()); // ceil(2000 * 500 / 20000)
        assertEquals(125, small.test().size()); // ceil(5000 * 500 / 20000)
        assertArrayEquals(Arrays.copyOf(values(full.train()), 1000), values(small.train()));
        assertArrayEquals(Arrays.copyOf(values(full.test()), 250), values(small.test()));
    }

    @Test
    void two_moons_mean() {
        // make_moons has mean (0.5, 0.25); FFJORD's x2 and shift (-1, -0.2) make it (0, 0.3).
        // sd (1.74, 1.01), so the standard errors at n = 20000 are (0.012, 0.007).
        double[] m = mean(values(load("two-moons", 3, 0).train()));
        assertEquals(0.0, m[0], 0.06);
        assertEquals(0.3, m[1], 0.035);
    }

    @Test
    void eight_gaussians_clusters_sit_on_their_centres() {
        float[] xy = values(load("8gaussians", 3, 0).train());
        double r = 4 / 1.414;
        double[] sx = new double[8];
        double[] sy = new double[8];
        int[] count = new int[8];
        for (int i = 0; i < xy.length; i += 2) {
            // nearest centre, by angle: centres every 45 degrees
            int k = Math.floorMod((int) Math.round(Math.atan2(xy[i + 1], xy[i]) / (Math.PI / 4)), 8);
            sx[k] += xy[i];
            sy[k] += xy[i + 1];
            count[k]++;
        }
        for (int k = 0; k < 8; k++) {
            // about 2500 points each, binomial sd 47; cluster sd 0.5 / 1.414 = 0.354, standard error 0.007
            assertEquals(2500, count[k], 250, "cluster " + k);
            assertEquals(r * Math.cos(k * Math.PI / 4), sx[k] / count[k], 0.04, "cluster " + k + " x");
            assertEquals(r * Math.sin(k * Math.PI / 4), sy[k] / count[k], 0.04, "cluster " + k + " y");
        }
    }

    @Test
    void checkerboard_points_are_on_black_squares() {
        float[] xy = values(load("checkerboard", 3, 0).train());
        int off = 0;
        for (int i = 0; i < xy.length; i += 2) {
            assertTrue(Math.abs(xy[i]) <= 4 && Math.abs(xy[i + 1]) <= 4);
            // squares of side 2: the black ones have an even sum of indices
            long parity = (long) Math.floor(xy[i] / 2) + (long) Math.floor(xy[i + 1] / 2);
            off += Math.floorMod(parity, 2);
        }
        // rounding to float can put a point drawn a hair from an edge onto it: allow a handful
        assertTrue(off <= 5, off + " points off the black squares");
        double[] m = mean(xy);
        // uniform over a symmetric board: sd 2.31 per axis, standard error 0.016
        assertEquals(0, m[0], 0.08);
        assertEquals(0, m[1], 0.08);
    }

    @Test
    void rings_have_four_radii_equally_often() {
        float[] xy = values(load("rings", 3, 0).train());
        double[] sum = new double[4];
        int[] count = new int[4];
        for (int i = 0; i < xy.length; i += 2) {
            double rho = Math.hypot(xy[i], xy[i + 1]);
            int k = (int) Math.min(3, Math.max(0, Math.round(rho / 0.75) - 1)); // nearest of 0.75, 1.5, 2.25, 3
            sum[k] += rho;
            count[k]++;
        }
        for (int k = 0; k < 4; k++) {
            // 5000 each, binomial sd 61; radial noise sd 0.08 (standard error 0.0011) plus a bias of
            // about 0.08^2 / (2 r) <= 0.004 from measuring a distance
            assertEquals(5000, count[k], 300, "ring " + k);
            assertEquals(0.75 * (k + 1), sum[k] / count[k], 0.012, "ring " + k);
        }
    }

    @Test
    void spirals_are_point_symmetric_with_the_expected_mean_radius() {
        float[] xy = values(load("spirals", 3, 0).train());
        double[] m = mean(xy);
        // the sign flip centres it: sd 1.6 per axis, standard error 0.011
        assertEquals(0, m[0], 0.06);
        assertEquals(0, m[1], 0.06);
        double rho = 0;
        for (int i = 0; i < xy.length; i += 2) {
            rho += Math.hypot(xy[i], xy[i + 1]);
        }
        // 2.122 from two million draws of FFJORD's 2spirals; sd 0.775, standard error 0.0055
        assertEquals(2.122, rho / (xy.length / 2.0), 0.03);
    }

    @Test
    void sample_draws_from_a_given_source() {
        TwoDimensionalFactory f = new TwoDimensionalFactory("rings");
        float[] a = f.sample(RandomSource.seeded(9), 10);
        float[] b = f.sample(RandomSource.seeded(9), 10);
        assertEquals(20, a.length);
        assertArrayEquals(a, b);
    }

    @Test
    void unknown_names_and_bad_specs() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TwoDimensionalFactory("swissroll"))
                .getMessage()
                .contains("known: two-moons, 8gaussians, checkerboard, rings, spirals"));
        TwoDimensionalFactory f = new TwoDimensionalFactory("rings");
        assertTrue(assertThrows(DataException.class, () -> f.load(new DataRequest("rings:3", null, 0, 0)))
                .getMessage()
                .contains("rings takes no argument"));
    }

    @Test
    void every_builtin_name_is_unique() {
        List<String> all = DataSets.builtIn().stream().map(DatasetFactory::name).toList();
        assertEquals(
                List.of("mnist", "fashion-mnist", "two-moons", "8gaussians", "checkerboard", "rings", "spirals", "csv"),
                all);
    }
}
