package org.flows4j.layers.bijectors;

import java.util.Arrays;
import org.flows4j.api.tensor.Tensor;

/**
 * A split of axis 1 into a kept index set and a transformed index set (see {@link Mask}).
 * Contiguous sets (halves, channel-wise) are sliced; others (odd/even) are gathered.
 */
public final class PartitionMask implements Mask {

    private final int size;
    private final int[] kept;
    private final int[] transformed;
    private final int[] merge; // position of each original index within concat(kept, transformed)

    PartitionMask(int size, int[] kept, int[] transformed) {
        if (kept.length + transformed.length != size || kept.length == 0 || transformed.length == 0) {
            throw new IllegalArgumentException("a partition of " + size + " needs two non-empty index sets, got "
                    + kept.length + " and " + transformed.length);
        }
        this.size = size;
        this.kept = kept.clone();
        this.transformed = transformed.clone();
        this.merge = new int[size];
        boolean[] seen = new boolean[size];
        int[] all = new int[size];
        System.arraycopy(kept, 0, all, 0, kept.length);
        System.arraycopy(transformed, 0, all, kept.length, transformed.length);
        for (int i = 0; i < size; i++) {
            if (all[i] < 0 || all[i] >= size || seen[all[i]]) {
                throw new IllegalArgumentException("not a partition of 0.." + (size - 1) + ": " + Arrays.toString(kept)
                        + " and " + Arrays.toString(transformed));
            }
            seen[all[i]] = true;
            merge[all[i]] = i;
        }
    }

    /**
     * The indices of axis 1 that are kept.
     *
     * @return a copy of the kept indices, in the order the conditioner sees them
     */
    public int[] kept() {
        return kept.clone();
    }

    /**
     * The indices of axis 1 that are transformed.
     *
     * @return a copy of the transformed indices, in the order of the transformed part
     */
    public int[] transformed() {
        return transformed.clone();
    }

    /**
     * The same split with the roles of the two sets swapped.
     *
     * @return a new mask that keeps what this one transforms and vice versa
     */
    public PartitionMask flipped() {
        return new PartitionMask(size, /* kept= */ transformed, /* transformed= */ kept);
    }

    private void check(Tensor x) {
        LogDets.checkBatched("coupling", x);
        if (x.shape().dim(1) != size) {
            throw new IllegalArgumentException("coupling: input of shape " + x.shape() + " has "
                    + x.shape().dim(1) + " features or channels on axis 1, the mask splits " + size);
        }
    }

    private static Tensor take(Tensor x, int[] idx) {
        boolean contiguous = true;
        for (int i = 1; i < idx.length; i++) {
            contiguous &= idx[i] == idx[i - 1] + 1;
        }
        return contiguous ? x.slice(1, idx[0], idx[0] + idx.length) : x.gather(1, idx);
    }

    @Override
    public Tensor conditionerInput(Tensor x) {
        check(x);
        return take(x, kept);
    }

    @Override
    public Tensor transformedPart(Tensor x) {
        check(x);
        return take(x, transformed);
    }

    @Override
    public Tensor combine(Tensor x, Tensor transformedPart) {
        Tensor joined = Tensor.concat(1, take(x, kept), transformedPart);
        boolean identity = true;
        for (int i = 0; i < size; i++) {
            identity &= merge[i] == i;
        }
        return identity ? joined : joined.gather(1, merge);
    }

    @Override
    public Tensor maskLogDet(Tensor perElement) {
        return perElement;
    }

    @Override
    public int transformedSize() {
        return transformed.length;
    }

    @Override
    public int conditionerSize() {
        return kept.length;
    }
}
