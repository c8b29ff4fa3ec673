package org.flows4j.cli.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One plotting area inside an image: the mapping from data coordinates to pixels, and the
 * frame, ticks, tick labels, axis labels and title around it.
 */
final class Chart {

    static final Color INK = new Color(0x222222);
    static final Color GRID = new Color(0, 0, 0, 28);
    static final Font TICK_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
    static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 15);

    private static final System.Logger LOG = System.getLogger(Chart.class.getName());
    /** Set once text drawing has failed (a JRE without fonts): later pictures skip text instead of failing. */
    private static volatile boolean textBroken;

    final int left;
    final int top;
    final int width;
    final int height;
    final Bounds bounds;

    Chart(int left, int top, int width, int height, Bounds bounds) {
        this.left = left;
        this.top = top;
        this.width = width;
        this.height = height;
        this.bounds = bounds;
    }

    /** A white RGB image with antialiased drawing. */
    static BufferedImage canvas(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, h);
        } finally {
            g.dispose();
        }
        return img;
    }

    static Graphics2D graphics(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        return g;
    }

    /** The pixel column of {@code x} (fractional). */
    double px(double x) {
        return left + (x - bounds.xMin()) / (bounds.xMax() - bounds.xMin()) * width;
    }

    /** The pixel row of {@code y} (fractional; y grows upwards). */
    double py(double y) {
        return top + (bounds.yMax() - y) / (bounds.yMax() - bounds.yMin()) * height;
    }

    /** Light grid lines at the ticks, under the data. */
    void grid(Graphics2D g) {
        g.setColor(GRID);
        g.setStroke(new BasicStroke(1f));
        for (double t : ticks(bounds.xMin(), bounds.xMax(), width / 90)) {
            int x = (int) Math.round(px(t));
            g.drawLine(x, top, x, top + height);
        }
        for (double t : ticks(bounds.yMin(), bounds.yMax(), height / 70)) {
            int y = (int) Math.round(py(t));
            g.drawLine(left, y, left + width, y);
        }
    }

    /** The frame, ticks with labels on the left and bottom, the axis labels and the title. */
    void axes(Graphics2D g, String xLabel, String yLabel, String title) {
        g.setColor(INK);
        g.setStroke(new BasicStroke(1.2f));
        g.drawRect(left, top, width, height);
        g.setFont(TICK_FONT);
        double[] xt = ticks(bounds.xMin(), bounds.xMax(), width / 90);
        for (double t : xt) {
            int x = (int) Math.round(px(t));
            g.drawLine(x, top + height, x, top + height + 5);
            text(g, format(t, xt), x, top + height + 19, 0.5);
        }
        double[] yt = ticks(bounds.yMin(), bounds.yMax(), height / 70);
        for (double t : yt) {
            int y = (int) Math.round(py(t));
            g.drawLine(left - 5, y, left, y);
            text(g, format(t, yt), left - 8, y + 4, 1.0);
        }
        g.setFont(LABEL_FONT);
        text(g, xLabel, left + width / 2.0, top + height + 42, 0.5);
        verticalText(g, yLabel, left - 48, top + height / 2.0);
        g.setFont(TITLE_FONT);
        text(g, title, left + width / 2.0, top - 12, 0.5);
    }

    /**
     * Round tick values (1, 2 or 5 times a power of ten apart) inside {@code [lo, hi]}, about
     * {@code target} of them.
     */
    static double[] ticks(double lo, double hi, int target) {
        double step = niceStep((hi - lo) / Math.max(2, target));
        List<Double> out = new ArrayList<>();
        double first = Math.ceil(lo / step - 1e-9) * step;
        for (double t = first; t <= hi + step * 1e-9; t += step) {
            out.add(Math.abs(t) < step * 1e-9 ? 0.0 : t);
            if (out.size() > 100) {
                break;
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static double niceStep(double raw) {
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / p;
        return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
    }

    /** A tick label with as many decimals as the ticks' spacing needs, and no more. */
    static String format(double v, double[] ticks) {
        double step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : Math.abs(v);
        int decimals = step > 0 ? Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9)) : 0;
        if (decimals > 6 || Math.abs(v) >= 1e6) {
            return String.format(Locale.ROOT, "%.2g", v);
        }
        // v == 0 also for -0.0, which would print as "-0.0"
        return String.format(Locale.ROOT, "%." + decimals + "f", v == 0 ? 0.0 : v);
    }

    /** Draws {@code s} with its baseline at {@code y}, aligned at {@code x} (0 left, 0.5 centre, 1 right). */
    static void text(Graphics2D g, String s, double x, double y, double align) {
        if (textBroken || s == null || s.isEmpty()) {
            return;
        }
        try {
            FontMetrics m = g.getFontMetrics();
            g.drawString(s, (float) (x - align * m.stringWidth(s)), (float) y);
        } catch (RuntimeException | InternalError | NoClassDefFoundError | UnsatisfiedLinkError e) {
            // Headless JREs without any font still draw the picture; only the labels are lost.
            textBroken = true;
            LOG.log(System.Logger.Level.WARNING, "no usable font, so pictures have no labels: " + e);
        }
    }

    /** Text rotated a quarter turn anticlockwise, centred at {@code (x, y)}. */
    static void verticalText(Graphics2D g, String s, double x, double y) {
        AffineTransform saved = g.getTransform();
        try {
            g.translate(x, y);
            g.rotate(-Math.PI / 2);
            text(g, s, 0, 0, 0.5);
        } finally {
            g.setTransform(saved);
        }
    }
}
