package org.flows4j.zoo.models;

import org.flows4j.api.Shape;
import org.flows4j.zoo.data.Dataset;

/** What the MAF and NSF families share: the data each preset takes, the width rule, conditioning checks. */
final class Autoregressive {

    private Autoregressive() {}

    /** Which data a preset models. */
    enum Data {
        /** 2-D points. */
        PLANE,
        /** Vectors of any dimension (CSV). */
        TABULAR,
        /** 8-bit images, modelled in logit space. */
        IMAGES
    }

    /**
     * The hidden width of the tabular presets for {@code d} features: {@code min(512, max(64, 8 d))}.
     * Wide enough that every MADE degree {@code 1..d-1} has several units in each layer, capped
     * where MAF's paper stopped (512 for its UCI models).
     */
    static int tabularWidth(int d) {
        return Math.min(512, Math.max(64, 8 * d));
    }

    /** Checks that the data fits the preset, naming what would work. */
    static void checkData(String model, Data data, Shape eventShape, Dataset.Kind kind) {
        boolean images = kind == Dataset.Kind.IMAGE_8BIT && eventShape.rank() == 3;
        if (data == Data.IMAGES && !images) {
            throw new IllegalArgumentException(model + " models images [c, h, w] of 8-bit pixels");
        }
        if (data != Data.IMAGES && (images || eventShape.rank() != 1)) {
            throw new IllegalArgumentException(model + " models vectors; for images use maf:images");
        }
        if (data == Data.PLANE && eventShape.size() != 2) {
            throw new IllegalArgumentException(model + " models 2-D points, the data has " + eventShape.size()
                    + " dimensions; use the tabular preset");
        }
    }

    /** Checks that a conditional preset has a context and an unconditional one none. */
    static void checkConditioning(String model, boolean conditional, Conditioning c) {
        if (conditional && !c.isConditional()) {
            throw new IllegalArgumentException(model + " is conditional: train it with --condition label or "
                    + "--condition context (data with labels or context columns)");
        }
        if (!conditional && c.isConditional()) {
            throw new IllegalArgumentException(model + " is unconditional; for --condition "
                    + c.source().option() + " use its -cond preset (see 'flows4j models')");
        }
    }
}
