/**
 * Guice wiring of the {@code flows4j} application: the zoo registry with its discovered
 * plugins, and the terminal the commands write to.
 */
package org.flows4j.cli.inject;
