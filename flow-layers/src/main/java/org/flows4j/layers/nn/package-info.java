/**
 * Neural networks that condition coupling layers: {@link org.flows4j.layers.nn.Linear},
 * {@link org.flows4j.layers.nn.Mlp}, {@link org.flows4j.layers.nn.Conv2d}, RealNVP's
 * {@link org.flows4j.layers.nn.ResNet} and Glow's {@link org.flows4j.layers.nn.GlowNet}, each
 * initialized deterministically from a {@link org.flows4j.layers.BuildContext}; the latter
 * three are described by {@link org.flows4j.layers.nn.NetworkFactory} specs
 * ({@code Mlp.hidden(64, 64)}) that a coupling layer sizes.
 */
package org.flows4j.layers.nn;
