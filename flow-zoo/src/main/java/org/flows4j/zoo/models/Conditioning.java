package org.flows4j.zoo.models;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;

/**
 * What a conditional model is conditioned on: nothing, the data set's class labels (as one-hot
 * vectors {@code c = e_label}, {@code c} the number of classes) or its context columns (as they
 * are). The names are the class names or the column names, in order; a checkpoint stores them,
 * so {@code flows4j sample --label "ankle boot"} can find the class.
 *
 * @param source where the context comes from
 * @param names class names ({@link Source#LABEL}) or column names ({@link Source#CONTEXT});
 *     empty for {@link Source#NONE}
 */
public record Conditioning(Source source, List<String> names) {

    /** Where the context comes from: the {@code --condition} option of {@code flows4j train}. */
    public enum Source {
        /** Unconditional: {@code --condition none}, the default. */
        NONE("none"),
        /** The one-hot class label: {@code --condition label}. */
        LABEL("label"),
        /** The data set's context columns ({@code csv:PATH;context=...}): {@code --condition context}. */
        CONTEXT("context");

        private final String option;

        Source(String option) {
            this.option = option;
        }

        /**
         * The value that selects it.
         *
         * @return the lower-case {@code --condition} value: {@code none}, {@code label} or {@code context}
         */
        public String option() {
            return option;
        }

        /**
         * The source named by {@code value}, case-insensitively.
         *
         * @param value an option value such as {@code label}; surrounding blanks and case are ignored
         * @return the source whose {@link #option()} it is
         * @throws IllegalArgumentException for any other value, listing the valid ones
         */
        public static Source parse(String value) {
            return Options.parse("condition", value, values(), Source::option);
        }
    }

    /**
     * Checks and copies.
     *
     * @param source where the context comes from; not null
     * @param names class names ({@link Source#LABEL}) or column names ({@link Source#CONTEXT}), in order;
     *     empty for {@link Source#NONE}; not null, copied
     * @throws IllegalArgumentException naming {@code names} if it is empty for a conditional
     *     source or not empty for {@link Source#NONE}
     * @throws NullPointerException if {@code source} or {@code names} is null
     */
    public Conditioning {
        Objects.requireNonNull(source, "source");
        names = List.copyOf(Objects.requireNonNull(names, "names"));
        if ((source == Source.NONE) != names.isEmpty()) {
            throw new IllegalArgumentException("names: a conditioning on " + source.option() + " needs "
                    + (source == Source.NONE ? "no names" : "at least one name") + ", got " + names);
        }
    }

    private static final Conditioning NONE = new Conditioning(Source.NONE, List.of());

    /**
     * Unconditional.
     *
     * @return the shared unconditional instance, with no names
     */
    public static Conditioning none() {
        return NONE;
    }

    /**
     * Conditioned on the one-hot class label, {@code names} the class names.
     *
     * @param names the class names by label index, at least one (copied)
     * @return a {@link Source#LABEL} conditioning with {@code names.size()} context features
     * @throws IllegalArgumentException if {@code names} is empty
     */
    public static Conditioning labels(List<String> names) {
        return new Conditioning(Source.LABEL, names);
    }

    /**
     * Conditioned on context columns of these names.
     *
     * @param names the context column names, in the order of each sample's context row, at least one (copied)
     * @return a {@link Source#CONTEXT} conditioning with {@code names.size()} context features
     * @throws IllegalArgumentException if {@code names} is empty
     */
    public static Conditioning columns(List<String> names) {
        return new Conditioning(Source.CONTEXT, names);
    }

    /**
     * The conditioning {@code source} asks for on {@code data}: its label names or its context
     * column names.
     *
     * @param source what to condition on
     * @param data the data set whose {@link Dataset#labelNames()} or {@link Dataset#contextNames()} name the
     *     features
     * @return {@link #none()} for {@link Source#NONE}, else a conditioning on the data's label or column
     *     names
     * @throws IllegalArgumentException naming the condition when the data has no labels or no
     *     context columns
     */
    public static Conditioning of(Source source, Dataset data) {
        return switch (source) {
            case NONE -> none();
            case LABEL -> {
                if (data.labelNames().isEmpty()) {
                    throw new IllegalArgumentException("condition label: " + data.name() + " has no labels");
                }
                yield labels(data.labelNames());
            }
            case CONTEXT -> {
                if (data.contextNames().isEmpty()) {
                    throw new IllegalArgumentException("condition context: " + data.name()
                            + " has no context columns (name them with csv:PATH;context=COLUMN,...)");
                }
                yield columns(data.contextNames());
            }
        };
    }

