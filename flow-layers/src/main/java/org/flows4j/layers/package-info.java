/**
 * flows4j layers: the {@link org.flows4j.layers.AbstractComponent} base; networks, bijectors,
 * distributions, optimizers and checkpoints live in the sub-packages.
 */
package org.flows4j.layers;
