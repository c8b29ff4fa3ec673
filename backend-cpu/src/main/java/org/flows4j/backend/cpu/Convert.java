package org.flows4j.backend.cpu;

/** Widening and rounding between the two element types. */
final class Convert {

    private Convert() {}

    /** Each element rounded to the nearest float (NaN and infinities kept). */
    static float[] toFloats(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }

    /** Each element widened exactly. */
    static double[] toDoubles(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
