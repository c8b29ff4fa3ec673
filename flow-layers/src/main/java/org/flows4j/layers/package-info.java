/**
 * flows4j layers: the {@link org.flows4j.layers.AbstractComponent} base and the
 * {@link org.flows4j.layers.BuildContext} every parameterized component is built from;
 * networks, bijectors (with the one-line {@code RealNvp} preset), distributions, optimizers
 * and checkpoints live in the sub-packages, which depend on this one and not the reverse.
 */
package org.flows4j.layers;
