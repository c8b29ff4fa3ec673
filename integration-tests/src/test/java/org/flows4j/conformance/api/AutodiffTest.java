package org.flows4j.conformance.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.DifferentiableFunction;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The autodiff engine's own behaviour; per-op gradients are checked by the conformance kit. */
@SuppressWarnings("try") // scopes opened only for their close()
class AutodiffTest {

    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = Backends.create("cpu");
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    /**
     * log|det W| of a square matrix, computed on the host by LU with partial pivoting, with
     * the gradient W^-T: the custom-function door that Glow's 1x1 convolution uses.
     */
    static final class LogAbsDet implements DifferentiableFunction {
        @Override
        public Tensor forward(Tensor... in) {
            double[][] lu = lu(in[0]);
            double s = 0;
            for (int i = 0; i < lu.length; i++) {
                s += Math.log(Math.abs(lu[i][i]));
            }
            return Tensor.scalar(in[0].backend(), in[0].dtype(), s);
        }

        @Override
        public Tensor[] backward(Tensor g, Tensor out, Tensor... in) {
            int n = in[0].shape().dim(0);
            double[] w = in[0].toDoubleArray();
            double[] invT = new double[n * n];
            for (int c = 0; c < n; c++) { // column c of W^-1 solves W x = e_c; it is row c of W^-T
                double[] e = new double[n];
                e[c] = 1;
                double[] x = solve(w, n, e);
                System.arraycopy(x, 0, invT, c * n, n);
            }
            return new Tensor[] {
                Tensor.of(g.backend(), g.dtype(), invT, in[0].shape()).mul(g)
            };
        }

        private static double[][] lu(Tensor t) {
            int n = t.shape().dim(0);
            double[] w = t.toDoubleArray();
            double[][] a = new double[n][n];
            for (int i = 0; i < n; i++) {
                System.arraycopy(w, i * n, a[i], 0, n);
            }
            for (int k = 0; k < n; k++) {
                int p = k;
                for (int i = k + 1; i < n; i++) {
                    if (Math.abs(a[i][k]) > Math.abs(a[p][k])) {
                        p = i;
                    }
                }
                double[] tmp = a[k];
                a[k] = a[p];
                a[p] = tmp;
                for (int i = k + 1; i < n; i++) {
                    double f = a[i][k] / a[k][k];
                    for (int j = k; j < n; j++) {
                        a[i][j] -= f * a[k][j];
                    }
                }
            }
            return a;
        }

        private static double[] solve(double[] w, int n, double[] b) {
            double[][] a = new double[n][n + 1];
            for (int i = 0; i < n; i++) {
                System.arraycopy(w, i * n, a[i], 0, n);
                a[i][n] = b[i];
            }
            for (int k = 0; k < n; k++) {
                int p = k;
                for (int i = k + 1; i < n; i++) {
                    if (Math.abs(a[i][k]) > Math.abs(a[p][k])) {
                        p = i;
                    }
                }
                double[] tmp = a[k];
                a[k] = a[p];
                a[p] = tmp;
                for (int i = 0; i < n; i++) {
                    if (i != k) {
                        double f = a[i][k] / a[k][k];
                        for (int j = k; j <= n; j++) {
                            a[i][j] -= f * a[k][j];
                        }
                    }
                }
            }
            double[] x = new double[n];
            for (int i = 0; i < n; i++) {
                x[i] = a[i][n] / a[i][i];
            }
            return x;
        }
    }

    @Test
    void customFunctionGradientMatchesFiniteDifferences() {
        double[] w = {2, 1, 0.5, -1, 3, 0.25, 0.1, 0.2, 1.5};
        try (MemoryScope ignored = MemoryScope.open()) {
            Tensor x = Tensor.of(backend, w, 3, 3).requiringGrad();
            Tensor y = Autodiff.apply(new LogAbsDet(), x).mul(2.0);
            double[] g = Autodiff.grad(y, List.of(x)).get(0).toDoubleArray();
            double h = 1e-6;
            for (int i = 0; i < w.length; i++) {
                double[] p = w.clone();
                double[] m = w.clone();
                p[i] += h;
                m[i] -= h;
                double fp = new LogAbsDet().forward(Tensor.of(backend, p, 3, 3)).item();
                double fm = new LogAbsDet().forward(Tensor.of(backend, m, 3, 3)).item();
                assertEquals(2 * (fp - fm) / (2 * h), g[i], 1e-7, "d/dW[" + i + "]");
            }
        }
    }

    @Test
    void customFunctionReturningTheWrongShapeIsCaught() {
        DifferentiableFunction broken = new DifferentiableFunction() {
            @Override
            public Tensor forward(Tensor... in) {
                return in[0].sum();
            }

            @Override
            public Tensor[] backward(Tensor g, Tensor out, Tensor... in) {
                return new Tensor[] {Tensor.zeros(backend, DType.FLOAT64, 7)};
            }
        };
        try (MemoryScope ignored = MemoryScope.open()) {
            Tensor x = Tensor.of(backend, new double[] {1, 2}, 2).requiringGrad();
            IllegalStateException e = assertThrows(
                    IllegalStateException.class, () -> Autodiff.grad(Autodiff.apply(broken, x), List.of(x)));
            assertTrue(e.getMessage().contains("shape [7]") && e.getMessage().contains("[2]"), e.getMessage());
        }
    }

