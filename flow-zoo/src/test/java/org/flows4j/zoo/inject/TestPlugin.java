package org.flows4j.zoo.inject;

import com.google.inject.Module;
import java.util.List;
import org.flows4j.api.Shape;
import org.flows4j.zoo.data.DataException;
import org.flows4j.zoo.data.DataRequest;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.data.DatasetFactory;
import org.flows4j.zoo.models.ModelFactory;
import org.flows4j.zoo.models.ModelRequest;
import org.flows4j.zoo.models.ZooModel;

/**
 * A plugin as a third party would write one, registered in this module's test
 * {@code META-INF/services}: it adds the model family {@code toy} and the data set
 * {@code toy-data}, both stubs that only have names.
 */
@SuppressWarnings("exports") // as in ZooPlugin: Guice, an automatic module, cannot be re-exported
public final class TestPlugin implements ZooPlugin {

    /** The family the plugin adds. */
    public static final String MODEL = "toy";
    /** The data set the plugin adds. */
    public static final String DATA = "toy-data";

    @Override
    public Module module() {
        return binder -> {
            ZooModule.models(binder).addBinding(MODEL).toInstance(new ToyModel());
            ZooModule.datasets(binder).addBinding(DATA).toInstance(new ToyData());
        };
    }

    static final class ToyModel implements ModelFactory {
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
        public long parameterCount(String preset, Shape eventShape, Dataset.Kind kind) {
            return 0;
        }

        @Override
        public ZooModel build(ModelRequest request) {
            throw new UnsupportedOperationException("a test stub builds nothing");
        }
    }

    static final class ToyData implements DatasetFactory {
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
            throw new DataException("a test stub loads nothing");
        }
    }
}
