package org.flows4j.cli.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.imageio.ImageIO;

/**
 * Renders the zoo's pictures of 2-D densities from plain arrays, so they can be drawn (and
 * tested) without a model: a heat map of the log-density with points over it, and two scatter
 * panels side by side. Both keep one scale on both axes and label their ticks.
 */
final class Plots {

    /**
     * The heat map shows {@code log p(x)} over this many nats below its maximum; lower values
     * are clipped to the bottom colour. Eight nats (a density ratio of about 3000) show the
     * shape of the tails without letting far-away near-zero density wash out the contrast.
     */
    public static final double LOG_RANGE = 8.0;

    static final Color DATA_COLOUR = new Color(0x1f, 0x77, 0xb4, 130);
    static final Color SAMPLE_COLOUR = new Color(0xe6, 0x55, 0x0d, 130);
    private static final int SIDE = 520;
    private static final int LEFT = 78;
    private static final int TOP = 42;
    private static final int BOTTOM = 62;

    private Plots() {}

    /**
     * A heat map of a log-density sampled on a grid, with {@code points} over it.
     *
     * @param logDensity {@code cols * rows} values of {@code log p}, row by row from the bottom
     *     row ({@code y} near {@code yMin}) up, each row from left to right, at cell centres
     * @param cols grid cells across
     * @param rows grid cells up
     * @param bounds the region the grid covers
     * @param points pairs x, y drawn as small white dots (may be empty)
     * @param title the picture's title
     * @return an RGB image about 700 by 600 pixels
     */
    public static BufferedImage density(
            double[] logDensity, int cols, int rows, Bounds bounds, float[] points, String title) {
        if (cols < 2 || rows < 2 || logDensity.length != cols * rows) {
            throw new IllegalArgumentException("a density grid needs at least 2 x 2 values, row by row; got "
                    + logDensity.length + " values for " + cols + " x " + rows);
        }
        int w = bounds.aspect() >= 1 ? SIDE : (int) Math.round(SIDE * bounds.aspect());
        int h = bounds.aspect() >= 1 ? (int) Math.round(SIDE / bounds.aspect()) : SIDE;
        int right = 118;
        BufferedImage img = Chart.canvas(LEFT + w + right, TOP + h + BOTTOM);
        Chart chart = new Chart(LEFT, TOP, w, h, bounds);
        double hi = Double.NEGATIVE_INFINITY;
        for (double v : logDensity) {
            if (Double.isFinite(v)) {
                hi = Math.max(hi, v);
            }
        }
        if (hi == Double.NEGATIVE_INFINITY) {
            hi = 0; // nothing finite: the whole map is the bottom colour
        }
        double lo = hi - LOG_RANGE;
        for (int j = 0; j < h; j++) {
            double y = bounds.yMax() - (j + 0.5) / h * (bounds.yMax() - bounds.yMin());
            double gy = (y - bounds.yMin()) / (bounds.yMax() - bounds.yMin()) * rows - 0.5;
            for (int i = 0; i < w; i++) {
                double x = bounds.xMin() + (i + 0.5) / w * (bounds.xMax() - bounds.xMin());
                double gx = (x - bounds.xMin()) / (bounds.xMax() - bounds.xMin()) * cols - 0.5;
                double v = bilinear(logDensity, cols, rows, gx, gy);
                img.setRGB(LEFT + i, TOP + j, Colormap.viridis((v - lo) / LOG_RANGE));
            }
        }
        Graphics2D g = Chart.graphics(img);
        try {
            g.setColor(new Color(255, 255, 255, 115));
            dots(g, chart, points, 1.3, 1500);
            chart.axes(g, "x\u2081", "x\u2082", title);
            colourBar(g, LEFT + w + 26, TOP, 16, h, lo, hi);
        } finally {
            g.dispose();
        }
        return img;
    }

