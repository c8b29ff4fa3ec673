package org.flows4j.cli.plot;

import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.flows4j.api.Shape;

/**
 * A picture of images in a grid, as the papers show samples, interpolations and inpaintings:
 * tiles of grayscale ({@code [1, h, w]}) or RGB ({@code [3, h, w]}) images in pixel values,
 * upscaled by a whole factor so that 28x28 tiles are readable (nearest neighbour: the pixels
 * stay sharp squares), separated by thin white gaps, with optional row labels on the left,
 * column labels on top and a title.
 *
 * <p>Pixel values are shown as {@code floor(clamp(v, 0, 255))}, the inverse of uniform
 * dequantization, so a decoded {@code k + 0.5} shows as {@code k}. NaN shows as
 * {@link #NAN_COLOUR} and pixels marked missing (inpainting) as {@link #MISSING_COLOUR}.
 *
 * <p>Filled in place, then rendered: not thread-safe. Tiles not filled stay white.
 */
public final class ImageGrid {

    /** Missing (masked) pixels: a saturated blue that no grayscale pixel can be mistaken for. */
    public static final int MISSING_COLOUR = 0x2f6fde;
    /** Not-a-number pixels (a model that blew up): magenta. */
    public static final int NAN_COLOUR = 0xff00ff;
    /** Tile side, in screen pixels, that the automatic upscaling aims at (28 x 3). */
    static final int TARGET_SIDE = 84;
    /** The largest automatic upscaling, for tiny test images. */
    static final int MAX_SCALE = 12;

