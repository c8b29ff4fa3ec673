package org.flows4j.cli.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code loss.png}: the training loss against the step (each step's minibatch loss, faint, and
 * a centred moving median over it) with the validation NLL after each epoch, in nats per
 * example; for images a second axis on the right reads the same curve in bits per dimension.
 *
 * <p>The vertical range follows the moving median after the first 2% of steps and the
 * validation points, so the first steps' large losses do not flatten the rest of the curve;
 * what lies outside is clipped at the frame, and the legend says how far a later step far above it goes.
 * A median, not a mean: one batch scored far off (a flow can give an odd image a loss of
 * {@code 1e14} nats where the rest score {@code 2e3}, as {@code maf:images} did at step 985 of
 * its runs) would otherwise lift a whole window of the curve, and the range with it.
 */
public final class LossPlot {

    static final Color TRAIN_COLOUR = new Color(0x1f, 0x77, 0xb4);
    static final Color TRAIN_RAW_COLOUR = new Color(0x1f, 0x77, 0xb4, 70);
    static final Color VALIDATION_COLOUR = new Color(0xe6, 0x55, 0x0d);
    private static final int WIDTH = 620;
    private static final int HEIGHT = 360;
    private static final int LEFT = 90;
    private static final int TOP = 42;
    private static final int BOTTOM = 62;

    private LossPlot() {}

    /**
     * A second vertical axis that reads the loss {@code y} as {@code scale * y + offset}
     * ({@code scale > 0}).
     *
     * @param scale the slope, positive
     * @param offset the intercept
     * @param label the axis label
     */
    public record SecondaryAxis(double scale, double offset, String label) {

        /** Validates. */
        public SecondaryAxis {
            if (!(scale > 0) || !Double.isFinite(scale) || !Double.isFinite(offset)) {
                throw new IllegalArgumentException("a secondary axis needs a finite positive scale and a finite "
                        + "offset; got " + scale + " and " + offset);
            }
        }

        /**
         * Bits per dimension in pixel space for images of {@code dims} values, from the NLL in nats
         * of the data scaled to {@code [0, 1]}: {@code (nll + D ln 256) / (D ln 2) = nll / (D ln 2) + 8}.
         */
        public static SecondaryAxis bitsPerDim(int dims) {
            return new SecondaryAxis(1 / (dims * Math.log(2)), 8, "bits/dim (pixel space)");
        }

        double apply(double y) {
            return scale * y + offset;
        }
    }

    /** Writes the picture of {@code history} (see {@link #render}) as a PNG. */
    public static void write(LossHistory history, Path file, String title, String yLabel, SecondaryAxis secondary) {
        Plots.writePng(render(history, title, yLabel, secondary), file);
    }