    /**
     * Two scatter panels with the same axes: {@code data} on the left, {@code samples} on the
     * right. Samples outside {@code bounds} are not drawn; the right title says how many.
     *
     * @param data pairs x, y
     * @param samples pairs x, y
     * @param bounds the region both panels show
     * @param dataTitle the left panel's title
     * @param samplesTitle the right panel's title
     */
    public static BufferedImage samples(
            float[] data, float[] samples, Bounds bounds, String dataTitle, String samplesTitle) {
        int side = 400;
        int w = bounds.aspect() >= 1 ? side : (int) Math.round(side * bounds.aspect());
        int h = bounds.aspect() >= 1 ? (int) Math.round(side / bounds.aspect()) : side;
        int gap = 70;
        BufferedImage img = Chart.canvas(LEFT + w + gap + w + 24, TOP + h + BOTTOM);
        Chart leftChart = new Chart(LEFT, TOP, w, h, bounds);
        Chart rightChart = new Chart(LEFT + w + gap, TOP, w, h, bounds);
        int outside = 0;
        for (int i = 0; i + 1 < samples.length; i += 2) {
            if (!bounds.contains(samples[i], samples[i + 1])) {
                outside++;
            }
        }
        String right = outside == 0 ? samplesTitle : samplesTitle + " (" + outside + " outside)";
        Graphics2D g = Chart.graphics(img);
        try {
            leftChart.grid(g);
            rightChart.grid(g);
            g.setColor(DATA_COLOUR);
            dots(g, leftChart, data, 1.7, 4000);
            g.setColor(SAMPLE_COLOUR);
            dots(g, rightChart, samples, 1.7, 4000);
            leftChart.axes(g, "x\u2081", "x\u2082", dataTitle);
            rightChart.axes(g, "x\u2081", "", right);
        } finally {
            g.dispose();
        }
        return img;
    }

    /** Writes a PNG atomically (a temporary file renamed over the target), creating its directory. */
    public static void writePng(BufferedImage image, Path file) {
        Path target = file.toAbsolutePath();
        try {
            Files.createDirectories(target.getParent());
            Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
            try {
                if (!ImageIO.write(image, "png", temp.toFile())) {
                    throw new IOException("no PNG writer in this JRE");
                }
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + why(e), e);
        }
    }

    /**
     * Why an I/O operation failed, in words: a {@link java.nio.file.FileSystemException}'s
     * message is often only the path it failed on (a temporary file's, here).
     */
    static String why(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException a) {
            return "permission denied (" + a.getFile() + ")";
        }
        if (e instanceof java.nio.file.NoSuchFileException n) {
            return "no such file or directory (" + n.getFile() + ")";
        }
        if (e instanceof java.nio.file.FileSystemException f) {
            return (f.getReason() != null ? f.getReason() : "the file system refused") + " (" + f.getFile() + ")";
        }
        return e.getMessage() != null ? e.getMessage() : "an I/O error";
    }

    /** At most {@code max} of the points (evenly strided, so the picture stays readable), clipped to the chart. */
    private static void dots(Graphics2D g, Chart c, float[] xy, double r, int max) {
        int n = xy.length / 2;
        int stride = Math.max(1, (n + max - 1) / max);
        java.awt.Shape savedClip = g.getClip();
        g.clipRect(c.left, c.top, c.width, c.height);
        try {
            for (int k = 0; k < n; k += stride) {
                float x = xy[2 * k];
                float y = xy[2 * k + 1];
                if (Float.isFinite(x) && Float.isFinite(y)) {
                    g.fill(new Ellipse2D.Double(c.px(x) - r, c.py(y) - r, 2 * r, 2 * r));
                }
            }
        } finally {
            g.setClip(savedClip);
        }
    }

    private static void colourBar(Graphics2D g, int x, int y, int w, int h, double lo, double hi) {
        for (int j = 0; j < h; j++) {
            g.setColor(new Color(Colormap.viridis(1 - (j + 0.5) / h)));
            g.fillRect(x, y + j, w, 1);
        }
        g.setColor(Chart.INK);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(x, y, w, h);
        g.setFont(Chart.TICK_FONT);
        double[] ticks = Chart.ticks(lo, hi, 6);
        for (double t : ticks) {
            int ty = (int) Math.round(y + (hi - t) / (hi - lo) * h);
            g.drawLine(x + w, ty, x + w + 4, ty);
            Chart.text(g, Chart.format(t, ticks), x + w + 7, ty + 4, 0);
        }
        g.setFont(Chart.LABEL_FONT);
        Chart.verticalText(g, "log p(x), clipped " + (int) LOG_RANGE + " below max", x + w + 62, y + h / 2.0);
    }

    /** Bilinear interpolation at fractional cell index {@code (gx, gy)}, clamped at the edges. */
    static double bilinear(double[] v, int cols, int rows, double gx, double gy) {
        double cx = Math.max(0, Math.min(cols - 1, gx));
        double cy = Math.max(0, Math.min(rows - 1, gy));
        int x0 = Math.min(cols - 2, (int) cx);
        int y0 = Math.min(rows - 2, (int) cy);
        double fx = cx - x0;
        double fy = cy - y0;
        double a = finite(v[y0 * cols + x0]);
        double b = finite(v[y0 * cols + x0 + 1]);
        double c = finite(v[(y0 + 1) * cols + x0]);
        double d = finite(v[(y0 + 1) * cols + x0 + 1]);
        return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
    }

    private static double finite(double v) {
        // -inf (zero density) and NaN paint as the bottom colour; -1e300 interpolates without NaN.
        return Double.isFinite(v) ? v : -1e300;
    }
}
