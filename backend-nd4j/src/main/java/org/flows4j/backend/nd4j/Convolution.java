package org.flows4j.backend.nd4j;

import java.util.function.Consumer;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Convolutions, NCHW, stride 1, explicit zero padding, weights {@code [cOut, cIn, kh, kw]}, by
 * one of three paths, chosen from the dtype and the shapes alone (never by timing):
 * <ol>
 *   <li><b>Direct</b> ({@link DirectConv}), float32 when the Vector API is present: Vector API
 *       loops from Java over ND4J's buffers. Forward pass: a 1x1 kernel without padding, or at
 *       most 16 output channels, or at most 72 taps {@code cIn kh kw}; input gradient: the same
 *       rule on the transposed convolution (input and output channels swapped, padding
 *       {@code k - 1 - pad}, which must not be negative); weight gradient: at most 16 output
 *       channels or at most 72 taps, or 1x1 (an outer-product loop,
 *       {@link DirectConv#pointwiseWeightGradient}). On glow:small's 64 -> 4 and 2 -> 64 3x3 convolutions
 *       ND4J's columns took 29 to 37 ms a call, the direct loops 1 to 3; on its 1x1 64 -> 64,
 *       9 to 12 ms against 2.6 (forward pass and input gradient).</li>
 *   <li><b>Pointwise</b>: the other 1x1 kernels without padding (float64, or float32 without
 *       the Vector API): one BLAS product per image over
 *       views of the arrays ({@code y[i] = W x[i]}, {@code dx[i] = W^T g[i]},
 *       {@code dW += g[i] x[i]^T}), no column matrix and no copy of the weight. ND4J's
 *       batched {@code matmul} on the repeated weight took 10.7 ms for the weight gradient of a
 *       64 -> 64 layer on a 64 x 64 x 14 x 14 batch, these products 3.2 to 3.7 ms (and up to ten
 *       times that with another process on the cores: OpenBLAS's threads wait for each other).</li>
 *   <li><b>Columns</b>, everything else (float64 3x3, many channels both ways): ND4J's
 *       {@code im2col} and {@code col2im} around batched BLAS products, a chunk of samples at a
 *       time:
 * <pre>
 *   cols_i = im2col(x[i])                   [cIn*kh*kw, oh*ow]
 *   y[i]   = W · cols_i                      [cOut, oh*ow]           forward
 *   dx[i]  = col2im(W^T · gradOut[i])        [cIn, h, w]             input gradient
 *   dW     = sum_i gradOut[i] · cols_i^T    [cOut, cIn*kh*kw]       weight gradient
 * </pre>
 *       ND4J's own {@code conv2d} and {@code conv2d_input_bp} reached 1 to 3 GFLOP/s on Glow's
 *       coupling convolutions (65 ms for one input gradient of a 64 x 64 x 14 x 14 batch by a
 *       4 x 64 x 3 x 3 kernel). The columns of a chunk take at most {@value #CHUNK_BYTES}
 *       bytes, so a large batch does not hold the columns of every sample at once.</li>
 * </ol>
 * Cases with no elements are answered here: an empty batch or no input channels give zero
 * gradients and outputs.
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

    /** Whether the direct loops can read and write these arrays: float32 whole row-major buffers. */
    private static boolean direct(Nd4jStorage a, Nd4jStorage b) {
        return a.dtype() == DType.FLOAT32
                && !a.isEmpty()
                && !b.isEmpty()
                && Nd.direct(a.array())
                && Nd.direct(b.array());
    }

    /** A 1x1 kernel without padding: the image is its own column matrix. */
    private static boolean pointwise(int[] w, int padH, int padW) {
        return w[2] == 1 && w[3] == 1 && padH == 0 && padW == 0;
    }

    /** {@code input [n, cIn, h, w]} correlated with {@code weight [cOut, cIn, kh, kw]}, by the shapes' path. */
    static Nd4jStorage conv2d(Nd4jStorage input, Nd4jStorage weight, int padH, int padW, int threads) {
        int[] x = input.shape().dims();
        int[] w = weight.shape().dims();
        Shape out = Shape.of(x[0], w[0], x[2] + 2 * padH - w[2] + 1, x[3] + 2 * padW - w[3] + 1);
        if (out.size() == 0 || input.isEmpty() || weight.isEmpty()) {
            return columnsForward(input, weight, padH, padW, CHUNK_BYTES);
        }
        if (direct(input, weight) && DirectConv.applies(x[1], w[0], w[2], w[3], padH, padW)) {
            return computed(
                    out,
                    input.dtype(),
                    z -> DirectConv.forward(
                            input.array(),
                            x[0],
                            x[1],
                            x[2],
                            x[3],
                            weight.array(),
                            w[0],
                            w[2],
                            w[3],
                            padH,
                            padW,
                            false,
                            z,
                            threads));
        }
        if (pointwise(w, padH, padW)) {
            // y[i] = W · x[i]
            long p = (long) x[2] * x[3];
            return computed(out, input.dtype(), z -> {
                INDArray w2 = Nd.sharing(weight.array(), new long[] {w[0], w[1]});
                for (int i = 0; i < x[0]; i++) {
                    INDArray xi = Nd.sharing(input.array(), new long[] {x[1], p}, (long) i * x[1] * p);
                    product(w2, false, xi, false, Nd.sharing(z, new long[] {w[0], p}, (long) i * w[0] * p), 0.0);
                }
            });
        }
        return columnsForward(input, weight, padH, padW, CHUNK_BYTES);
    }

    /**
     * A storage of {@code shape} owning a new array that {@code fill} writes whole; the array is
     * released if {@code fill} fails.
     */
    private static Nd4jStorage computed(Shape shape, DType dtype, Consumer<INDArray> fill) {
        INDArray z = Nd.alloc(Nd.type(dtype), shape);
        try {
            fill.accept(z);
        } catch (RuntimeException | Error e) {
            Nd.release(z);
            throw e;
        }
        return Nd4jStorage.owning(z, shape, dtype);
    }

    /**
     * {@code c = op(a) · op(b) + beta c} by one BLAS product ({@code op} transposes where asked);
     * the three are views of the storages' buffers.
     */
    private static void product(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, double beta) {
        Nd.exec(
                "matmul",
                new INDArray[] {a, b},
                new INDArray[] {c},
                new int[] {transA ? 1 : 0, transB ? 1 : 0},
                new boolean[0],
                1.0,
                beta);
    }

    /**
     * The columns path of {@link #conv2d(Nd4jStorage, Nd4jStorage, int, int, int)}, with at most
     * {@code chunkBytes} of columns at once.
     */
    static Nd4jStorage columnsForward(Nd4jStorage input, Nd4jStorage weight, int padH, int padW, long chunkBytes) {
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

    /** The gradient with respect to the input, of {@code inputShape}, by the path the shapes choose. */
    static Nd4jStorage backwardInput(
            Nd4jStorage gradOutput, Nd4jStorage weight, Shape inputShape, int padH, int padW, int threads) {
        if (inputShape.size() == 0 || gradOutput.isEmpty() || weight.isEmpty()) {
            return columnsBackwardInput(gradOutput, weight, inputShape, padH, padW, CHUNK_BYTES);
        }
        int[] x = inputShape.dims();
        int[] w = weight.shape().dims();
        int[] g = gradOutput.shape().dims();
        int fullH = w[2] - 1 - padH;
        int fullW = w[3] - 1 - padW;
        if (direct(gradOutput, weight) && DirectConv.applies(w[0], w[1], w[2], w[3], fullH, fullW)) {
            // the full correlation of the gradient with the flipped, transposed weight
            return computed(
                    inputShape,
                    gradOutput.dtype(),
                    z -> DirectConv.forward(
                            gradOutput.array(),
                            g[0],
                            g[1],
                            g[2],
                            g[3],
                            weight.array(),
                            x[1],
                            w[2],
                            w[3],
                            fullH,
                            fullW,
                            true,
                            z,
                            threads));
        }
        if (pointwise(w, padH, padW)) {
            // dx[i] = W^T · g[i]
            long p = (long) x[2] * x[3];
            return computed(inputShape, gradOutput.dtype(), z -> {
                INDArray w2 = Nd.sharing(weight.array(), new long[] {w[0], w[1]});
                for (int i = 0; i < x[0]; i++) {
                    INDArray gi = Nd.sharing(gradOutput.array(), new long[] {w[0], p}, (long) i * w[0] * p);
                    product(w2, true, gi, false, Nd.sharing(z, new long[] {w[1], p}, (long) i * w[1] * p), 0.0);
                }
            });
        }
        return columnsBackwardInput(gradOutput, weight, inputShape, padH, padW, CHUNK_BYTES);
    }

    /**
     * The columns path of {@link #backwardInput(Nd4jStorage, Nd4jStorage, Shape, int, int, int)},
     * with at most {@code chunkBytes} of columns at once.
     */
    static Nd4jStorage columnsBackwardInput(
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

    /** The gradient with respect to the weight, of {@code weightShape}, by the path the shapes choose. */
    static Nd4jStorage backwardWeight(
            Nd4jStorage input, Nd4jStorage gradOutput, Shape weightShape, int padH, int padW, int threads) {
        if (weightShape.size() == 0 || input.isEmpty() || gradOutput.isEmpty()) {
            return columnsBackwardWeight(input, gradOutput, weightShape, padH, padW, CHUNK_BYTES);
        }
        int[] x = input.shape().dims();
        int[] w = weightShape.dims();
        int[] g = gradOutput.shape().dims();
        if (direct(input, gradOutput) && DirectConv.appliesToWeight(w[1], w[0], w[2], w[3], padH, padW)) {
            return computed(
                    weightShape,
                    input.dtype(),
                    z -> DirectConv.weightGradient(
                            input.array(),
                            x[0],
                            x[1],
                            x[2],
                            x[3],
                            gradOutput.array(),
                            w[0],
                            w[2],
                            w[3],
                            padH,
                            padW,
                            z,
                            threads));
        }
        if (direct(input, gradOutput) && DirectKernels.available() && pointwise(w, padH, padW)) {
            return computed(
                    weightShape,
                    input.dtype(),
                    z -> DirectConv.pointwiseWeightGradient(
                            input.array(), x[0], x[1], x[2] * x[3], gradOutput.array(), w[0], z, threads));
        }
        if (pointwise(w, padH, padW)) {
            // dW = sum_i g[i] · x[i]^T, the images added in order into one product's output
            long p = (long) g[2] * g[3];
            return computed(weightShape, input.dtype(), z -> {
                INDArray z2 = Nd.sharing(z, new long[] {w[0], w[1]});
                for (int i = 0; i < x[0]; i++) {
                    product(
                            Nd.sharing(gradOutput.array(), new long[] {w[0], p}, (long) i * w[0] * p),
                            false,
                            Nd.sharing(input.array(), new long[] {w[1], p}, (long) i * w[1] * p),
                            true,
                            z2,
                            i == 0 ? 0.0 : 1.0);
                }
            });
        }
        return columnsBackwardWeight(input, gradOutput, weightShape, padH, padW, CHUNK_BYTES);
    }

    /**
     * The columns path of {@link #backwardWeight(Nd4jStorage, Nd4jStorage, Shape, int, int, int)}, with at most
     * {@code chunkBytes} of columns at once: per chunk, one batched product gives each sample's
     * {@code gradOut[i] · cols_i^T}, and their sum over the chunk is added to the result.
     */
    static Nd4jStorage columnsBackwardWeight(
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
