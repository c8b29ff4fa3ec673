package org.flows4j.zoo.tools;

import org.flows4j.api.flow.Flow;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.Tensor;

/**
 * Latent interpolation (RealNVP figure 7, Glow figure 5): two images are encoded, the latents
 * joined by a straight line {@code z_t = (1 - t) z_a + t z_b}, and points along it decoded.
 * Integer pixels are moved to the centres of their bins ({@code k + 1/2}) before encoding, so
 * that flooring a decoded endpoint gives the input back exactly (up to the dtype's rounding).
 */
public final class Interpolation {

    private Interpolation() {}

    /**
     * For each pair {@code (a[i], b[i])}, {@code steps} images from {@code a[i]} ({@code t = 0})
     * to {@code b[i]} ({@code t = 1}): {@code [pairs * steps, ...event]}, pair by pair, decoded
     * pixel values (not floored).
     *
     * @param flow the trained flow over pixel values in {@code [0, 256)}
     * @param a the start images {@code [pairs, ...event]}, integer pixel values (encoded at {@code k + 1/2})
     * @param b the end images, the shape of {@code a}
     * @param steps the number of images per pair including both endpoints, at least 2
     * @return the decoded pixel values {@code [pairs * steps, ...event]}, not floored; a new tensor in the
     *     caller's innermost {@link org.flows4j.api.tensor.MemoryScope}, if any
     * @throws IllegalArgumentException if {@code steps} is below 2 or {@code a} and {@code b} differ in shape
     */
    public static Tensor interpolate(Flow flow, Tensor a, Tensor b, int steps) {
        return interpolate(flow, a, b, null, null, steps);
    }

    /**
     * {@link #interpolate(Flow, Tensor, Tensor, int)} for a conditional flow: {@code a[i]} is
     * encoded given {@code contextA[i]} and {@code b[i]} given {@code contextB[i]}
     * ({@code [pairs, c]} each), and the point at {@code t} is decoded given the context on the
     * same line, {@code c_t = (1 - t) c_a + t c_b}, so that both endpoints decode back to their
     * images. With the same context on both sides the path keeps it; both null is the
     * unconditional interpolation.
     *
     * @param flow the trained flow over pixel values in {@code [0, 256)}
     * @param a the start images {@code [pairs, ...event]}, integer pixel values (encoded at {@code k + 1/2})
     * @param b the end images, the shape of {@code a}
     * @param contextA the context of each start image {@code [pairs, c]}, or null with {@code contextB} for
     *     none
     * @param contextB the context of each end image, the shape of {@code contextA}, or null with it
     * @param steps the number of images per pair including both endpoints, at least 2
     * @return the decoded pixel values {@code [pairs * steps, ...event]}, not floored; a new tensor in the
     *     caller's innermost {@link org.flows4j.api.tensor.MemoryScope}, if any
     * @throws IllegalArgumentException if one context is null and the other not, or their shapes differ; or
     *     {@code steps} is below 2, or {@code a} and {@code b} differ in shape
     */
    public static Tensor interpolate(Flow flow, Tensor a, Tensor b, Tensor contextA, Tensor contextB, int steps) {
        if ((contextA == null) != (contextB == null)) {
            throw new IllegalArgumentException("interpolation: give a context for both endpoints or for neither");
        }
        if (contextA != null && !contextA.shape().equals(contextB.shape())) {
            throw new IllegalArgumentException(
                    "interpolation contexts differ in shape: " + contextA.shape() + " and " + contextB.shape());
        }
        if (steps < 2) {
            throw new IllegalArgumentException("an interpolation needs at least 2 steps, got " + steps);
        }
        if (!a.shape().equals(b.shape())) {
            throw new IllegalArgumentException(
                    "interpolation endpoints differ in shape: " + a.shape() + " and " + b.shape());
        }
        return Autodiff.noGrad(() -> {
            Tensor za = flow.encode(a.add(0.5), contextA);
            Tensor zb = flow.encode(b.add(0.5), contextB);
            int pairs = a.shape().dim(0);
            int latent = za.size() / pairs;
            Tensor[] rows = new Tensor[pairs * steps];
            Tensor[] contexts = contextA == null ? null : new Tensor[pairs * steps];
            for (int p = 0; p < pairs; p++) {
                Tensor from = za.slice(0, p, p + 1).reshape(1, latent);
                Tensor to = zb.slice(0, p, p + 1).reshape(1, latent);
                for (int s = 0; s < steps; s++) {
                    double t = (double) s / (steps - 1);
                    rows[p * steps + s] = from.mul(1 - t).add(to.mul(t));
                    if (contexts != null) {
                        contexts[p * steps + s] = contextA.slice(0, p, p + 1)
                                .mul(1 - t)
                                .add(contextB.slice(0, p, p + 1).mul(t));
                    }
                }
            }
            Tensor z = Tensor.concat(0, rows).reshape(za.shape().withDim(0, pairs * steps));
            return flow.decode(z, contexts == null ? null : Tensor.concat(0, contexts));
        });
    }
}
