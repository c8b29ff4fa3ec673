/**
 * The {@code flows4j} command: picocli subcommands ({@code backends}, {@code quickstart},
 * {@code train}, {@code eval}, and the pictures of a trained model: {@code sample},
 * {@code interpolate}, {@code inpaint}, {@code manipulate}), their shared options, the progress
 * bar and the output rules (results on stdout, one JSON object with {@code --json}; progress and
 * errors on stderr).
 */
package org.flows4j.cli;
