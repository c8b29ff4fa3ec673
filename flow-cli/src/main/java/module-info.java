/**
 * The {@code flows4j} command: picocli subcommands over the flow-zoo library, the PNG plots
 * (headless {@code java.awt}) and the Guice wiring of the application. Depends on no backend:
 * backends are found at run time through discovery.
 */
module org.flows4j.cli {
    requires org.flows4j.zoo;
    requires com.google.guice;
    requires jakarta.inject;
    requires info.picocli;
    requires java.desktop;
    requires java.logging;
    // --json output, written with the streaming core that flow-layers reads headers with
    requires tools.jackson.core;

    // Flows4jCommand.run, for embedding; the plots and the Guice wiring stay inside, so no Guice
    // type appears in an exported package
    exports org.flows4j.cli;

    // Guice calls ZooModule's provider method reflectively
    opens org.flows4j.cli.inject to
            com.google.guice;
    // picocli sets the commands' option fields; Guice calls their @Inject constructors
    opens org.flows4j.cli to
            info.picocli,
            com.google.guice;

    // the zoo's plugins are found from here too, so that ServiceLoader sees them on the module path
    uses org.flows4j.zoo.models.ModelFactory;
    uses org.flows4j.zoo.data.DatasetFactory;
}
