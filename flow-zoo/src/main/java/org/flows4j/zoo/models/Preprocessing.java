package org.flows4j.zoo.models;

import java.util.ArrayList;
import java.util.List;
import org.flows4j.api.flow.Bijector;
import org.flows4j.layers.bijectors.Logit;
import org.flows4j.layers.bijectors.Scale;
import org.flows4j.zoo.data.Dataset;

/** The data-side bijectors that put a model's density in the data's own units. */
final class Preprocessing {

    private Preprocessing() {}

    /**
     * For 8-bit images: dequantized pixels in {@code [0, 256)} scaled to {@code [0, 1)} (log-det
     * {@code -D ln 256}, so the flow's density is one of pixel space), then the logit with
     * {@code alpha} if {@code alpha > 0}. Nothing for continuous data.
     */
    static List<Bijector> forData(Dataset.Kind kind, double logitAlpha) {
        List<Bijector> out = new ArrayList<>();
        if (kind == Dataset.Kind.IMAGE_8BIT) {
            out.add(new Scale(1.0 / 256));
            if (logitAlpha > 0) {
                out.add(new Logit(logitAlpha));
            }
        }
        return out;
    }

    /** {@code size} repeated {@code times} times: the hidden sizes of an MLP of a given width and depth. */
    static int[] repeated(int size, int times) {
        int[] out = new int[times];
        java.util.Arrays.fill(out, size);
        return out;
    }
}