    /**
     * Whether the model takes a context.
     *
     * @return {@code true} unless the source is {@link Source#NONE}
     */
    public boolean isConditional() {
        return source != Source.NONE;
    }

    /**
     * The context features: the number of classes or of columns (0 when unconditional).
     *
     * @return the width {@code c} of the context vector: {@code names().size()}
     */
    public int size() {
        return names.size();
    }

    /**
     * The index of a class by name, case-insensitively.
     *
     * @param label a class name; surrounding blanks and case are ignored
     * @return the label index of that class, in {@code [0, size())}
     * @throws IllegalArgumentException naming the label and listing the classes when it is not one, or
     *     when this conditioning is not on class labels
     */
    public int labelIndex(String label) {
        if (source != Source.LABEL) {
            throw new IllegalArgumentException("label '" + label + "': the model is not conditioned on class labels"
                    + (source == Source.NONE ? "" : " but on " + names));
        }
        String t = label.trim().toLowerCase(Locale.ROOT);
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).toLowerCase(Locale.ROOT).equals(t)) {
                return i;
            }
        }
        throw new IllegalArgumentException(
                "label '" + label + "' is not one of the model's classes: " + String.join(", ", names));
    }

    /**
     * The one-hot context {@code [c]} of class {@code index}.
     *
     * @param backend the backend to create the tensor on
     * @param dtype the tensor's element type
     * @param index the class, in {@code [0, size())}
     * @return the vector of {@link #size()} zeros with a one at {@code index}; a new tensor on
     *     {@code backend}, freed with the enclosing {@link org.flows4j.api.tensor.MemoryScope} or by
     *     {@link Tensor#free()}
     * @throws ArrayIndexOutOfBoundsException if {@code index} is out of range
     */
    public Tensor oneHot(Backend backend, DType dtype, int index) {
        double[] c = new double[size()];
        c[index] = 1;
        return Tensor.of(backend, dtype, c, org.flows4j.api.Shape.of(size()));
    }

    /**
     * The context of the samples of {@code split} at {@code indices}, {@code [n, size()]}: one-hot
     * labels or the context rows; null when unconditional.
     *
     * @param split the split the samples come from
     * @param indices the samples, each in {@code [0, split.size())}, in the order of the batch's rows
     * @param backend the backend to create the tensor on
     * @param dtype the tensor's element type
     * @return the context {@code [indices.length, size()]}, a new tensor on {@code backend}, freed with the
     *     enclosing {@link org.flows4j.api.tensor.MemoryScope} or by {@link Tensor#free()}; null when
     *     unconditional
     * @throws IllegalArgumentException when the split lacks the labels or context this needs
     */
    public Tensor context(DataSplit split, int[] indices, Backend backend, DType dtype) {
        return switch (source) {
            case NONE -> null;
            case LABEL -> {
                if (!split.hasLabels()) {
                    throw new IllegalArgumentException("the model is conditioned on labels but the split has none");
                }
                int c = size();
                double[] out = new double[indices.length * c];
                for (int i = 0; i < indices.length; i++) {
                    int label = split.label(indices[i]);
                    if (label < 0 || label >= c) {
                        throw new IllegalArgumentException(
                                "label " + label + " is not one of the model's " + c + " classes");
                    }
                    out[i * c + label] = 1;
                }
                yield Tensor.of(backend, dtype, out, org.flows4j.api.Shape.of(indices.length, c));
            }
            default -> {
                if (!split.hasContext() || split.contextSize() != size()) {
                    throw new IllegalArgumentException("the model is conditioned on " + size()
                            + " context columns but the split has " + split.contextSize());
                }
                yield split.contextBatch(backend, dtype, indices);
            }
        };
    }
}
