package org.flows4j.layers.bijectors;

import java.util.Objects;
import org.flows4j.api.Shape;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.BuildContext;

/**
 * Glow's invertible 1x1 convolution: every pixel's channel vector is multiplied by a learned
 * {@code c x c} matrix {@code W}, {@code y_ij = W x_ij}, so
 * {@code log|det| = h * w * ln|det W|}. (On vectors {@code [n, c]}: {@code y = x W^T}.)
 *
 * <p>Two parameterizations, both initialized from a random rotation (log-det 0):
 * <ul>
 *   <li>{@link #plain}: {@code W} itself; {@code ln|det W|} through an LU factorization on the
 *       host with gradient {@code W^-T}, the inverse by solving; {@code O(c^3)} per pass.</li>
 *   <li>{@link #lu}: {@code W = P L (U + diag(sign(s) exp(log|s|)))} with {@code P} a fixed
 *       permutation, {@code L} unit lower triangular, {@code U} strictly upper triangular and
 *       {@code log|s|} learned: {@code ln|det W| = sum log|s|}, cheap and exact.</li>
 * </ul>
 */
public final class InvertibleConv1x1 extends AbstractComponent implements Bijector {

    private final int channels;
    private final boolean luParameterized;
    private final Parameter weight; // plain
    private final Parameter permutation; // lu: P as a matrix (state)
    private final Parameter lower; // lu: strictly lower entries of L
    private final Parameter upper; // lu: strictly upper entries of U
    private final Parameter logAbsS; // lu: log|s|
    private final Parameter signS; // lu: sign(s) (state)

    private InvertibleConv1x1(BuildContext ctx, int channels, boolean lu) {
        Objects.requireNonNull(ctx, "ctx");
        if (channels <= 0) {
            throw new IllegalArgumentException("InvertibleConv1x1: channels must be positive, got " + channels);
        }
        this.channels = channels;
        this.luParameterized = lu;
        double[] q = HostLinearAlgebra.randomOrthogonal(channels, ctx.random());
        Shape square = Shape.of(channels, channels);
        if (!lu) {
            weight = parameter("weight", ctx.tensor(q, square));
            permutation = lower = upper = logAbsS = signS = null;
            return;
        }
        weight = null;
        HostLinearAlgebra.Lu f = HostLinearAlgebra.lu(q, channels);
        int n = channels;
        double[] p = new double[n * n]; // Q = P L U with P[perm[i], i] = 1
        double[] l = new double[n * n];
        double[] u = new double[n * n];
        double[] logS = new double[n];
        double[] sign = new double[n];
        for (int i = 0; i < n; i++) {
            p[f.perm()[i] * n + i] = 1;
            for (int j = 0; j < n; j++) {
                double v = f.lu()[i * n + j];
                if (j < i) {
                    l[i * n + j] = v;
                } else if (j > i) {
                    u[i * n + j] = v;
                } else {
                    logS[i] = Math.log(Math.abs(v));
                    sign[i] = Math.signum(v);
                }
            }
        }
        permutation = state("permutation", ctx.tensor(p, square));
        lower = parameter("lower", ctx.tensor(l, square));
        upper = parameter("upper", ctx.tensor(u, square));
        logAbsS = parameter("logAbsS", ctx.tensor(logS, Shape.of(n)));
        signS = state("signS", ctx.tensor(sign, Shape.of(n)));
    }

    /**
     * The plain parameterization over {@code channels}, initialized from a random rotation
     * drawn from {@code ctx.random()}.
     *
     * @param ctx makes the parameters; the rotation is drawn from its random source, which advances
     * @param channels the size of axis 1 of the inputs ({@code W} is {@code channels x channels}), {@code > 0}
     * @return the convolution, with the single parameter {@code weight}
     * @throws IllegalArgumentException naming {@code channels} if it is not positive
     */
    public static InvertibleConv1x1 plain(BuildContext ctx, int channels) {
        return new InvertibleConv1x1(ctx, channels, false);
    }

