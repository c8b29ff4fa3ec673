package org.flows4j.layers.bijectors;

import org.flows4j.api.random.RandomSource;

/**
 * Small dense linear algebra on the host, in double, for the channel-mixing matrices of 1x1
 * convolutions (at most a few hundred channels): LU with partial pivoting, inverse, random
 * rotations. Matrices are row-major {@code double[n * n]}.
 */
final class HostLinearAlgebra {

    private HostLinearAlgebra() {}

    /** {@code P A = L U}: {@code lu} holds {@code L} (unit diagonal, below) and {@code U}; {@code perm[i]} is the row of A in row i. */
    // A factorization handed straight to its one caller: no Lu is ever compared or hashed.
    @SuppressWarnings("ArrayRecordComponent")
    record Lu(int n, double[] lu, int[] perm, int swaps) {

        double logAbsDet() {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += Math.log(Math.abs(lu[i * n + i]));
            }
            return s;
        }

        /** Solves {@code A x = b}. */
        double[] solve(double[] b) {
            double[] x = new double[n];
            for (int i = 0; i < n; i++) {
                double v = b[perm[i]];
                for (int j = 0; j < i; j++) {
                    v -= lu[i * n + j] * x[j];
                }
                x[i] = v;
            }
            for (int i = n - 1; i >= 0; i--) {
                double v = x[i];
                for (int j = i + 1; j < n; j++) {
                    v -= lu[i * n + j] * x[j];
                }
                x[i] = v / lu[i * n + i];
            }
            return x;
        }
    }

    static Lu lu(double[] a, int n) {
        double[] m = a.clone();
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        int swaps = 0;
        for (int k = 0; k < n; k++) {
            int p = k;
            for (int i = k + 1; i < n; i++) {
                if (Math.abs(m[i * n + k]) > Math.abs(m[p * n + k])) {
                    p = i;
                }
            }
            if (m[p * n + k] == 0) {
                throw new ArithmeticException("matrix is singular: no pivot in column " + k);
            }
            if (p != k) {
                swaps++;
                for (int j = 0; j < n; j++) {
                    double t = m[k * n + j];
                    m[k * n + j] = m[p * n + j];
                    m[p * n + j] = t;
                }
                int t = perm[k];
                perm[k] = perm[p];
                perm[p] = t;
            }
            for (int i = k + 1; i < n; i++) {
                double f = m[i * n + k] / m[k * n + k];
                m[i * n + k] = f;
                for (int j = k + 1; j < n; j++) {
                    m[i * n + j] -= f * m[k * n + j];
                }
            }
        }
        return new Lu(n, m, perm, swaps);
    }

    /** {@code A^-1}. */
    static double[] inverse(double[] a, int n) {
        Lu f = lu(a, n);
        double[] inv = new double[n * n];
        for (int c = 0; c < n; c++) {
            double[] e = new double[n];
            e[c] = 1;
            double[] col = f.solve(e);
            for (int r = 0; r < n; r++) {
                inv[r * n + c] = col[r];
            }
        }
        return inv;
    }

    static double[] transpose(double[] a, int n) {
        double[] t = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                t[j * n + i] = a[i * n + j];
            }
        }
        return t;
    }

    /**
     * A uniformly random rotation-or-reflection: Gram-Schmidt (twice, for orthogonality to
     * rounding) on a Gaussian matrix, which is Glow's initialization of the 1x1 convolution.
     */
    static double[] randomOrthogonal(int n, RandomSource random) {
        double[] q = random.normal(n * n);
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < i; k++) {
                    double dot = 0;
                    for (int j = 0; j < n; j++) {
                        dot += q[i * n + j] * q[k * n + j];
                    }
                    for (int j = 0; j < n; j++) {
                        q[i * n + j] -= dot * q[k * n + j];
                    }
                }
                double norm = 0;
                for (int j = 0; j < n; j++) {
                    norm += q[i * n + j] * q[i * n + j];
                }
                norm = Math.sqrt(norm);
                for (int j = 0; j < n; j++) {
                    q[i * n + j] /= norm;
                }
            }
        }
        return q;
    }
}
