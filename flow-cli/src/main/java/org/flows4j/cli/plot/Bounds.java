package org.flows4j.cli.plot;

/**
 * The region of the plane a picture shows.
 *
 * @param xMin left edge
 * @param xMax right edge, greater than {@code xMin}
 * @param yMin bottom edge
 * @param yMax top edge, greater than {@code yMin}
 */
public record Bounds(double xMin, double xMax, double yMin, double yMax) {

    /** The widest aspect ratio (either way) a picture gets; thinner data is shown with room around it. */
    static final double MAX_ASPECT = 2.0;

    /** Validates. */
    public Bounds {
        if (!(xMax > xMin) || !(yMax > yMin) || !Double.isFinite(xMax - xMin) || !Double.isFinite(yMax - yMin)) {
            throw new IllegalArgumentException(
                    "empty or infinite bounds: x [" + xMin + ", " + xMax + "], y [" + yMin + ", " + yMax + "]");
        }
    }

    /**
     * The box around the finite points of {@code xy} (pairs x, y), padded by {@code pad} of its
     * size on each side, and widened so that its aspect ratio stays within 1:2 and 2:1: both
     * axes keep one scale, so circles stay round.
     */
    public static Bounds around(float[] xy, double pad) {
        double x0 = Double.POSITIVE_INFINITY;
        double x1 = Double.NEGATIVE_INFINITY;
        double y0 = Double.POSITIVE_INFINITY;
        double y1 = Double.NEGATIVE_INFINITY;
        for (int i = 0; i + 1 < xy.length; i += 2) {
            if (Float.isFinite(xy[i]) && Float.isFinite(xy[i + 1])) {
                x0 = Math.min(x0, xy[i]);
                x1 = Math.max(x1, xy[i]);
                y0 = Math.min(y0, xy[i + 1]);
                y1 = Math.max(y1, xy[i + 1]);
            }
        }
        if (x0 > x1) {
            return new Bounds(-1, 1, -1, 1);
        }
        double w = Math.max(x1 - x0, 1e-6);
        double h = Math.max(y1 - y0, 1e-6);
        double cx = (x0 + x1) / 2;
        double cy = (y0 + y1) / 2;
        w *= 1 + 2 * pad;
        h *= 1 + 2 * pad;
        if (w > MAX_ASPECT * h) {
            h = w / MAX_ASPECT;
        } else if (h > MAX_ASPECT * w) {
            w = h / MAX_ASPECT;
        }
        return new Bounds(cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2);
    }

    /** Width over height. */
    public double aspect() {
        return (xMax - xMin) / (yMax - yMin);
    }

    /** Whether the point lies inside. */
    public boolean contains(double x, double y) {
        return x >= xMin && x <= xMax && y >= yMin && y <= yMax;
    }
}