    @Test
    void sharedSubexpressionsAccumulateAndUnusedVariablesGetZeros() {
        try (MemoryScope ignored = MemoryScope.open()) {
            Tensor x = Tensor.of(backend, new double[] {1, 2, 3}, 3).requiringGrad();
            Tensor unused = Tensor.of(backend, new double[] {4, 5}, 2).requiringGrad();
            Tensor u = x.mul(x); // used twice below
            Tensor y = u.add(u).add(x).sum(); // y = 2 x^2 + x, dy/dx = 4x + 1
            List<Tensor> g = Autodiff.grad(y, List.of(x, unused));
            assertArrayEquals(new double[] {5, 9, 13}, g.get(0).toDoubleArray());
            assertArrayEquals(new double[] {0, 0}, g.get(1).toDoubleArray());
        }
    }

    @Test
    void deepChainsDoNotOverflowTheStack() {
        try (MemoryScope ignored = MemoryScope.open()) {
            Tensor x = Tensor.scalar(backend, DType.FLOAT64, 0.5).requiringGrad();
            Tensor y = x;
            for (int i = 0; i < 20_000; i++) {
                y = y.mul(1.0);
            }
            assertEquals(1.0, Autodiff.grad(y, List.of(x)).get(0).item());
        }
    }

    @Test
    void secondOrderGradientsWhenTheBackwardPassIsRecorded() {
        try (MemoryScope ignored = MemoryScope.open()) {
            Tensor x = Tensor.of(backend, new double[] {1, -2}, 2).requiringGrad();
            Tensor y = x.pow(3.0).sum();
            Tensor dy = Autodiff.grad(y, List.of(x), y.onesLike(), true).get(0); // 3 x^2
            assertArrayEquals(new double[] {3, 12}, dy.toDoubleArray(), 1e-12);
            Tensor d2 = Autodiff.grad(dy.sum(), List.of(x)).get(0); // 6 x
            assertArrayEquals(new double[] {6, -12}, d2.toDoubleArray(), 1e-12);
        }
    }

    @Test
    void noGradRecordsNothingAndRestoresTheMode() {
        try (MemoryScope ignored = MemoryScope.open()) {
            Tensor x = Tensor.of(backend, new double[] {1, 2}, 2).requiringGrad();
            Tensor y;
            try (Autodiff.NoGrad off = Autodiff.noGrad()) {
                y = x.exp().sum();
                assertFalse(Autodiff.isRecording());
            }
            assertTrue(Autodiff.isRecording());
            assertFalse(y.requiresGrad());
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> Autodiff.grad(y, List.of(x)));
            assertTrue(e.getMessage().contains("noGrad"), e.getMessage());
            assertTrue(x.exp().sum().requiresGrad());
        }
    }

    @Test
    void gradientRequestsAreValidated() {
        try (MemoryScope ignored = MemoryScope.open()) {
            Tensor x = Tensor.of(backend, new double[] {1, 2}, 2).requiringGrad();
            Tensor plain = Tensor.of(backend, new double[] {1, 2}, 2);
            IllegalArgumentException notScalar =
                    assertThrows(IllegalArgumentException.class, () -> Autodiff.grad(x.exp(), List.of(x)));
            assertTrue(notScalar.getMessage().contains("not a scalar"), notScalar.getMessage());
            IllegalArgumentException notVariable =
                    assertThrows(IllegalArgumentException.class, () -> Autodiff.grad(x.sum(), List.of(plain)));
            assertTrue(notVariable.getMessage().contains("requiringGrad"), notVariable.getMessage());
            Tensor seed = Tensor.ones(backend, DType.FLOAT64, 3);
            assertThrows(IllegalArgumentException.class, () -> Autodiff.grad(x.exp(), List.of(x), seed, false));
            assertEquals(
                    Shape.of(2),
                    Autodiff.grad(x.exp(), List.of(x), x.onesLike(), false)
                            .get(0)
                            .shape());
        }
    }

    @Test
    void concurrentGradientsOnOneBackendAgree() throws Exception {
        double[] data = new java.util.Random(1).doubles(64).toArray();
        Tensor shared = Tensor.of(backend, data, 8, 8);
        double[] expected;
        try (MemoryScope ignored = MemoryScope.open()) {
            Tensor x = shared.requiringGrad();
            expected =
                    Autodiff.grad(x.matmul(x).tanh().sum(), List.of(x)).get(0).toDoubleArray();
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<double[]>> results = new java.util.ArrayList<>();
            for (int t = 0; t < 8; t++) {
                results.add(pool.submit(() -> {
                    try (MemoryScope ignored = MemoryScope.open()) {
                        Tensor x = shared.requiringGrad();
                        return Autodiff.grad(x.matmul(x).tanh().sum(), List.of(x))
                                .get(0)
                                .toDoubleArray();
                    }
                }));
            }
            for (java.util.concurrent.Future<double[]> f : results) {
                assertArrayEquals(expected, f.get());
            }
        } finally {
            pool.shutdown();
        }
    }
}
