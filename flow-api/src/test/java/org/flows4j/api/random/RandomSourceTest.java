package org.flows4j.api.random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RandomSourceTest {

    /**
     * The first outputs for seed 42 are pinned: if they change, every seed-based result
     * (weights, samples, checkpoints' random state) changes with them. Values recorded from
     * this implementation of SplitMix64-seeded xoshiro256**, whose first output for state
     * {1, 2, 3, 4} is 11520 per the reference C code (checked below).
     */
    @Test
    void xoshiroMatchesTheReferenceImplementation() {
        RandomSource r = RandomSource.fromState(new long[] {1, 2, 3, 4});
        assertEquals(11520L, r.nextLong());
        assertEquals(0L, r.nextLong());
        assertEquals(1509978240L, r.nextLong());
    }

    @Test
    void sameSeedSameStreamDifferentSeedDifferentStream() {
        assertArrayEquals(
                RandomSource.seeded(7).uniform(100), RandomSource.seeded(7).uniform(100));
        assertNotEquals(
                Arrays.toString(RandomSource.seeded(7).uniform(5)),
                Arrays.toString(RandomSource.seeded(8).uniform(5)));
    }

    @Test
    void stateRoundTripsExactly() {
        RandomSource r = RandomSource.seeded(3);
        r.normal(11);
        long[] state = r.state();
        double[] expected = r.uniform(20);
        assertArrayEquals(expected, RandomSource.fromState(state).uniform(20));
        assertThrows(IllegalArgumentException.class, () -> RandomSource.fromState(new long[3]));
        assertThrows(IllegalArgumentException.class, () -> RandomSource.fromState(new long[4]));
    }

    @Test
    void splitStreamsAreIndependentAndDeterministic() {
        RandomSource a = RandomSource.seeded(1);
        RandomSource b = RandomSource.seeded(1);
        RandomSource childA = a.split();
        RandomSource childB = b.split();
        assertArrayEquals(childA.uniform(10), childB.uniform(10));
        assertNotEquals(Arrays.toString(a.uniform(4)), Arrays.toString(childA.uniform(4)));
    }

    /** Moments of 200k draws: the standard errors are about 0.002 (mean) and 0.003 (variance). */
    @Test
    void distributionsHaveTheRightMoments() {
        RandomSource r = RandomSource.seeded(11);
        int n = 200_000;
        double[] u = r.uniform(n);
        assertEquals(0.5, mean(u), 0.005);
        assertEquals(1.0 / 12, variance(u), 0.002);
        assertTrue(Arrays.stream(u).allMatch(x -> x >= 0 && x < 1));
        double[] z = r.normal(n);
        assertEquals(0, mean(z), 0.01);
        assertEquals(1, variance(z), 0.015);
        double[] l = r.logistic(n);
        assertEquals(0, mean(l), 0.02);
        assertEquals(Math.PI * Math.PI / 3, variance(l), 0.05);
        assertTrue(Arrays.stream(l).allMatch(Double::isFinite));
    }

    @Test
    void permutationsArePermutationsAndUniform() {
        RandomSource r = RandomSource.seeded(5);
        int[] p = r.permutation(50);
        int[] sorted = p.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 50; i++) {
            assertEquals(i, sorted[i]);
        }
        // position of element 0 over many shuffles of 4: each slot about 1/4 (sd ~ 0.004 at 10k)
        int[] counts = new int[4];
        for (int t = 0; t < 10_000; t++) {
            int[] q = r.permutation(4);
            for (int i = 0; i < 4; i++) {
                if (q[i] == 0) {
                    counts[i]++;
                }
            }
        }
        for (int c : counts) {
            assertEquals(0.25, c / 10_000.0, 0.02);
        }
        assertThrows(IllegalArgumentException.class, () -> r.nextInt(0));
    }

    private static double mean(double[] x) {
        return Arrays.stream(x).average().orElseThrow();
    }

    private static double variance(double[] x) {
        double m = mean(x);
        return Arrays.stream(x).map(v -> (v - m) * (v - m)).sum() / (x.length - 1);
    }
}
