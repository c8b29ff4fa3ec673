package org.flows4j.cli;

import com.google.inject.Injector;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Lets Guice construct the commands (so they receive the {@link org.flows4j.zoo.Zoo} and the
 * {@link Terminal}); everything else picocli makes (mixins, argument groups, its own help
 * command) comes from picocli's default factory.
 */
final class GuiceFactory implements CommandLine.IFactory {

    private final Injector injector;

    GuiceFactory(Injector injector) {
        this.injector = injector;
    }

    @Override
    public <K> K create(Class<K> type) throws Exception {
        if (type.isAnnotationPresent(Command.class)
                && type.getPackageName().equals(getClass().getPackageName())) {
            return injector.getInstance(type);
        }
        return CommandLine.defaultFactory().create(type);
    }
}
