package org.flows4j.zoo.inject;

import com.google.inject.AbstractModule;
import com.google.inject.Binder;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.MapBinder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.DataSets;
import org.flows4j.zoo.data.DatasetFactory;
import org.flows4j.zoo.models.GlowFactory;
import org.flows4j.zoo.models.ModelFactory;
import org.flows4j.zoo.models.NiceFactory;
import org.flows4j.zoo.models.RealNvpFactory;

/**
 * Binds the zoo: the built-in model families ({@code nice}, {@code realnvp}, {@code glow}) and
 * data set families in Guice map binders keyed by name, every {@link ZooPlugin} found with
 * {@link ServiceLoader}, and the {@link Zoo} registry built from both maps as a singleton.
 *
 * <p>Two factories under one name (a plugin reusing a built-in name, say) make the injector
 * fail naming the key, rather than one silently shadowing the other.
 */
// Guice is an automatic module, so it cannot be re-exported with "requires transitive"; plugins require it.
@SuppressWarnings("exports")
public final class ZooModule extends AbstractModule {

    private final List<ZooPlugin> plugins;

    /** The built-in factories and every plugin that {@link ServiceLoader} finds. */
    public ZooModule() {
        this(discoverPlugins());
    }

    /** The built-in factories and exactly these plugins (for tests and embedding applications). */
    public ZooModule(Iterable<? extends ZooPlugin> plugins) {
        List<ZooPlugin> list = new ArrayList<>();
        plugins.forEach(list::add);
        this.plugins = List.copyOf(list);
    }

    /** The plugins found on the module path and the class path. */
    public static List<ZooPlugin> discoverPlugins() {
        List<ZooPlugin> found = new ArrayList<>();
        ServiceLoader.load(ZooPlugin.class).forEach(found::add);
        return found;
    }

    /** The map binder of model factories by family name; a plugin's module adds to it. */
    public static MapBinder<String, ModelFactory> models(Binder binder) {
        return MapBinder.newMapBinder(binder, String.class, ModelFactory.class);
    }

    /** The map binder of data set factories by family name; a plugin's module adds to it. */
    public static MapBinder<String, DatasetFactory> datasets(Binder binder) {
        return MapBinder.newMapBinder(binder, String.class, DatasetFactory.class);
    }

    @Override
    protected void configure() {
        MapBinder<String, ModelFactory> models = models(binder());
        // Instances, not classes: Guice then needs no reflective access to the factories' packages.
        for (ModelFactory f : List.of(new NiceFactory(), new RealNvpFactory(), new GlowFactory())) {
            models.addBinding(f.family()).toInstance(f);
        }
        MapBinder<String, DatasetFactory> datasets = datasets(binder());
        for (DatasetFactory f : DataSets.builtIn()) {
            datasets.addBinding(f.name()).toInstance(f);
        }
        for (ZooPlugin p : plugins) {
            install(p.module());
        }
    }

    /** The registry of everything bound in the two maps: the library class stays free of DI annotations. */
    @Provides
    @Singleton
    Zoo zoo(Map<String, ModelFactory> models, Map<String, DatasetFactory> datasets) {
        return new Zoo(models, datasets);
    }
}
