/**
 * The bijectors of NICE, RealNVP and Glow, each mapping data to latent in its forward pass:
 * couplings (a {@link org.flows4j.layers.bijectors.Mask}, a conditioner network sized from it
 * and an element transform), scalings, permutations, normalizations, invertible 1x1
 * convolutions, squeeze and multi-scale factoring-out, pixel-space preprocessing, composition,
 * and the one-line {@link org.flows4j.layers.bijectors.RealNvp} preset.
 */
package org.flows4j.layers.bijectors;
