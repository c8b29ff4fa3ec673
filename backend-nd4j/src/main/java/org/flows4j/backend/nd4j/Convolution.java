package org.flows4j.backend.nd4j;

import org.flows4j.api.Shape;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Convolutions, NCHW, stride 1, explicit zero padding, weights {@code [cOut, cIn, kh, kw]}, as
 * ND4J's {@code im2col} and {@code col2im} around batched BLAS products, a chunk of samples at a time:
 * <pre>
 *   cols_i = im2col(x[i])                   [cIn*kh*kw, oh*ow]
 *   y[i]   = W · cols_i                      [cOut, oh*ow]           forward
 *   dx[i]  = col2im(W^T · gradOut[i])        [cIn, h, w]             input gradient
 *   dW     = sum_i gradOut[i] · cols_i^T    [cOut, cIn*kh*kw]       weight gradient
 * </pre>
 * ND4J's own {@code conv2d} and {@code conv2d_input_bp} reached 1 to 3 GFLOP/s on Glow's
 * coupling convolutions (measured with {@code ModelBench --profile}: 65 ms for one input
 * gradient of a 64 x 64 x 14 x 14 batch by a 4 x 64 x 3 x 3 kernel); the products here run
 * at OpenBLAS's rate. The columns of a chunk take at most {@value #CHUNK_BYTES} bytes, so a
 * large batch does not hold the columns of every sample at once. Cases with no elements are
 * answered here: an empty batch or no input channels give zero gradients and outputs.
 */
final class Convolution {

    /** The most bytes of columns held at once. */
    static final long CHUNK_BYTES = 32L << 20;

    private Convolution() {}

    /** ND4J's im2col/col2im integer arguments before the image size: kernel, stride 1, padding, dilation 1. */
    private static int[] im2colArgs(int kh, int kw, int padH, int padW) {
        return new int[] {kh, kw, 1, 1, padH, padW, 1, 1, 0};
    }

    /** Samples per chunk: as many as fit in {@code chunkBytes} of columns, at least one. */
    private static int chunk(int n, long colsPerSample, DataType type, long chunkBytes) {
        long per = Math.max(1, colsPerSample * type.width());
        return (int) Math.max(1, Math.min(n, chunkBytes / per));
    }

    static Nd4jStorage conv2d(Nd4jStorage input, Nd4jStorage weight, int padH, int padW) {
        return conv2d(input, weight, padH, padW, CHUNK_BYTES);
    }

    /** As {@link #conv2d(Nd4jStorage, Nd4jStorage, int, int)}, with at most {@code chunkBytes} of columns at once. */
    static Nd4jStorage conv2d(Nd4jStorage input, Nd4jStorage weight, int padH, int padW, long chunkBytes) {
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
        int n = x[0];
        int oh = out.dim(2);
        int ow = out.dim(3);
        long oc = w[0];
        long ck = (long) w[1] * w[2] * w[3];
        long p = (long) oh * ow;
        long sampleIn = (long) x[1] * x[2] * x[3];
        int chunk = chunk(n, ck * p, type, chunkBytes);
        INDArray z = Nd.alloc(type, out);
        try (Scratch s = new Scratch()) {
            INDArray cols = s.add(Nd4j.createUninitialized(type, new long[] {chunk, w[1], w[2], w[3], oh, ow}, 'c'));
            INDArray wb = repeated(s, weight.array(), oc, ck, chunk);
            for (int c0 = 0; c0 < n; c0 += chunk) {
                int len = Math.min(chunk, n - c0);
                INDArray xs = Nd.sharing(input.array(), new long[] {len, x[1], x[2], x[3]}, c0 * sampleIn);
                INDArray cs = len == chunk ? cols : Nd.sharing(cols, new long[] {len, w[1], w[2], w[3], oh, ow});
                Nd.exec(
                        "im2col",
                        new INDArray[] {xs},
                        new INDArray[] {cs},
                        im2colArgs(w[2], w[3], padH, padW),
                        new boolean[0],
                        0.0);
                // y[i] = W · cols_i for the chunk's samples in one batched product
                INDArray wl = len == chunk ? wb : Nd.sharing(wb, new long[] {len, oc, ck});
                INDArray cl = Nd.sharing(cols, new long[] {len, ck, p});
                INDArray zl = Nd.sharing(z, new long[] {len, oc, p}, c0 * oc * p);
                Nd.exec(
                        "matmul",
                        new INDArray[] {wl, cl},
                        new INDArray[] {zl},
                        new int[] {0, 0},
                        new boolean[0],
                        1.0,
                        0.0);
            }
        } catch (RuntimeException | Error e) {
            Nd.release(z);
            throw e;
        }
        return Nd4jStorage.owning(z, out, input.dtype());
    }

    static Nd4jStorage backwardInput(Nd4jStorage gradOutput, Nd4jStorage weight, Shape inputShape, int padH, int padW) {
        return backwardInput(gradOutput, weight, inputShape, padH, padW, CHUNK_BYTES);
    }

