/**
 * flows4j model zoo: NICE, RealNVP and Glow with the papers' configurations, data sets,
 * training and evaluation, and the {@code flows4j} command. Depends on no backend: backends
 * are found at run time through discovery.
 */
module org.flows4j.zoo {
    requires transitive org.flows4j.layers;
    requires com.google.guice;
    requires jakarta.inject;
    requires info.picocli;
    requires java.desktop;
    requires java.logging;

    exports org.flows4j.zoo;
    exports org.flows4j.zoo.data;
    exports org.flows4j.zoo.models;
    exports org.flows4j.zoo.train;
    exports org.flows4j.zoo.tools;
    exports org.flows4j.zoo.inject;
    exports org.flows4j.zoo.plot;

    // Guice calls ZooModule's provider method (which builds the registry) reflectively
    opens org.flows4j.zoo.inject to com.google.guice;
    // picocli sets the commands' option fields; Guice calls their @Inject constructors
    opens org.flows4j.zoo.cli to info.picocli, com.google.guice;

    // plugins contribute model and data set factories through a Guice module
    uses org.flows4j.zoo.inject.ZooPlugin;
}
