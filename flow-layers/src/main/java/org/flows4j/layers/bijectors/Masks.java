package org.flows4j.layers.bijectors;

import org.flows4j.api.Shape;

/** The masks of NICE and RealNVP. {@code flip} swaps which part is kept, so consecutive couplings alternate. */
public final class Masks {

    private Masks() {}

    /**
     * The first {@code ceil(n/2)} features kept, the rest transformed (flipped: the other way).
     *
     * @param n the size of axis 1 (features or channels), at least 2
     * @param flip whether to keep the last {@code floor(n/2)} and transform the first {@code ceil(n/2)} instead
     * @return the partition mask
     * @throws IllegalArgumentException if {@code n} is 0 or 1 (a partition needs two non-empty sets)
     */
    public static PartitionMask halves(int n, boolean flip) {
        int k = (n + 1) / 2;
        int[] first = range(0, k);
        int[] second = range(k, n);
        return flip ? new PartitionMask(n, second, first) : new PartitionMask(n, first, second);
    }

    /**
     * Even indices kept and odd transformed (flipped: odd kept): NICE's split of MNIST pixels.
     *
     * @param n the size of axis 1 (features or channels), at least 2
     * @param flip whether to keep the odd indices and transform the even ones instead
     * @return the partition mask
     * @throws IllegalArgumentException if {@code n} is 0 or 1 (a partition needs two non-empty sets)
     */
    public static PartitionMask oddEven(int n, boolean flip) {
        int[] even = new int[(n + 1) / 2];
        int[] odd = new int[n / 2];
        for (int i = 0; i < n; i++) {
            if (i % 2 == 0) {
                even[i / 2] = i;
            } else {
                odd[i / 2] = i;
            }
        }
        return flip ? new PartitionMask(n, odd, even) : new PartitionMask(n, even, odd);
    }

    /**
     * RealNVP's checkerboard over an event {@code [c, h, w]}: element {@code (i, j)} kept where
     * {@code i + j} is even (flipped: odd), the same pattern in every channel.
     *
     * @param eventShape the image event {@code [c, h, w]}, without the batch axis
     * @param flip whether to keep the elements where {@code i + j} is odd instead
     * @return the binary mask
     * @throws IllegalArgumentException if {@code eventShape} is not of rank 3
     */
    public static BinaryMask checkerboard(Shape eventShape, boolean flip) {
        if (eventShape.rank() != 3) {
            throw new IllegalArgumentException("a checkerboard mask needs an image event [c, h, w], got " + eventShape);
        }
        int c = eventShape.dim(0);
        int h = eventShape.dim(1);
        int w = eventShape.dim(2);
        double[] keep = new double[c * h * w];
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    keep[(ch * h + i) * w + j] = ((i + j) % 2 == 0) != flip ? 1 : 0;
                }
            }
        }
        return new BinaryMask(eventShape, keep);
    }

    /**
     * RealNVP's channel-wise mask: the first half of the {@code channels} kept (flipped: the second half).
     *
     * @param channels the number of channels on axis 1, at least 2; an odd count keeps the larger half first
     * @param flip whether to keep the second half instead
     * @return the partition mask, as {@link #halves} of {@code channels}
     * @throws IllegalArgumentException if {@code channels < 2}
     */
    public static PartitionMask channelWise(int channels, boolean flip) {
        if (channels < 2) {
            throw new IllegalArgumentException("a channel-wise mask needs at least 2 channels, got " + channels);
        }
        return halves(channels, flip);
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) {
            r[i] = from + i;
        }
        return r;
    }
}