    /**
     * The LU parameterization over {@code channels}, initialized from a random rotation
     * drawn from {@code ctx.random()}.
     *
     * @param ctx makes the parameters; the rotation is drawn from its random source, which advances
     * @param channels the size of axis 1 of the inputs ({@code W} is {@code channels x channels}), {@code > 0}
     * @return the convolution, with parameters {@code lower}, {@code upper} and {@code logAbsS} and the
     *     fixed state {@code permutation} and {@code signS}
     * @throws IllegalArgumentException naming {@code channels} if it is not positive
     */
    public static InvertibleConv1x1 lu(BuildContext ctx, int channels) {
        return new InvertibleConv1x1(ctx, channels, true);
    }

    /**
     * Whether this is the LU parameterization.
     *
     * @return {@code true} if made by {@link #lu}, {@code false} if made by {@link #plain}
     */
    public boolean isLuParameterized() {
        return luParameterized;
    }

    /**
     * The current matrix {@code W}, differentiable in the parameters.
     *
     * @return {@code W}, {@code [channels, channels]}; for the LU form computed anew from the factors
     */
    public Tensor matrix() {
        if (!luParameterized) {
            return weight.value();
        }
        Tensor ones = Tensor.ones(lower.value().backend(), lower.value().dtype(), channels, channels);
        Tensor strictLower = triangle(ones, true);
        Tensor strictUpper = triangle(ones, false);
        Tensor eye = eye(ones);
        Tensor l = lower.value().mul(strictLower).add(eye);
        Tensor diag =
                signS.value().mul(logAbsS.value().exp()).reshape(1, channels).mul(eye);
        Tensor u = upper.value().mul(strictUpper).add(diag);
        return permutation.value().matmul(l).matmul(u);
    }

    private Tensor triangle(Tensor ones, boolean lowerPart) {
        double[] m = new double[channels * channels];
        for (int i = 0; i < channels; i++) {
            for (int j = 0; j < channels; j++) {
                m[i * channels + j] = lowerPart ? (j < i ? 1 : 0) : (j > i ? 1 : 0);
            }
        }
        return Tensor.of(ones.backend(), ones.dtype(), m, ones.shape());
    }

    private Tensor eye(Tensor ones) {
        double[] m = new double[channels * channels];
        for (int i = 0; i < channels; i++) {
            m[i * channels + i] = 1;
        }
        return Tensor.of(ones.backend(), ones.dtype(), m, ones.shape());
    }

    private Tensor logAbsDet() {
        if (luParameterized) {
            return logAbsS.value().sum();
        }
        MatrixFunctions.checkSquare("InvertibleConv1x1", weight.value());
        return Autodiff.apply(MatrixFunctions.LOG_ABS_DET, weight.value());
    }

    private Tensor mix(Tensor x, Tensor w) {
        if (x.rank() == 2) {
            return x.matmul(w, false, true);
        }
        return x.conv2d(w.reshape(channels, channels, 1, 1), 0, 0);
    }

    private void check(Tensor x) {
        if ((x.rank() != 2 && x.rank() != 4) || x.shape().dim(1) != channels) {
            throw new IllegalArgumentException("InvertibleConv1x1: input of shape " + x.shape() + " is not [n, "
                    + channels + "] or [n, " + channels + ", h, w]");
        }
    }

    @Override
    public Transformed forward(Tensor x) {
        check(x);
        Tensor y = mix(x, matrix());
        return new Transformed(y, LogDets.constant(x, logAbsDet().mul(LogDets.spatialSize(x))));
    }

    @Override
    public Transformed inverse(Tensor z) {
        check(z);
        Tensor inv = Autodiff.apply(MatrixFunctions.INVERSE, matrix());
        return new Transformed(mix(z, inv), LogDets.constant(z, logAbsDet().mul(-LogDets.spatialSize(z))));
    }
}
