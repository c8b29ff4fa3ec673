package org.flows4j.zoo;

import java.util.Map;
import java.util.TreeMap;
import org.flows4j.zoo.data.DataException;
import org.flows4j.zoo.data.DataRequest;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.data.DatasetFactory;
import org.flows4j.zoo.models.ModelFactory;
import org.flows4j.zoo.models.ModelSpec;

/**
 * The registry of model families and data set families, by name. The command gets it from
 * Guice ({@code ZooModule} binds the built-in factories in map binders, plugins add theirs, and
 * a provider method builds this from both maps); library users construct one directly.
 */
public final class Zoo {

    private final Map<String, ModelFactory> models;
    private final Map<String, DatasetFactory> datasets;

    /** A registry of the given factories, keyed by family name. */
    public Zoo(Map<String, ModelFactory> models, Map<String, DatasetFactory> datasets) {
        this.models = new TreeMap<>(models);
        this.datasets = new TreeMap<>(datasets);
    }

    /** Every model family, by name. */
    public Map<String, ModelFactory> models() {
        return models;
    }

    /** Every data set family, by name. */
    public Map<String, DatasetFactory> datasets() {
        return datasets;
    }

    /** The factory of a spec's family, failing with the list of known families. */
    public ModelFactory model(ModelSpec spec) {
        ModelFactory f = models.get(spec.family());
        if (f == null) {
            throw new IllegalArgumentException("unknown model '" + spec.family() + "'; known: "
                    + String.join(", ", models.keySet()));
        }
        if (spec.preset() != null && !f.presets().contains(spec.preset())) {
            throw new IllegalArgumentException("unknown preset '" + spec + "'; " + spec.family() + " has: "
                    + String.join(", ", f.presets()));
        }
        return f;
    }

    /** The spec with the family's default preset filled in when it names none. */
    public ModelSpec complete(ModelSpec spec) {
        return spec.preset() != null ? spec : spec.withPreset(model(spec).defaultPreset());
    }

    /** Loads a data set, failing with the list of known families for an unknown one. */
    public Dataset dataset(DataRequest request) {
        DatasetFactory f = datasets.get(request.family());
        if (f == null) {
            throw new DataException("unknown data set '" + request.family() + "'; known: "
                    + String.join(", ", datasets.keySet()));
        }
        return f.load(request);
    }
}