    /**
     * Draws the recorded losses.
     *
     * @param history the recorded steps (at least one)
     * @param title the title
     * @param yLabel the left axis label
     * @param secondary a right axis, or null for none
     */
    static BufferedImage render(LossHistory history, String title, String yLabel, SecondaryAxis secondary) {
        long[] steps = history.steps();
        double[] raw = history.losses();
        long[] vSteps = history.validationSteps();
        double[] vLoss = history.validationLosses();
        if (steps.length == 0 && vSteps.length == 0) {
            throw new IllegalArgumentException("no loss recorded: nothing to plot");
        }
        int window = window(raw.length);
        double[] smooth = movingMedian(raw, window);
        Bounds bounds = bounds(steps, smooth, vSteps, vLoss);
        int right = secondary != null ? 78 : 24;
        BufferedImage img = Chart.canvas(LEFT + WIDTH + right, TOP + HEIGHT + BOTTOM);
        Chart chart = new Chart(LEFT, TOP, WIDTH, HEIGHT, bounds);
        Graphics2D g = Chart.graphics(img);
        try {
            chart.grid(g);
            java.awt.Shape savedClip = g.getClip();
            g.clipRect(LEFT, TOP, WIDTH + 1, HEIGHT + 1);
            g.setStroke(new BasicStroke(1f));
            if (window > 1) {
                g.setColor(TRAIN_RAW_COLOUR);
                rawLine(g, chart, steps, raw);
            }
            g.setColor(TRAIN_COLOUR);
            g.setStroke(new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            polyline(g, chart, steps, smooth);
            g.setColor(VALIDATION_COLOUR);
            polyline(g, chart, vSteps, vLoss);
            for (int i = 0; i < vSteps.length; i++) {
                if (Double.isFinite(vLoss[i])) {
                    g.fill(new Ellipse2D.Double(chart.px((double) vSteps[i]) - 4, chart.py(vLoss[i]) - 4, 8, 8));
                }
            }
            g.setClip(savedClip);
            chart.axes(g, "step", yLabel, title);
            if (secondary != null) {
                secondaryAxis(g, bounds, secondary);
            }
            legend(g, raw.length > 0, window, vSteps.length > 0, offScale(raw, bounds));
        } finally {
            g.dispose();
        }
        return img;
    }

    /** The moving average's width: about a fortieth of the run, odd, 1 to 201 steps. */
    static int window(int n) {
        int w = Math.max(1, Math.min(201, n / 40));
        return w % 2 == 0 ? w + 1 : w;
    }

    /**
     * A centred moving median of width {@code window} (of an even count, the mean of the middle
     * two), narrowed at the ends to what exists, so that it neither lags (as an exponential
     * average does) nor shortens the curve, and no single step moves it. Non-finite values are
     * skipped. The window is kept sorted as it slides: {@code O(window)} a step.
     */
    static double[] movingMedian(double[] v, int window) {
        int h = window / 2;
        double[] out = new double[v.length];
        double[] sorted = new double[Math.max(1, Math.min(v.length, 2 * h + 1))];
        int n = 0;
        for (int k = 0; k <= Math.min(v.length - 1, h); k++) {
            n = insert(sorted, n, v[k]);
        }
        for (int i = 0; i < v.length; i++) {
            if (i > 0) {
                if (i - h - 1 >= 0) {
                    n = remove(sorted, n, v[i - h - 1]);
                }
                if (i + h < v.length) {
                    n = insert(sorted, n, v[i + h]);
                }
            }
            out[i] = n == 0 ? Double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }
        return out;
    }

    /** Inserts a finite {@code x} into {@code sorted[0, n)}; returns the new count. */
    private static int insert(double[] sorted, int n, double x) {
        if (!Double.isFinite(x)) {
            return n;
        }
        int at = Arrays.binarySearch(sorted, 0, n, x);
        at = at < 0 ? -at - 1 : at;
        System.arraycopy(sorted, at, sorted, at + 1, n - at);
        sorted[at] = x;
        return n + 1;
    }

    /** Removes one copy of a finite {@code x} from {@code sorted[0, n)}; returns the new count. */
    private static int remove(double[] sorted, int n, double x) {
        if (!Double.isFinite(x)) {
            return n;
        }
        int at = Arrays.binarySearch(sorted, 0, n, x);
        System.arraycopy(sorted, at + 1, sorted, at, n - at - 1);
        return n - 1;
    }

    /** Steps across; the median after the first 2% of steps and the validation points up, padded. */
    static Bounds bounds(long[] steps, double[] smooth, long[] vSteps, double[] vLoss) {
        double x0 = Double.POSITIVE_INFINITY;
        double x1 = Double.NEGATIVE_INFINITY;
        for (long s : steps) {
            x0 = Math.min(x0, (double) s);
            x1 = Math.max(x1, (double) s);
        }
        for (long s : vSteps) {
            x0 = Math.min(x0, (double) s);
            x1 = Math.max(x1, (double) s);
        }
        if (x0 <= 1) {
            x0 = 0; // a run from the start: the axis starts at step 0
        }
        if (!(x1 > x0)) {
            x0 -= 1;
            x1 += 1;
        }
        double y0 = Double.POSITIVE_INFINITY;
        double y1 = Double.NEGATIVE_INFINITY;
        for (int i = skipped(smooth.length); i < smooth.length; i++) {
            if (Double.isFinite(smooth[i])) {
                y0 = Math.min(y0, smooth[i]);
                y1 = Math.max(y1, smooth[i]);
            }
        }
        for (double v : vLoss) {
            if (Double.isFinite(v)) {
                y0 = Math.min(y0, v);
                y1 = Math.max(y1, v);
            }
        }
        if (y0 > y1) {
            y0 = 0;
            y1 = 1;
        }
        double pad = Math.max((y1 - y0) * 0.08, Math.max(1e-3, Math.abs(y1) * 1e-3));
        return new Bounds(x0, x1, y0 - pad, y1 + pad);
    }

    /**
     * The largest loss after the first 2% of steps (those are above the frame by design, see
     * {@link #bounds}) when it lies more than the frame's height above the frame, or NaN: what the
     * legend reports. Nearer, it is a noisy step beside the median, which the faint strokes show.
     */
    static double offScale(double[] raw, Bounds bounds) {
        double top = Double.NEGATIVE_INFINITY;
        for (int i = skipped(raw.length); i < raw.length; i++) {
            if (Double.isFinite(raw[i])) {
                top = Math.max(top, raw[i]);
            }
        }
        return top > bounds.yMax() + (bounds.yMax() - bounds.yMin()) ? top : Double.NaN;
    }

    /** How many of {@code n} steps at the start the range leaves out: the first 2% of 50 or more. */
    static int skipped(int n) {
        return n >= 50 ? n / 50 : 0;
    }

    /**
     * The per-step losses: a polyline when there are few, else one vertical stroke per pixel
     * column from the column's least to its greatest loss (the same picture, drawn in bounded time).
     */
    private static void rawLine(Graphics2D g, Chart c, long[] steps, double[] v) {
        if (v.length <= c.width) {
            polyline(g, c, steps, v);
            return;
        }
        double[] lo = new double[c.width + 1];
        double[] hi = new double[c.width + 1];
        Arrays.fill(lo, Double.POSITIVE_INFINITY);
        Arrays.fill(hi, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < v.length; i++) {
            if (Double.isFinite(v[i])) {
                int col = (int) Math.max(0, Math.min(c.width, Math.round(c.px((double) steps[i]) - c.left)));
                lo[col] = Math.min(lo[col], v[i]);
                hi[col] = Math.max(hi[col], v[i]);
            }
        }
        for (int col = 0; col <= c.width; col++) {
            if (lo[col] <= hi[col]) {
                int x = c.left + col;
                g.drawLine(x, pixelRow(c, hi[col]), x, pixelRow(c, lo[col]));
            }
        }
    }

    /** The pixel row of {@code y}, clamped a frame's height beyond the frame so that no cast overflows. */
    private static int pixelRow(Chart c, double y) {
        return (int) Math.round(Math.max(c.top - c.height, Math.min(c.top + 2.0 * c.height, c.py(y))));
    }

    /** A line through the finite points; a gap where a value is not finite. */
    private static void polyline(Graphics2D g, Chart c, long[] xs, double[] ys) {
        Path2D.Double path = new Path2D.Double();
        boolean open = false;
        for (int i = 0; i < xs.length; i++) {
            if (!Double.isFinite(ys[i])) {
                open = false;
                continue;
            }
            double x = c.px((double) xs[i]);
            double y = c.py(Math.max(-1e12, Math.min(1e12, ys[i])));
            if (open) {
                path.lineTo(x, y);
            } else {
                path.moveTo(x, y);
                open = true;
            }
        }
        g.draw(path);
    }

    private static void secondaryAxis(Graphics2D g, Bounds b, SecondaryAxis axis) {
        double lo = axis.apply(b.yMin());
        double hi = axis.apply(b.yMax());
        double[] ticks = Chart.ticks(lo, hi, HEIGHT / 70);
        int x = LEFT + WIDTH;
        g.setColor(Chart.INK);
        g.setStroke(new BasicStroke(1.2f));
        g.setFont(Chart.TICK_FONT);
        for (double t : ticks) {
            int y = (int) Math.round(TOP + (hi - t) / (hi - lo) * HEIGHT);
            g.drawLine(x, y, x + 5, y);
            Chart.text(g, Chart.format(t, ticks), x + 8, y + 4, 0);
        }
        g.setFont(Chart.LABEL_FONT);
        Chart.verticalText(g, axis.label(), x + 62, TOP + HEIGHT / 2.0);
    }

    private static void legend(Graphics2D g, boolean train, int window, boolean validation, double offScale) {
        String[] labels = {
            train && window > 1 ? "train loss, each step" : null,
            train ? (window > 1 ? "train loss, median of " + window + " steps" : "train loss") : null,
            validation ? "validation NLL" : null,
            Double.isNaN(offScale)
                    ? null
                    : String.format(java.util.Locale.ROOT, "steps above the frame, up to %.3g", offScale),
        };
        g.setFont(Chart.TICK_FONT);
        int width = 0;
        int lines = 0;
        for (String s : labels) {
            if (s != null) {
                width = Math.max(width, ImageGrid.textWidth(Chart.TICK_FONT, s));
                lines++;
            }
        }
        if (lines == 0) {
            return;
        }
        int boxW = width + 46;
        int boxH = lines * 18 + 8;
        int x = LEFT + WIDTH - boxW - 10;
        int y = TOP + 10;
        g.setColor(new Color(255, 255, 255, 225));
        g.fillRect(x, y, boxW, boxH);
        g.setColor(new Color(0, 0, 0, 60));
        g.setStroke(new BasicStroke(1f));
        g.drawRect(x, y, boxW, boxH);
        int row = 0;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] == null) {
                continue;
            }
            int cy = y + 13 + row * 18;
            int lx = x + 8;
            switch (i) {
                case 0 -> {
                    g.setColor(TRAIN_RAW_COLOUR);
                    g.setStroke(new BasicStroke(1f));
                    g.drawLine(lx, cy, lx + 24, cy);
                }
                case 1 -> {
                    g.setColor(TRAIN_COLOUR);
                    g.setStroke(new BasicStroke(2f));
                    g.drawLine(lx, cy, lx + 24, cy);
                }
                case 3 -> {
                    g.setColor(Chart.INK);
                    g.setStroke(new BasicStroke(1f));
                    g.drawLine(lx + 12, cy + 6, lx + 12, cy - 6);
                    g.drawLine(lx + 8, cy - 2, lx + 12, cy - 6);
                    g.drawLine(lx + 16, cy - 2, lx + 12, cy - 6);
                }
                default -> {
                    g.setColor(VALIDATION_COLOUR);
                    g.setStroke(new BasicStroke(2f));
                    g.drawLine(lx, cy, lx + 24, cy);
                    g.fill(new Ellipse2D.Double(lx + 8, cy - 4, 8, 8));
                }
            }
            g.setColor(Chart.INK);
            Chart.text(g, labels[i], lx + 32, cy + 4, 0);
            row++;
        }
    }
}
