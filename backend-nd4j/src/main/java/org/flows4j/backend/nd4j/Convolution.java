package org.flows4j.backend.nd4j;

import org.flows4j.api.Shape;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Convolutions, NCHW, stride 1, explicit zero padding, weights {@code [cOut, cIn, kh, kw]}:
 * ND4J's {@code conv2d} and {@code conv2d_input_bp}, and for the weight gradient an
 * {@code im2col} and a matrix product per sample, accumulated by BLAS (beta 1):
 * <pre>
 *   cols_i = im2col(x[i])                   [cIn*kh*kw, oh*ow]
 *   dW    += gradOut[i] · cols_i^T           [cOut, cIn*kh*kw]
 * </pre>
 * ({@code conv2d_bp} would also compute the input gradient, which this kernel does not need).
 * Cases with no elements are answered here: an empty batch or no input channels give zero
 * gradients and outputs.
 */
final class Convolution {

    private Convolution() {
    }

    /**
     * ND4J's integer arguments: kernel, stride 1, padding, dilation 1, explicit padding (not
     * "same" mode), NCHW, weights [oC, iC, kH, kW].
     */
    private static int[] args(int kh, int kw, int padH, int padW) {
        return new int[] {kh, kw, 1, 1, padH, padW, 1, 1, 0, 0, 1};
    }

    static Nd4jStorage conv2d(Nd4jStorage input, Nd4jStorage weight, int padH, int padW) {
        int[] x = input.shape().dims();
        int[] w = weight.shape().dims();
        Shape out = Shape.of(x[0], w[0], x[2] + 2 * padH - w[2] + 1, x[3] + 2 * padW - w[3] + 1);
        if (out.size() == 0) {
            return Nd4jStorage.empty(out, input.dtype());
        }
        DataType type = Nd.type(input.dtype());
        if (input.isEmpty() || weight.isEmpty()) {
            return Nd4jStorage.owning(Nd.filled(type, out, 0), out, input.dtype());
        }
        INDArray z = Nd.alloc(type, out);
        try {
            Nd.exec("conv2d", new INDArray[] {input.array(), weight.array()}, new INDArray[] {z},
                    args(w[2], w[3], padH, padW));
        } catch (RuntimeException | Error e) {
            Nd.release(z);
            throw e;
        }
        return Nd4jStorage.owning(z, out, input.dtype());
    }

    static Nd4jStorage backwardInput(Nd4jStorage gradOutput, Nd4jStorage weight, Shape inputShape, int padH,
                                     int padW) {
        if (inputShape.size() == 0) {
            return Nd4jStorage.empty(inputShape, gradOutput.dtype());
        }
        DataType type = Nd.type(gradOutput.dtype());
        if (gradOutput.isEmpty() || weight.isEmpty()) {
            return Nd4jStorage.owning(Nd.filled(type, inputShape, 0), inputShape, gradOutput.dtype());
        }
        int[] w = weight.shape().dims();
        INDArray z = Nd.alloc(type, inputShape);
        try (Scratch s = new Scratch()) {
            INDArray shape = s.add(Nd4j.createFromArray(inputShape.dims()));
            Nd.exec("conv2d_input_bp", new INDArray[] {shape, weight.array(), gradOutput.array()},
                    new INDArray[] {z}, args(w[2], w[3], padH, padW));
        } catch (RuntimeException | Error e) {
            Nd.release(z);
            throw e;
        }
        return Nd4jStorage.owning(z, inputShape, gradOutput.dtype());
    }

    static Nd4jStorage backwardWeight(Nd4jStorage input, Nd4jStorage gradOutput, Shape weightShape, int padH,
                                      int padW) {
        if (weightShape.size() == 0) {
            return Nd4jStorage.empty(weightShape, input.dtype());
        }
        DataType type = Nd.type(input.dtype());
        if (input.isEmpty() || gradOutput.isEmpty()) {
            return Nd4jStorage.owning(Nd.filled(type, weightShape, 0), weightShape, input.dtype());
        }
        int[] x = input.shape().dims();
        int[] g = gradOutput.shape().dims();
        int[] w = weightShape.dims();
        long oc = w[0];
        long ck = (long) w[1] * w[2] * w[3];
        long p = (long) g[2] * g[3];
        long sampleIn = (long) x[1] * x[2] * x[3];
        INDArray z = Nd.alloc(type, weightShape);
        try (Scratch s = new Scratch()) {
            // one sample at a time: the columns of a whole batch would take n times the memory
            INDArray cols = s.add(Nd4j.createUninitialized(type, new long[] {1, w[1], w[2], w[3], g[2], g[3]}, 'c'));
            INDArray cols2 = Nd.sharing(cols, new long[] {ck, p});
            INDArray z2 = Nd.sharing(z, new long[] {oc, ck});
            int[] im2col = {w[2], w[3], 1, 1, padH, padW, 1, 1, 0};
            for (int i = 0; i < x[0]; i++) {
                INDArray xi = Nd.sharing(input.array(), new long[] {1, x[1], x[2], x[3]}, i * sampleIn);
                INDArray gi = Nd.sharing(gradOutput.array(), new long[] {oc, p}, i * oc * p);
                Nd.exec("im2col", new INDArray[] {xi}, new INDArray[] {cols}, im2col, new boolean[0], 0.0);
                // z2 = gi · cols2^T (+ z2 after the first sample): alpha 1, beta 0 then 1
                Nd.exec("matmul", new INDArray[] {gi, cols2}, new INDArray[] {z2}, new int[] {0, 1}, new boolean[0],
                        1.0, i == 0 ? 0.0 : 1.0);
            }
        } catch (RuntimeException | Error e) {
            Nd.release(z);
            throw e;
        }
        return Nd4jStorage.owning(z, weightShape, input.dtype());
    }
}
