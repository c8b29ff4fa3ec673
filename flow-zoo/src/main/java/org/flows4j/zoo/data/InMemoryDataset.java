package org.flows4j.zoo.data;

import java.util.List;
import java.util.Objects;
import org.flows4j.api.Shape;

/**
 * A {@link Dataset} whose three splits are already on the host: what every built-in factory
 * returns, and a convenient one for tests and plugins. Immutable.
 */
public final class InMemoryDataset implements Dataset {

    private final String name;
    private final Kind kind;
    private final Shape eventShape;
    private final DataSplit train;
    private final DataSplit validation;
    private final DataSplit test;
    private final List<String> labelNames;
    private final List<String> contextNames;

    /**
     * @param name the spec it was loaded from
     * @param kind continuous values or 8-bit pixels
     * @param eventShape the shape of one sample, which every split must have
     * @param train the training split
     * @param validation the validation split
     * @param test the test split
     * @param labelNames class names by label index, or empty; when not empty every split has
     *     labels in {@code 0 .. labelNames.size() - 1}
     * @throws IllegalArgumentException when a split has another event shape, or labels do not
     *     match the class names
     */
    public InMemoryDataset(
            String name,
            Kind kind,
            Shape eventShape,
            DataSplit train,
            DataSplit validation,
            DataSplit test,
            List<String> labelNames) {
        this.name = Objects.requireNonNull(name, "name");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.eventShape = Objects.requireNonNull(eventShape, "eventShape");
        this.train = check("train", train);
        this.validation = check("validation", validation);
        this.test = check("test", test);
        this.labelNames = List.copyOf(labelNames);
        this.contextNames = List.of();
        for (DataSplit s : List.of(train, validation, test)) {
            if (!this.labelNames.isEmpty() && !s.hasLabels()) {
                throw new IllegalArgumentException(name + ": class names are given but a split has no labels");
            }
            if (s.hasLabels()) {
                if (this.labelNames.isEmpty()) {
                    throw new IllegalArgumentException(name + ": a split has labels but no class names are given");
                }
                for (int i = 0; i < s.size(); i++) {
                    int l = s.label(i);
                    if (l < 0 || l >= this.labelNames.size()) {
                        throw new IllegalArgumentException(name + ": label " + l + " of sample " + i + " is not in 0.."
                                + (this.labelNames.size() - 1));
                    }
                }
            }
        }
    }

    private InMemoryDataset(InMemoryDataset base, List<String> contextNames) {
        this.name = base.name;
        this.kind = base.kind;
        this.eventShape = base.eventShape;
        this.train = base.train;
        this.validation = base.validation;
        this.test = base.test;
        this.labelNames = base.labelNames;
        this.contextNames = List.copyOf(contextNames);
    }

    /**
     * This data set with named context columns: every split must carry a context row of
     * {@code contextNames.size()} values per sample ({@link DataSplit#withContext}).
     *
     * @param contextNames the name of each context column, in order (copied)
     * @return a new data set sharing this one's splits, with these {@link #contextNames()}; this one is
     *     unchanged
     * @throws IllegalArgumentException naming the split whose context does not match
     */
    public InMemoryDataset withContextNames(List<String> contextNames) {
        for (var e : java.util.Map.of("train", train, "validation", validation, "test", test)
                .entrySet()) {
            if (!e.getValue().hasContext() || e.getValue().contextSize() != contextNames.size()) {
                throw new IllegalArgumentException(name + ": the " + e.getKey() + " split has no context of "
                        + contextNames.size() + " values per sample");
            }
        }
        return new InMemoryDataset(this, contextNames);
    }

    @Override
    public List<String> contextNames() {
        return contextNames;
    }

    private DataSplit check(String which, DataSplit split) {
        Objects.requireNonNull(split, which);
        if (!split.eventShape().equals(eventShape)) {
            throw new IllegalArgumentException(name + ": the " + which + " split has samples of shape "
                    + split.eventShape() + ", expected " + eventShape);
        }
        return split;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Shape eventShape() {
        return eventShape;
    }

    @Override
    public Kind kind() {
        return kind;
    }

    @Override
    public DataSplit train() {
        return train;
    }

    @Override
    public DataSplit validation() {
        return validation;
    }

    @Override
    public DataSplit test() {
        return test;
    }

    @Override
    public List<String> labelNames() {
        return labelNames;
    }

    /** For example {@code two-moons [2] CONTINUOUS: 20000 train, 2000 validation, 5000 test}. */
    @Override
    public String toString() {
        return name + " " + eventShape + " " + kind + ": " + train.size() + " train, " + validation.size()
                + " validation, " + test.size() + " test";
    }
}
