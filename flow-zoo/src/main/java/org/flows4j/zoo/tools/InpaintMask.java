package org.flows4j.zoo.tools;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.flows4j.api.Shape;
import org.flows4j.api.random.RandomSource;

/**
 * Which pixels of an image {@code [c, h, w]} are known (1) and which are to be inpainted (0):
 * the masks of the NICE paper's inpainting experiments and a few more. The same pattern
 * applies to every channel.
 */
public enum InpaintMask {
    /** The top half is missing. */
    TOP,
    /** The bottom half is missing. */
    BOTTOM,
    /** Odd rows are missing. */
    ODD,
    /** Even rows are missing. */
    EVEN,
    /** The left half is missing. */
    LEFT,
    /** The right half is missing. */
    RIGHT,
    /** A vertical band in the middle (the central half of the columns) is missing. */
    MIDDLE_V,
    /** A horizontal band in the middle (the central half of the rows) is missing. */
    MIDDLE_H,
    /** 75% of the pixels, chosen at random, are missing. */
    RANDOM75,
    /** 90% of the pixels, chosen at random, are missing. */
    RANDOM90;

    /**
     * The command-line name: {@code top}, {@code middle-v}, {@code random75}.
     *
     * @return the lower-case name with {@code -} for {@code _}, as {@link #parse} accepts it
     */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * Parses a command-line name, failing with the list of masks.
     *
     * @param text a name as {@link #label()} gives it; surrounding blanks and case are ignored
     * @return the mask of that name
     * @throws IllegalArgumentException if no mask has that name, listing the names
     */
    public static InpaintMask parse(String text) {
        for (InpaintMask m : values()) {
            if (m.label().equals(text.trim().toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown mask '" + text + "'; masks: "
                + String.join(
                        ", ", Arrays.stream(values()).map(InpaintMask::label).toList()));
    }

    /**
     * All command-line names.
     *
     * @return the {@link #label()} of every mask, in declaration order; immutable
     */
    public static List<String> labels() {
        return Arrays.stream(values()).map(InpaintMask::label).toList();
    }

    /**
     * The mask over an image of {@code shape} {@code [c, h, w]}: 1 where a pixel is known.
     * Random masks draw from {@code random}.
     *
     * @param shape the image shape {@code [c, h, w]}
     * @param random the source of a random mask's pixels, advanced by one permutation; unused by the fixed
     *     masks
     * @return a new array of {@code c * h * w} values, row-major like the image: 1 where a pixel is known, 0
     *     where it is to be inpainted
     * @throws IllegalArgumentException if {@code shape} is not of rank 3
     */
    public double[] known(Shape shape, RandomSource random) {
        if (shape.rank() != 3) {
            throw new IllegalArgumentException("inpainting masks are for images [c, h, w], not " + shape);
        }
        int c = shape.dim(0);
        int h = shape.dim(1);
        int w = shape.dim(2);
        double[] plane = new double[h * w];
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                boolean missing = switch (this) {
                    case TOP -> i < h / 2;
                    case BOTTOM -> i >= h / 2;
                    case ODD -> i % 2 == 1;
                    case EVEN -> i % 2 == 0;
                    case LEFT -> j < w / 2;
                    case RIGHT -> j >= w / 2;
                    case MIDDLE_V -> j >= w / 4 && j < w - w / 4;
                    case MIDDLE_H -> i >= h / 4 && i < h - h / 4;
                    case RANDOM75, RANDOM90 -> false;
                };
                plane[i * w + j] = missing ? 0 : 1;
            }
        }
        if (this == RANDOM75 || this == RANDOM90) {
            int missing = (int) Math.round((this == RANDOM75 ? 0.75 : 0.9) * plane.length);
            int[] order = random.permutation(plane.length);
            Arrays.fill(plane, 1);
            for (int k = 0; k < missing; k++) {
                plane[order[k]] = 0;
            }
        }
        double[] out = new double[c * h * w];
        for (int ch = 0; ch < c; ch++) {
            System.arraycopy(plane, 0, out, ch * h * w, h * w);
        }
        return out;
    }
}