    static final int MARGIN = 10;
    static final int GAP = 3;
    static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 13);

    private final int rows;
    private final int cols;
    private final int channels;
    private final int height;
    private final int width;
    private final int[][] tiles;
    private List<String> rowLabels = List.of();
    private List<String> columnLabels = List.of();
    private String title;
    private int scale;

    /**
     * An empty grid.
     *
     * @param rows rows of tiles, at least 1
     * @param cols columns of tiles, at least 1
     * @param imageShape one image, {@code [c, h, w]} with {@code c} 1 (grey) or 3 (RGB)
     */
    public ImageGrid(int rows, int cols, Shape imageShape) {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException(
                    "an image grid needs at least one row and one column, got " + rows + " x " + cols);
        }
        if (imageShape.rank() != 3 || (imageShape.dim(0) != 1 && imageShape.dim(0) != 3)) {
            throw new IllegalArgumentException(
                    "image grids show images [1, h, w] (grey) or [3, h, w] (RGB), not " + imageShape);
        }
        this.rows = rows;
        this.cols = cols;
        this.channels = imageShape.dim(0);
        this.height = imageShape.dim(1);
        this.width = imageShape.dim(2);
        this.tiles = new int[rows * cols][];
        this.scale = autoScale(height, width);
    }

    /** The whole factor that makes the longer side about {@value #TARGET_SIDE} screen pixels. */
    static int autoScale(int h, int w) {
        return Math.max(1, Math.min(MAX_SCALE, (int) Math.round((double) TARGET_SIDE / Math.max(h, w))));
    }

    /** Rows of tiles. */
    public int rows() {
        return rows;
    }

    /** Columns of tiles. */
    public int columns() {
        return cols;
    }

    /** Screen pixels per image pixel, along each side. */
    public int scale() {
        return scale;
    }

    /** Sets the upscaling factor (default: {@value #TARGET_SIDE} over the longer side, rounded, 1 to 12). */
    public ImageGrid scale(int factor) {
        if (factor < 1) {
            throw new IllegalArgumentException("scale must be at least 1, got " + factor);
        }
        scale = factor;
        return this;
    }

    /** Labels drawn left of each row, right-aligned (fewer than the rows leave the rest blank). */
    public ImageGrid rowLabels(List<String> labels) {
        rowLabels = List.copyOf(labels);
        return this;
    }

    /** Labels drawn above each column, centred. */
    public ImageGrid columnLabels(List<String> labels) {
        columnLabels = List.copyOf(labels);
        return this;
    }

    /** A title above everything (null for none). */
    public ImageGrid title(String text) {
        title = text;
        return this;
    }

    /**
     * Fills tile {@code (row, col)} with the image at {@code values[offset ..]}: {@code c * h * w}
     * pixel values, channel by channel, each row by row.
     */
    public ImageGrid tile(int row, int col, double[] values, int offset) {
        return tile(row, col, values, offset, null);
    }

    /**
     * As {@link #tile(int, int, double[], int)}, with the pixels where {@code known} (one value
     * per pixel of one channel, or per value of the image) is 0 drawn in {@link #MISSING_COLOUR}.
     */
    public ImageGrid tile(int row, int col, double[] values, int offset, double[] known) {
        if (row < 0 || row >= rows || col < 0 || col >= cols) {
            throw new IndexOutOfBoundsException(
                    "tile (" + row + ", " + col + ") of a " + rows + " x " + cols + " grid");
        }
        int plane = height * width;
        if (offset < 0 || values.length - offset < channels * plane) {
            throw new IllegalArgumentException("an image of " + channels + " x " + height + " x " + width + " needs "
                    + channels * plane + " values from offset " + offset + "; the array has " + values.length);
        }
        if (known != null && known.length != plane && known.length != channels * plane) {
            throw new IllegalArgumentException(
                    "a mask of " + known.length + " values for images of " + channels + " x " + height + " x " + width);
        }
        int[] rgb = new int[plane];
        for (int p = 0; p < plane; p++) {
            if (known != null && known[p % known.length] == 0) {
                rgb[p] = MISSING_COLOUR;
                continue;
            }
            if (channels == 1) {
                double v = values[offset + p];
                rgb[p] = Double.isNaN(v) ? NAN_COLOUR : grey(v) * 0x010101;
            } else {
                double r = values[offset + p];
                double g = values[offset + plane + p];
                double b = values[offset + 2 * plane + p];
                rgb[p] = Double.isNaN(r) || Double.isNaN(g) || Double.isNaN(b)
                        ? NAN_COLOUR
                        : grey(r) << 16 | grey(g) << 8 | grey(b);
            }
        }
        tiles[row * cols + col] = rgb;
        return this;
    }

    /** The displayed level of a pixel value: {@code floor(clamp(v, 0, 255))} (NaN gives 0). */
    public static int grey(double v) {
        return (int) Math.floor(Math.max(0, Math.min(255, v)));
    }

    /** Where the layout puts things, in screen pixels. */
    private record Layout(int left, int top, int imageWidth, int imageHeight, int tileWidth, int tileHeight) {}

    private Layout layout() {
        int tw = width * scale;
        int th = height * scale;
        int labelWidth = 0;
        for (String s : rowLabels) {
            labelWidth = Math.max(labelWidth, textWidth(LABEL_FONT, s));
        }
        int left = MARGIN + (labelWidth > 0 ? labelWidth + 8 : 0);
        int top = MARGIN;
        if (title != null && !title.isEmpty()) {
            top += 24;
        }
        if (columnLabels.stream().anyMatch(s -> s != null && !s.isEmpty())) {
            top += 18;
        }
        int gridWidth = cols * tw + (cols - 1) * GAP;
        int gridHeight = rows * th + (rows - 1) * GAP;
        int w = left + gridWidth + MARGIN;
        if (title != null) {
            // a title wider than the grid widens the picture rather than being cut off, and the
            // grid (with its labels) is centred under it
            int titled = textWidth(Chart.TITLE_FONT, title) + 2 * MARGIN;
            if (titled > w) {
                left += (titled - w) / 2;
                w = titled;
            }
        }
        return new Layout(left, top, w, top + gridHeight + MARGIN, tw, th);
    }

    /** The picture's width in pixels, labels and margins included. */
    public int width() {
        return layout().imageWidth();
    }

    /** The picture's height in pixels, labels and margins included. */
    public int height() {
        return layout().imageHeight();
    }

    /** The screen rectangle of tile {@code (row, col)} in the rendered picture. */
    Rectangle tileArea(int row, int col) {
        Layout l = layout();
        return new Rectangle(
                l.left() + col * (l.tileWidth() + GAP),
                l.top() + row * (l.tileHeight() + GAP),
                l.tileWidth(),
                l.tileHeight());
    }

    /**
     * Draws the picture: white background, tiles, labels and title. Package-private, as the
     * other renderers are, so that the module's API names no {@code java.desktop} type.
     */
    BufferedImage render() {
        Layout l = layout();
        BufferedImage img = Chart.canvas(l.imageWidth(), l.imageHeight());
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int[] t = tiles[r * cols + c];
                if (t == null) {
                    continue;
                }
                Rectangle a = tileArea(r, c);
                int[] line = new int[a.width];
                for (int y = 0; y < height; y++) {
                    for (int x = 0; x < width; x++) {
                        Arrays.fill(line, x * scale, (x + 1) * scale, t[y * width + x]);
                    }
                    for (int k = 0; k < scale; k++) {
                        img.setRGB(a.x, a.y + y * scale + k, a.width, 1, line, 0, a.width);
                    }
                }
            }
        }
        Graphics2D g = Chart.graphics(img);
        try {
            g.setColor(Chart.INK);
            if (title != null && !title.isEmpty()) {
                g.setFont(Chart.TITLE_FONT);
                Chart.text(g, title, l.imageWidth() / 2.0, MARGIN + 15, 0.5);
            }
            g.setFont(LABEL_FONT);
            int ascent = 10;
            for (int c = 0; c < Math.min(cols, columnLabels.size()); c++) {
                Rectangle a = tileArea(0, c);
                Chart.text(g, columnLabels.get(c), a.x + a.width / 2.0, a.y - 6, 0.5);
            }
            for (int r = 0; r < Math.min(rows, rowLabels.size()); r++) {
                Rectangle a = tileArea(r, 0);
                Chart.text(g, rowLabels.get(r), a.x - 8, a.y + a.height / 2.0 + ascent / 2.0, 1.0);
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    /** Renders the picture and writes it as a PNG, atomically, creating the directory. */
    public void writePng(Path file) {
        Plots.writePng(render(), file);
    }

    /** Labels {@code prefix + value} for each value, printed as compactly as it reads (0.5, 1, -0.25). */
    public static List<String> numberLabels(String prefix, double[] values) {
        return numberLabels(prefix, values, 3);
    }

    /** Labels {@code prefix + value}, each value rounded to at most {@code decimals} decimals. */
    public static List<String> numberLabels(String prefix, double[] values, int decimals) {
        List<String> out = new ArrayList<>();
        for (double v : values) {
            out.add(prefix + compact(v, decimals));
        }
        return Collections.unmodifiableList(out);
    }

    /** A number without trailing zeros, at most three decimals: {@code 1}, {@code 0.25}, {@code -0.333}. */
    public static String compact(double v) {
        return compact(v, 3);
    }

    private static String compact(double v, int decimals) {
        if (v == Math.rint(v) && Math.abs(v) < 1e9) {
            return Long.toString((long) v);
        }
        String s = String.format(java.util.Locale.ROOT, "%." + decimals + "f", v);
        s = s.contains(".") ? s.replaceAll("0+$", "") : s;
        s = s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
        return s.equals("-0") ? "0" : s;
    }

    /** The width of {@code s} in {@code font}; an estimate where the JRE has no usable font. */
    static int textWidth(Font font, String s) {
        if (s == null || s.isEmpty()) {
            return 0;
        }
        try {
            BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = scratch.createGraphics();
            try {
                FontMetrics m = g.getFontMetrics(font);
                return m.stringWidth(s);
            } finally {
                g.dispose();
            }
        } catch (RuntimeException | InternalError | NoClassDefFoundError | UnsatisfiedLinkError e) {
            return (int) Math.ceil(0.6 * font.getSize() * s.length());
        }
    }
}