    /** As {@link #backwardInput(Nd4jStorage, Nd4jStorage, Shape, int, int)}, with at most {@code chunkBytes} of columns at once. */
    static Nd4jStorage backwardInput(
            Nd4jStorage gradOutput, Nd4jStorage weight, Shape inputShape, int padH, int padW, long chunkBytes) {
        if (inputShape.size() == 0) {
            return Nd4jStorage.empty(inputShape, gradOutput.dtype());
        }
        DataType type = Nd.type(gradOutput.dtype());
        if (gradOutput.isEmpty() || weight.isEmpty()) {
            return Nd4jStorage.owning(Nd.filled(type, inputShape, 0), inputShape, gradOutput.dtype());
        }
        int[] x = inputShape.dims();
        int[] w = weight.shape().dims();
        int[] g = gradOutput.shape().dims();
        int n = x[0];
        long oc = w[0];
        long ck = (long) w[1] * w[2] * w[3];
        long p = (long) g[2] * g[3];
        long sampleIn = (long) x[1] * x[2] * x[3];
        int chunk = chunk(n, ck * p, type, chunkBytes);
        // zeros, so that the result never depends on whether col2im clears its output before adding
        INDArray z = Nd.filled(type, inputShape, 0);
        try (Scratch s = new Scratch()) {
            INDArray cols =
                    s.add(Nd4j.createUninitialized(type, new long[] {chunk, w[1], w[2], w[3], g[2], g[3]}, 'c'));
            INDArray wb = repeated(s, weight.array(), oc, ck, chunk);
            int[] col2im = {1, 1, padH, padW, x[2], x[3], 1, 1, 0};
            for (int c0 = 0; c0 < n; c0 += chunk) {
                int len = Math.min(chunk, n - c0);
                // cols_i = W^T · gradOut[i] for the chunk's samples in one batched product
                INDArray wl = len == chunk ? wb : Nd.sharing(wb, new long[] {len, oc, ck});
                INDArray gl = Nd.sharing(gradOutput.array(), new long[] {len, oc, p}, c0 * oc * p);
                INDArray cl = Nd.sharing(cols, new long[] {len, ck, p});
                Nd.exec(
                        "matmul",
                        new INDArray[] {wl, gl},
                        new INDArray[] {cl},
                        new int[] {1, 0},
                        new boolean[0],
                        1.0,
                        0.0);
                INDArray cs = len == chunk ? cols : Nd.sharing(cols, new long[] {len, w[1], w[2], w[3], g[2], g[3]});
                INDArray zs = Nd.sharing(z, new long[] {len, x[1], x[2], x[3]}, c0 * sampleIn);
                Nd.exec("col2im", new INDArray[] {cs}, new INDArray[] {zs}, col2im);
            }
        } catch (RuntimeException | Error e) {
            Nd.release(z);
            throw e;
        }
        return Nd4jStorage.owning(z, inputShape, gradOutput.dtype());
    }

    /**
     * The weight, viewed as {@code [oc, ck]}, copied {@code count} times into a
     * {@code [count, oc, ck]} array for the batched products (ND4J's {@code matmul} does not
     * broadcast a batch dimension); registered with {@code scratch}.
     */
    private static INDArray repeated(Scratch scratch, INDArray weight, long oc, long ck, int count) {
        INDArray w2 = Nd.sharing(weight, new long[] {1, oc, ck});
        return scratch.add(Nd.broadcast(w2, Shape.of(count, (int) oc, (int) ck)));
    }

    static Nd4jStorage backwardWeight(
            Nd4jStorage input, Nd4jStorage gradOutput, Shape weightShape, int padH, int padW) {
        return backwardWeight(input, gradOutput, weightShape, padH, padW, CHUNK_BYTES);
    }

    /**
     * As {@link #backwardWeight(Nd4jStorage, Nd4jStorage, Shape, int, int)}, with at most
     * {@code chunkBytes} of columns at once: per chunk, one batched product gives each sample's
     * {@code gradOut[i] · cols_i^T}, and their sum over the chunk is added to the result.
     */
    static Nd4jStorage backwardWeight(
            Nd4jStorage input, Nd4jStorage gradOutput, Shape weightShape, int padH, int padW, long chunkBytes) {
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
        int n = x[0];
        long oc = w[0];
        long ck = (long) w[1] * w[2] * w[3];
        long p = (long) g[2] * g[3];
        long sampleIn = (long) x[1] * x[2] * x[3];
        int chunk = chunk(n, ck * p, type, chunkBytes);
        INDArray z = Nd.filled(type, weightShape, 0);
        try (Scratch s = new Scratch()) {
            INDArray cols =
                    s.add(Nd4j.createUninitialized(type, new long[] {chunk, w[1], w[2], w[3], g[2], g[3]}, 'c'));
            INDArray parts = s.add(Nd4j.createUninitialized(type, new long[] {chunk, oc, ck}, 'c'));
            INDArray z2 = Nd.sharing(z, new long[] {oc, ck});
            for (int c0 = 0; c0 < n; c0 += chunk) {
                int len = Math.min(chunk, n - c0);
                INDArray xs = Nd.sharing(input.array(), new long[] {len, x[1], x[2], x[3]}, c0 * sampleIn);
                INDArray cs = len == chunk ? cols : Nd.sharing(cols, new long[] {len, w[1], w[2], w[3], g[2], g[3]});
                Nd.exec(
                        "im2col",
                        new INDArray[] {xs},
                        new INDArray[] {cs},
                        im2colArgs(w[2], w[3], padH, padW),
                        new boolean[0],
                        0.0);
                INDArray gl = Nd.sharing(gradOutput.array(), new long[] {len, oc, p}, c0 * oc * p);
                INDArray cl = Nd.sharing(cols, new long[] {len, ck, p});
                INDArray pl = len == chunk ? parts : Nd.sharing(parts, new long[] {len, oc, ck});
                Nd.exec(
                        "matmul",
                        new INDArray[] {gl, cl},
                        new INDArray[] {pl},
                        new int[] {0, 1},
                        new boolean[0],
                        1.0,
                        0.0);
                INDArray sum = s.add(pl.sum(0));
                z2.addi(sum);
            }
        } catch (RuntimeException | Error e) {
            Nd.release(z);
            throw e;
        }
        return Nd4jStorage.owning(z, weightShape, input.dtype());
    }
}
