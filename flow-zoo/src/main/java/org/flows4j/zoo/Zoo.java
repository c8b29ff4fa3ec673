package org.flows4j.zoo;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.function.Function;
import org.flows4j.zoo.data.DataException;
import org.flows4j.zoo.data.DataRequest;
import org.flows4j.zoo.data.DataSets;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.data.DatasetFactory;
import org.flows4j.zoo.models.GlowFactory;
import org.flows4j.zoo.models.MafFactory;
import org.flows4j.zoo.models.ModelFactory;
import org.flows4j.zoo.models.ModelSpec;
import org.flows4j.zoo.models.NiceFactory;
import org.flows4j.zoo.models.NsfFactory;
import org.flows4j.zoo.models.RealNvpFactory;

/**
 * The registry of model families and data set families, by name.
 *
 * <p>{@link #discover()} holds the built-in families and every plugin that
 * {@link ServiceLoader} finds: a plugin is a {@link ModelFactory} or a {@link DatasetFactory}
 * declared with {@code provides org.flows4j.zoo.models.ModelFactory with ...} in its
 * {@code module-info} (module path) or listed in
 * {@code META-INF/services/org.flows4j.zoo.models.ModelFactory} (class path), and likewise for
 * data sets. Two families under one name are an error naming both classes, never a silent
 * shadowing. {@link #builtIn()} holds the built-ins alone; {@link #of} exactly the factories given.
 *
 * <p>Immutable and safe to share between threads.
 */
public final class Zoo {

    private final Map<String, ModelFactory> models;
    private final Map<String, DatasetFactory> datasets;

    private Zoo(Map<String, ModelFactory> models, Map<String, DatasetFactory> datasets) {
        this.models = Collections.unmodifiableMap(models);
        this.datasets = Collections.unmodifiableMap(datasets);
    }

    /**
     * A registry of exactly these factories, keyed by their names.
     *
     * @param models the model families, each under its {@link ModelFactory#family()}; copied, not kept
     * @param datasets the data set families, each under its {@link DatasetFactory#name()}; copied, not kept
     * @return an immutable registry of exactly these factories, nothing discovered
     * @throws IllegalArgumentException if two factories share a name
     */
    public static Zoo of(Collection<? extends ModelFactory> models, Collection<? extends DatasetFactory> datasets) {
        return new Zoo(
                byName(models, ModelFactory::family, "model family"),
                byName(datasets, DatasetFactory::name, "data set"));
    }

    /**
     * The built-in families: {@code nice}, {@code realnvp}, {@code glow}, {@code maf}, {@code nsf} and
     * {@link DataSets#builtIn()}.
     *
     * @return an immutable registry of the built-in model and data set families, no plugins
     */
    public static Zoo builtIn() {
        return of(builtInModels(), DataSets.builtIn());
    }

    /**
     * The built-in families and every {@link ModelFactory} and {@link DatasetFactory} that
     * {@link ServiceLoader} finds on the module path and the class path.
     *
     * @return an immutable registry of the built-in families and the plugins found; a new one on every call
     * @throws IllegalArgumentException if a plugin reuses a name, naming both classes
     * @throws java.util.ServiceConfigurationError if a plugin cannot be loaded
     */
    public static Zoo discover() {
        List<ModelFactory> models = new ArrayList<>(builtInModels());
        ServiceLoader.load(ModelFactory.class).forEach(models::add);
        List<DatasetFactory> datasets = new ArrayList<>(DataSets.builtIn());
        ServiceLoader.load(DatasetFactory.class).forEach(datasets::add);
        return of(models, datasets);
    }

    private static List<ModelFactory> builtInModels() {
        return List.of(new NiceFactory(), new RealNvpFactory(), new GlowFactory(), new MafFactory(), new NsfFactory());
    }

    private static <T> Map<String, T> byName(Collection<? extends T> items, Function<T, String> name, String what) {
        Map<String, T> out = new TreeMap<>();
        for (T item : items) {
            String key = name.apply(item);
            T old = out.putIfAbsent(key, item);
            if (old != null) {
                throw new IllegalArgumentException("two " + what + " factories are named '" + key + "': "
                        + old.getClass().getName() + " and " + item.getClass().getName()
                        + "; a plugin must not reuse a name");
            }
        }
        return out;
    }

    /**
     * Every model family, by name, sorted.
     *
     * @return an unmodifiable map from family name to factory, in name order
     */
    public Map<String, ModelFactory> models() {
        return models;
    }

    /**
     * Every data set family, by name, sorted.
     *
     * @return an unmodifiable map from family name to factory, in name order
     */
    public Map<String, DatasetFactory> datasets() {
        return datasets;
    }

    /**
     * The factory of a spec's family, failing with the list of known families.
     *
     * @param spec the model to look up; its preset, when not null, must be one of the family's presets
     * @return the registered factory of {@code spec.family()}
     * @throws IllegalArgumentException if no family has that name, listing the known families, or the family
     *     has no such preset, listing its presets
     */
    public ModelFactory model(ModelSpec spec) {
        ModelFactory f = models.get(spec.family());
        if (f == null) {
            throw new IllegalArgumentException(
                    "unknown model '" + spec.family() + "'; known: " + String.join(", ", models.keySet()));
        }
        if (spec.preset() != null && !f.presets().contains(spec.preset())) {
            throw new IllegalArgumentException(
                    "unknown preset '" + spec + "'; " + spec.family() + " has: " + String.join(", ", f.presets()));
        }
        return f;
    }

    /**
     * The spec with the family's default preset filled in when it names none.
     *
     * @param spec the model, with or without a preset
     * @return {@code spec} itself when it names a preset, else a copy with the family's
     *     {@link ModelFactory#defaultPreset() default preset}
     * @throws IllegalArgumentException if no family has the spec's name, or the family has no such preset
     */
    public ModelSpec complete(ModelSpec spec) {
        return spec.preset() != null ? spec : spec.withPreset(model(spec).defaultPreset());
    }

    /**
     * Loads a data set, failing with the list of known families for an unknown one.
     *
     * @param request what to load; its {@link DataRequest#family() family} picks the factory
     * @return the loaded data set, immutable and held on the host
     * @throws DataException if no data set family has that name, listing the known ones, or the factory
     *     cannot load the data (see {@link DatasetFactory#load(DataRequest)})
     */
    public Dataset dataset(DataRequest request) {
        DatasetFactory f = datasets.get(request.family());
        if (f == null) {
            throw new DataException(
                    "unknown data set '" + request.family() + "'; known: " + String.join(", ", datasets.keySet()));
        }
        return f.load(request);
    }
}
