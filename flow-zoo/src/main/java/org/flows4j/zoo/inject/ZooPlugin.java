package org.flows4j.zoo.inject;

/**
 * A zoo plugin: contributes a Guice module that adds model or data set factories through
 * {@link ZooModule#models(com.google.inject.Binder)} and
 * {@link ZooModule#datasets(com.google.inject.Binder)}.
 *
 * <p>Implemented by plugins and found with {@link java.util.ServiceLoader}: on the module path
 * declare {@code provides org.flows4j.zoo.inject.ZooPlugin with ...}, on the class path list the
 * class in {@code META-INF/services/org.flows4j.zoo.inject.ZooPlugin}.
 *
 * <pre>{@code
 * public final class MyPlugin implements ZooPlugin {
 *     public Module module() {
 *         return binder -> ZooModule.models(binder).addBinding("maf").toInstance(new MafFactory());
 *     }
 * }
 * }</pre>
 */
// Guice is an automatic module, so it cannot be re-exported with "requires transitive"; plugins require it.
@SuppressWarnings("exports")
public interface ZooPlugin {

    /** The Guice module that binds this plugin's factories. */
    com.google.inject.Module module();
}
