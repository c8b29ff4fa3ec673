package org.flows4j.zoo.plugin;

import java.util.List;
import org.flows4j.zoo.data.DataException;
import org.flows4j.zoo.data.DataRequest;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.data.DatasetFactory;
import org.flows4j.zoo.models.ModelFactory;
import org.flows4j.zoo.models.ModelRequest;
import org.flows4j.zoo.models.ZooModel;

/**
 * A plugin as a third party would write one: a model family {@code toy} and a data set
 * {@code toy-data}, each a {@link java.util.ServiceLoader} service registered in this module's
 * test {@code META-INF/services}. They only have names: the test checks discovery, not models.
 */
public final class ToyPlugin {

    /** The family the plugin adds. */
    public static final String MODEL = "toy";
    /** The data set the plugin adds. */
    public static final String DATA = "toy-data";

    private ToyPlugin() {}

    /** The plugin's model family; a service provider needs a public no-argument constructor. */
    public static class ToyModel implements ModelFactory {
        @Override
        public String family() {
            return MODEL;
        }

        @Override
        public List<String> presets() {
            return List.of("tiny");
        }

        @Override
        public String describe(String preset) {
            return "a plugin's model (test stub)";
        }

        @Override
        public ZooModel build(ModelRequest request) {
            throw new IllegalArgumentException("the toy plugin builds no model");
        }
    }

    /** The plugin's data set. */
    public static final class ToyData implements DatasetFactory {
        @Override
        public String name() {
            return DATA;
        }

        @Override
        public String description() {
            return "a plugin's data set (test stub)";
        }

        @Override
        public Dataset load(DataRequest request) {
            throw new DataException("the toy plugin loads no data");
        }
    }
}
