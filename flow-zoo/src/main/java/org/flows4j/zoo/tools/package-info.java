/** What the papers show: inpainting, latent interpolation and attribute manipulation on a trained flow. */
package org.flows4j.zoo.tools;
