package org.flows4j.api.random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.MathContext;
import org.junit.jupiter.api.Test;

/**
 * The portable logarithm against {@link StrictMath#log} (fdlibm, within 1 ulp of the exact value)
 * over the arguments logistic draws give it and over the whole range of normal doubles, and
 * against exact values where they are known.
 */
class PortableLogTest {

    /** Distance in ulps of the result from StrictMath's. */
    private static double ulps(double x) {
        double want = StrictMath.log(x);
        double got = PortableLog.log(x);
        return want == 0 ? Math.abs(got) / Double.MIN_NORMAL : Math.abs(got - want) / Math.ulp(want);
    }

    @Test
    void is_within_two_ulps_of_strict_math_on_the_ratios_of_logistic_draws() {
        RandomSource r = RandomSource.seeded(17);
        double worst = 0;
        for (int i = 0; i < 1_000_000; i++) {
            double u = r.nextDouble();
            if (u == 0) {
                continue;
            }
            worst = Math.max(worst, ulps(u / (1.0 - u)));
        }
        assertTrue(worst <= 2, "worst " + worst + " ulps");
    }

    @Test
    void is_within_two_ulps_of_strict_math_over_every_binade() {
        RandomSource r = RandomSource.seeded(18);
        double worst = 0;
        double worstAt = 0;
        for (int e = -1022; e <= 1023; e++) {
            for (int i = 0; i < 200; i++) {
                double x = Math.scalb(1.0 + r.nextDouble(), e);
                if (Double.isInfinite(x)) {
                    continue;
                }
                double d = ulps(x);
                if (d > worst) {
                    worst = d;
                    worstAt = x;
                }
            }
        }
        assertTrue(worst <= 2, "worst " + worst + " ulps at " + worstAt);
    }

    @Test
    void is_accurate_next_to_one_where_the_result_is_small() {
        // x = 1 +- a few ulps: ln x ~ x - 1, where an absolute error would be a large relative one
        double worst = 0;
        for (int i = -2000; i <= 2000; i++) {
            double x = 1.0 + i * 0x1p-52 * (i < 0 ? 0.5 : 1);
            if (x != 1.0) {
                worst = Math.max(worst, ulps(x));
            }
        }
        assertTrue(worst <= 2, "worst " + worst + " ulps");
    }

    @Test
    void is_exact_at_one_and_close_at_powers_of_two_and_e() {
        assertEquals(0.0, PortableLog.log(1.0));
        BigDecimal ln2 = new BigDecimal("0.693147180559945309417232121458176568075500134360255");
        for (int k = -1022; k <= 1023; k += 7) {
            double want =
                    ln2.multiply(BigDecimal.valueOf(k), MathContext.DECIMAL128).doubleValue();
            double got = PortableLog.log(Math.scalb(1.0, k));
            assertEquals(want, got, k == 0 ? 0 : Math.ulp(want), "ln 2^" + k);
        }
        assertEquals(1.0, PortableLog.log(Math.E), Math.ulp(1.0));
    }

    @Test
    void logistic_draws_keep_their_distribution_and_symmetry() {
        RandomSource r = RandomSource.seeded(19);
        double[] l = r.logistic(400_000);
        // the standard logistic's CDF at t is 1 / (1 + e^-t): the share below a few points
        for (double t : new double[] {-3, -1, 0, 0.5, 2}) {
            int below = 0;
            for (double v : l) {
                if (v < t) {
                    below++;
                }
            }
            double want = 1 / (1 + Math.exp(-t));
            // four standard errors of a proportion over 400,000 draws
            double se = Math.sqrt(want * (1 - want) / l.length);
            assertEquals(want, (double) below / l.length, 4 * se, "P(X < " + t + ")");
        }
    }
}
