/**
 * The {@code flows4j} command: picocli subcommands ({@code backends}, {@code quickstart},
 * {@code train}, {@code eval}), their shared options, the progress bar and the output rules
 * (results on stdout, one JSON object with {@code --json}; progress and errors on stderr).
 */
package org.flows4j.zoo.cli;
