package org.flows4j.cli.plot;

/**
 * Viridis (matplotlib's default): perceptually uniform and readable in grey and by most
 * colour-blind readers, so brightness alone tells high density from low. Interpolated from
 * eleven of its 256 stops.
 */
final class Colormap {

    private static final int[] STOPS = {
        0x440154, 0x482475, 0x414487, 0x355f8d, 0x2a788e, 0x21918c, 0x22a884, 0x44bf70, 0x7ad151, 0xbddf26, 0xfde725,
    };

    private Colormap() {}

    /** The RGB colour at {@code t} in [0, 1] (clamped; NaN is the bottom colour). */
    static int viridis(double t) {
        if (!(t > 0)) {
            return STOPS[0];
        }
        if (t >= 1) {
            return STOPS[STOPS.length - 1];
        }
        double s = t * (STOPS.length - 1);
        int i = (int) s;
        double f = s - i;
        int a = STOPS[i];
        int b = STOPS[i + 1];
        int r = mix((a >> 16) & 0xff, (b >> 16) & 0xff, f);
        int g = mix((a >> 8) & 0xff, (b >> 8) & 0xff, f);
        int bl = mix(a & 0xff, b & 0xff, f);
        return (r << 16) | (g << 8) | bl;
    }

    private static int mix(int a, int b, double f) {
        return (int) Math.round(a + (b - a) * f);
    }
}
