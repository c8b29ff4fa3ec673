package org.flows4j.layers.bijectors;

import java.util.Map;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;

/**
 * A fixed permutation of axis 1 (features of a vector, channels of an image):
 * {@code y[:, i] = x[:, perm[i]]}; volume-preserving, {@code log|det| = 0}. Used between
 * couplings so that every element gets transformed (RealNVP's reversal, Glow's baseline).
 */
public final class Permutation implements Bijector {

    private final int[] perm;
    private final int[] inverse;

    /**
     * The permutation {@code perm} of {@code 0 .. n-1}.
     *
     * @param perm the source index of each output position, {@code y[:, i] = x[:, perm[i]]}; a permutation of
     *     {@code 0 .. perm.length - 1}, copied
     * @throws IllegalArgumentException if {@code perm} is not a permutation
     */
    public Permutation(int[] perm) {
        this.perm = perm.clone();
        this.inverse = new int[perm.length];
        boolean[] seen = new boolean[perm.length];
        for (int i = 0; i < perm.length; i++) {
            if (perm[i] < 0 || perm[i] >= perm.length || seen[perm[i]]) {
                throw new IllegalArgumentException("not a permutation: " + java.util.Arrays.toString(perm));
            }
            seen[perm[i]] = true;
            inverse[perm[i]] = i;
        }
    }

    /**
     * Reverses the order of {@code n} features or channels.
     *
     * @param n the size of axis 1, {@code >= 0}
     * @return the permutation {@code n-1, ..., 1, 0}
     */
    public static Permutation reverse(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = n - 1 - i;
        }
        return new Permutation(p);
    }

    /**
     * A uniformly random permutation of {@code n}, drawn once from {@code ctx.random()} and fixed.
     *
     * @param ctx the source of the permutation; its random source advances, nothing else is used
     * @param n the size of axis 1
     * @return the permutation; it has no parameters, so saving a model does not save it: rebuild it from
     *     the same seed
     */
    public static Permutation random(BuildContext ctx, int n) {
        return new Permutation(ctx.random().permutation(n));
    }

    /**
     * The permutation.
     *
     * @return a copy of the indices, {@code perm[i]} the input index of output position {@code i}
     */
    public int[] indices() {
        return perm.clone();
    }

    private static Tensor apply(Tensor x, int[] p) {
        LogDets.checkBatched("Permutation", x);
        if (x.shape().dim(1) != p.length) {
            throw new IllegalArgumentException("Permutation: input of shape " + x.shape() + " has "
                    + x.shape().dim(1) + " elements on axis 1, the permutation has " + p.length);
        }
        return x.gather(1, p);
    }

    @Override
    public Transformed forward(Tensor x) {
        return new Transformed(apply(x, perm), LogDets.zero(x));
    }

    @Override
    public Transformed inverse(Tensor z) {
        return new Transformed(apply(z, inverse), LogDets.zero(z));
    }

    /** A fixed permutation has no parameters (it is rebuilt from the model's seed). */
    @Override
    public Map<String, Parameter> variables() {
        return Map.of();
    }
}
