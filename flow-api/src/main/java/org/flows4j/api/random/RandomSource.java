package org.flows4j.api.random;

import java.util.Arrays;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.tensor.Tensor;

/**
 * The one source of randomness in flows4j: parameter initialization, dequantization noise,
 * sampling noise and shuffling all draw from it. Numbers are generated on the host from a
 * seed and uploaded, so a seed gives the same numbers, and so the same weights and samples,
 * on every backend and every JVM.
 *
 * <p>The generator is xoshiro256** (Blackman and Vigna), seeded through SplitMix64; normals
 * come from the Box-Muller transform with {@link StrictMath}, whose results are fixed by
 * specification, and logistic draws from a logarithm in plain Java arithmetic, whose results the
 * language fixes. {@link #split()} derives an independent stream, so components can be
 * given their own source without sharing state. {@link #state()} and {@link #fromState}
 * save and restore it exactly (checkpoints store it).
 *
 * <p>Not thread-safe: give each thread its own {@link #split()}.
 */
public final class RandomSource {

    private static final double DOUBLE_UNIT = 0x1.0p-53;

    private long s0;
    private long s1;
    private long s2;
    private long s3;

    private RandomSource(long s0, long s1, long s2, long s3) {
        if ((s0 | s1 | s2 | s3) == 0) {
            throw new IllegalArgumentException("random state must not be all zero");
        }
        this.s0 = s0;
        this.s1 = s1;
        this.s2 = s2;
        this.s3 = s3;
    }

    /**
     * A source seeded with {@code seed}.
     *
     * @param seed the seed; any value, 0 included, gives a valid stream
     * @return a new source; equal seeds give equal streams
     */
    public static RandomSource seeded(long seed) {
        long[] x = {seed};
        return new RandomSource(splitMix(x), splitMix(x), splitMix(x), splitMix(x));
    }

    /**
     * Restores a source from {@link #state()}.
     *
     * @param state the four state words, not all zero; the array is not kept
     * @return a new source that continues exactly where the saved one was
     * @throws IllegalArgumentException if {@code state} is null, not four words long, or all zero
     */
    public static RandomSource fromState(long[] state) {
        if (state == null || state.length != 4) {
            throw new IllegalArgumentException(
                    "random state must have 4 words, got " + (state == null ? "null" : Arrays.toString(state)));
        }
        return new RandomSource(state[0], state[1], state[2], state[3]);
    }

    /**
     * The full generator state, four words.
     *
     * @return a new array of four words for {@link #fromState}; this source does not advance
     */
    public long[] state() {
        return new long[] {s0, s1, s2, s3};
    }

    private static long splitMix(long[] x) {
        long z = (x[0] += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * An independent source derived from this one's next output (this source advances).
     *
     * @return a new source
     */
    public RandomSource split() {
        long[] x = {nextLong() ^ 0x5DEECE66DL};
        return new RandomSource(splitMix(x), splitMix(x), splitMix(x), splitMix(x));
    }

    /**
     * 64 uniformly random bits.
     *
     * @return the next output of the generator
     */
    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /**
     * A double uniform in {@code [0, 1)} with 53 random bits.
     *
     * @return a multiple of {@code 2^-53} in {@code [0, 1)}
     */
    public double nextDouble() {
        return (nextLong() >>> 11) * DOUBLE_UNIT;
    }

    /**
     * An int uniform in {@code [0, bound)}, without modulo bias.
     *
     * @param bound the exclusive upper bound, {@code > 0}
     * @return a value in {@code [0, bound)}
     * @throws IllegalArgumentException if {@code bound <= 0}
     */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        int bits;
        int value;
        do { // 31 random bits; reject the top partial block so every value is equally likely
            bits = (int) (nextLong() >>> 33);
            value = bits % bound;
        } while (bits - value + (bound - 1) < 0);
        return value;
    }

    /**
     * {@code n} doubles uniform in {@code [0, 1)}.
     *
     * @param n how many, {@code >= 0}
     * @return a new array of {@code n} values
     */
    public double[] uniform(int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = nextDouble();
        }
        return out;
    }

    /**
     * {@code n} standard normal doubles (Box-Muller: each pair of uniforms gives two normals).
     *
     * @param n how many, {@code >= 0}; an odd {@code n} discards the last pair's second normal
     * @return a new array of {@code n} values, mean 0 and standard deviation 1
     */
    public double[] normal(int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i += 2) {
            double u1 = 1.0 - nextDouble(); // in (0, 1]: log stays finite
            double u2 = nextDouble();
            double r = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
            double theta = 2.0 * Math.PI * u2;
            out[i] = r * StrictMath.cos(theta);
            if (i + 1 < n) {
                out[i + 1] = r * StrictMath.sin(theta);
            }
        }
        return out;
    }

    /**
     * {@code n} standard logistic doubles: {@code ln(u / (1 - u))} for uniform {@code u} in (0, 1),
     * with a logarithm in plain Java arithmetic ({@code PortableLog}), so the same bits on every
     * JVM, within a few ulps of the exact value.
     *
     * @param n how many, {@code >= 0}
     * @return a new array of {@code n} finite values
     */
    public double[] logistic(int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double u;
            do {
                u = nextDouble();
            } while (u == 0.0);
            // 1 - u is exact (u is a multiple of 2^-53), so u / (1 - u) is rounded once
            out[i] = PortableLog.log(u / (1.0 - u));
        }
        return out;
    }

    /**
     * A uniformly random permutation of {@code 0 .. n-1} (Fisher-Yates).
     *
     * @param n the number of elements, {@code >= 0}
     * @return a new array holding each of {@code 0 .. n-1} once
     */
    public int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /**
     * A tensor uniform in {@code [low, high)}.
     *
     * @param backend the backend to create the tensor on
     * @param dtype the element type; values are drawn in double and rounded to it
     * @param shape the dimensions
     * @param low the inclusive lower bound
     * @param high the exclusive upper bound
     * @return a new tensor, in the current memory scope if one is open, that requires no gradient
     */
    public Tensor uniform(Backend backend, DType dtype, Shape shape, double low, double high) {
        double[] u = uniform(shape.size());
        for (int i = 0; i < u.length; i++) {
            u[i] = low + (high - low) * u[i];
        }
        return Tensor.of(backend, dtype, u, shape);
    }

    /**
     * A tensor of normals with the given mean and standard deviation.
     *
     * @param backend the backend to create the tensor on
     * @param dtype the element type; values are drawn in double and rounded to it
     * @param shape the dimensions
     * @param mean the mean of every element
     * @param std the standard deviation of every element, {@code >= 0}
     * @return a new tensor, in the current memory scope if one is open, that requires no gradient
     */
    public Tensor normal(Backend backend, DType dtype, Shape shape, double mean, double std) {
        double[] z = normal(shape.size());
        for (int i = 0; i < z.length; i++) {
            z[i] = mean + std * z[i];
        }
        return Tensor.of(backend, dtype, z, shape);
    }

    /**
     * A tensor of standard logistic draws.
     *
     * @param backend the backend to create the tensor on
     * @param dtype the element type; values are drawn in double and rounded to it
     * @param shape the dimensions
     * @return a new tensor, in the current memory scope if one is open, that requires no gradient
     */
    public Tensor logistic(Backend backend, DType dtype, Shape shape) {
        return Tensor.of(backend, dtype, logistic(shape.size()), shape);
    }
}
