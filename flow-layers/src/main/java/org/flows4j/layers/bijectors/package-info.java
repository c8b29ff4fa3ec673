/**
 * The bijectors of NICE, RealNVP and Glow, each mapping data to latent in its forward pass:
 * couplings (a {@link org.flows4j.layers.bijectors.Mask}, a conditioner network and an
 * element transform), scalings, permutations, normalizations, invertible 1x1 convolutions,
 * squeeze and multi-scale factoring-out, pixel-space preprocessing, and composition.
 */
package org.flows4j.layers.bijectors;
