package org.flows4j.zoo.data;

import java.util.List;
import org.flows4j.api.Shape;

/**
 * A data set with fixed training, validation and test splits, held on the host. Samples are
 * events of {@link #eventShape()}: {@code [d]} for tabular and 2-D data, {@code [c, h, w]} for
 * images.
 *
 * <p>Implemented by the zoo's data sets and by plugins.
 */
public interface Dataset {

    /** What the values are, which decides preprocessing and the units of evaluation. */
    enum Kind {
        /** Real-valued features, modelled as they are. */
        CONTINUOUS,
        /**
         * 8-bit pixels: integer values in {@code 0..255}, dequantized with uniform noise for
         * training and evaluation and reported in bits per dimension in pixel space.
         */
        IMAGE_8BIT
    }

    /**
     * The spec it was loaded from, for example {@code two-moons} or {@code fashion-mnist}.
     *
     * @return the spec as given in the {@link DataRequest}, never null
     */
    String name();

    /**
     * The shape of one sample.
     *
     * @return {@code [d]} for tabular and 2-D data, {@code [c, h, w]} for images
     */
    Shape eventShape();

    /**
     * Continuous values or 8-bit pixels.
     *
     * @return the kind of the values, which decides dequantization and the units of evaluation
     */
    Kind kind();

    /**
     * The training split.
     *
     * @return the training split, never null
     */
    DataSplit train();

    /**
     * The validation split, held out of training for model selection and early stopping.
     *
     * @return the validation split, never null
     */
    DataSplit validation();

    /**
     * The test split, for the final evaluation.
     *
     * @return the test split, never null
     */
    DataSplit test();

    /**
     * Class names by label index, or empty when the data has no labels.
     *
     * @return the class name of label {@code i} at index {@code i}; empty for unlabelled data
     */
    List<String> labelNames();

    /**
     * The names of the context columns every split carries ({@link DataSplit#withContext}), in
     * order, or empty (the default) when the data has none. Conditional models can be trained
     * on them ({@code flows4j train --condition context}).
     *
     * @return the context column names, one per context value of each sample; empty when the data has none
     */
    default List<String> contextNames() {
        return List.of();
    }
}
