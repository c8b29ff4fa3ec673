package org.flows4j.conformance;

import org.flows4j.api.Shape;
import org.flows4j.api.random.RandomSource;

/**
 * Seeded input data for one check. Each check seeds its own source from the kit's seed and
 * its name, so a check's data does not depend on which other checks run or in what order.
 */
final class Gen {

    private final RandomSource rng;

    /** A generator for the check called {@code name}. */
    public Gen(long seed, String name) {
        // spread the name's hash over all 64 bits so similar names give unrelated streams
        this.rng = RandomSource.seeded(seed ^ (name.hashCode() * 0x9E3779B97F4A7C15L));
    }

    /** Normal values with mean 0 and the given standard deviation. */
    public Data normal(double std, int... dims) {
        double[] v = rng.normal(Shape.of(dims).size());
        for (int i = 0; i < v.length; i++) {
            v[i] *= std;
        }
        return Data.of(dims, v);
    }

    /** Standard normal values. */
    public Data normal(int... dims) {
        return normal(1, dims);
    }

    /** Values uniform in {@code [lo, hi)}. */
    public Data uniform(double lo, double hi, int... dims) {
        double[] v = rng.uniform(Shape.of(dims).size());
        for (int i = 0; i < v.length; i++) {
            v[i] = lo + (hi - lo) * v[i];
        }
        return Data.of(dims, v);
    }

    /** Values with magnitude uniform in {@code [lo, hi)} and a random sign: away from a kink at 0. */
    public Data signed(double lo, double hi, int... dims) {
        Data d = uniform(lo, hi, dims);
        double[] v = d.values();
        for (int i = 0; i < v.length; i++) {
            if (rng.nextInt(2) == 0) {
                v[i] = -v[i];
            }
        }
        return d;
    }

    /** Values drawn from {@code choices}: small integers make ties for comparisons. */
    public Data choice(double[] choices, int... dims) {
        double[] v = new double[Shape.of(dims).size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = choices[rng.nextInt(choices.length)];
        }
        return Data.of(dims, v);
    }

    /**
     * Distinct values at least {@code gap} apart in random order: no ties for a maximum, and
     * no kink within a finite-difference step.
     */
    public Data distinct(double gap, int... dims) {
        int n = Shape.of(dims).size();
        int[] p = rng.permutation(n);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (p[i] - n / 2.0) * gap + 0.25 * gap * rng.nextDouble();
        }
        return Data.of(dims, v);
    }

    /**
     * Values on the grid {@code offset + k step} for integers {@code |k| <= half}: two grids with
     * offsets {@code step / 2} apart never come closer than that, so a maximum of them has no
     * tie anywhere under broadcasting.
     */
    public Data grid(double offset, double step, int half, int... dims) {
        double[] v = new double[Shape.of(dims).size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = offset + step * (rng.nextInt(2 * half + 1) - half);
        }
        return Data.of(dims, v);
    }

    /** Integers in {@code [0, bound)}. */
    public int nextInt(int bound) {
        return rng.nextInt(bound);
    }
}
