package org.flows4j.cli.inject;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import java.util.function.Supplier;
import org.flows4j.zoo.Zoo;

/**
 * Binds the application's {@link Zoo}: by default the built-in families and every plugin found
 * with {@link java.util.ServiceLoader} ({@link Zoo#discover()}), built once per injector.
 *
 * <p>Guice wires the command; the library and its plugins know nothing of it (a plugin is a
 * {@code ModelFactory} or {@code DatasetFactory} service of flow-zoo).
 */
public final class ZooModule extends AbstractModule {

    private final Supplier<Zoo> zoo;

    /** The built-in families and every discovered plugin. */
    public ZooModule() {
        this(Zoo::discover);
    }

    /** Exactly the registry {@code zoo} supplies (for tests and embedding applications). */
    public ZooModule(Supplier<Zoo> zoo) {
        this.zoo = zoo;
    }

    /** The registry, built once per injector; a plugin that cannot load fails the injector. */
    @Provides
    @Singleton
    Zoo zoo() {
        return zoo.get();
    }
}
