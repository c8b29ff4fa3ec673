package org.flows4j.layers.bijectors;

import org.flows4j.api.Shape;
import org.flows4j.api.tensor.DifferentiableFunction;
import org.flows4j.api.tensor.Tensor;

/** Differentiable functions of a small square matrix computed on the host. */
final class MatrixFunctions {

    private MatrixFunctions() {}

    /** {@code ln|det W|}, with gradient {@code W^-T} (Jacobi's formula). */
    static final DifferentiableFunction LOG_ABS_DET = new DifferentiableFunction() {
        @Override
        public String name() {
            return "logAbsDet";
        }

        @Override
        public Tensor forward(Tensor... in) {
            Tensor w = in[0];
            int n = w.shape().dim(0);
            return Tensor.scalar(
                    w.backend(),
                    w.dtype(),
                    HostLinearAlgebra.lu(w.toDoubleArray(), n).logAbsDet());
        }

        @Override
        public Tensor[] backward(Tensor g, Tensor out, Tensor... in) {
            Tensor w = in[0];
            int n = w.shape().dim(0);
            double[] invT = HostLinearAlgebra.transpose(HostLinearAlgebra.inverse(w.toDoubleArray(), n), n);
            return new Tensor[] {
                Tensor.of(w.backend(), w.dtype(), invT, w.shape()).mul(g)
            };
        }
    };

    /** {@code W^-1}, with the vector-Jacobian product {@code dW = -W^-T G W^-T}. */
    static final DifferentiableFunction INVERSE = new DifferentiableFunction() {
        @Override
        public String name() {
            return "inverse";
        }

        @Override
        public Tensor forward(Tensor... in) {
            Tensor w = in[0];
            int n = w.shape().dim(0);
            return Tensor.of(w.backend(), w.dtype(), HostLinearAlgebra.inverse(w.toDoubleArray(), n), Shape.of(n, n));
        }

        @Override
        public Tensor[] backward(Tensor g, Tensor out, Tensor... in) {
            return new Tensor[] {
                out.matmul(g, true, false).matmul(out, false, true).neg()
            };
        }
    };

    static void checkSquare(String name, Tensor w) {
        if (w.rank() != 2 || w.shape().dim(0) != w.shape().dim(1)) {
            throw new IllegalArgumentException(name + ": matrix of shape " + w.shape() + " is not square");
        }
    }
}
