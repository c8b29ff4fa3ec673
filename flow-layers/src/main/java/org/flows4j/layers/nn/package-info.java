/**
 * Neural networks that condition coupling layers: {@link org.flows4j.layers.nn.Linear},
 * {@link org.flows4j.layers.nn.Mlp}, {@link org.flows4j.layers.nn.Conv2d}, RealNVP's
 * {@link org.flows4j.layers.nn.ResNet} and Glow's {@link org.flows4j.layers.nn.GlowNet}, each
 * initialized deterministically from a {@link org.flows4j.api.random.RandomSource}.
 */
package org.flows4j.layers.nn;
