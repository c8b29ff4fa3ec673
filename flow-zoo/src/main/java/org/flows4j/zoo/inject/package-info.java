/**
 * Guice wiring of the zoo: the map binders of model and data set factories, and the
 * {@link org.flows4j.zoo.inject.ZooPlugin} door through which a plugin adds its own.
 */
package org.flows4j.zoo.inject;
