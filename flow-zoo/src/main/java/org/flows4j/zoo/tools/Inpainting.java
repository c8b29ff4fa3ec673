package org.flows4j.zoo.tools;

import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Flow;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.Events;

/**
 * NICE's inpainting (section 5.2): the known pixels are clamped to their values and the
 * missing ones found by projected gradient ascent on the model's log-likelihood,
 * {@code x_H <- clip(x_H + a_i d log p(x_O, x_H) / d x_H)}, staying in the data range, from a
 * start of uniform noise. The step follows NICE's schedule {@code a_i = c / (100 + i)} with
 * {@code c = 2560} for pixels in {@code [0, 256)}. NICE's models were gentle enough for a fixed
 * schedule; a trained Glow is not (measured: the fixed schedule at {@code c = 256^2 * 10}
 * lowered log p), so each image's {@code c} is halved whenever a step would lower its
 * log-likelihood, and such a step is not taken: log p never falls.
 */
public final class Inpainting {

    /** NICE's 10 in units of {@code [0, 1]} data, times 256 for pixels: the schedule's numerator. */
    static final double INITIAL_STEP = 2560;

    /** The largest pixel value kept: the data range is {@code [0, 256)}. */
    static final double MAX_PIXEL = 255.999;

    private Inpainting() {}

    /**
     * The outcome for a batch: the masked start, the result, and each image's log-likelihood
     * before (at the start) and after.
     *
     * @param start the images with missing pixels replaced by the starting noise
     * @param result the inpainted images
     * @param logProbBefore log p of each start image, pixel space
     * @param logProbAfter log p of each result, pixel space
     */
    // Read through its accessors: nothing compares or hashes a Result (its tensors have
    // identity equality anyway).
    @SuppressWarnings("ArrayRecordComponent")
    public record Result(Tensor start, Tensor result, double[] logProbBefore, double[] logProbAfter) {}

    /**
     * Inpaints {@code images} ({@code [n, c, h, w]}, pixel values; dequantized or not) where
     * {@code known} (over one image, 1 = known) is 0.
     *
     * @param flow a flow over pixel values in {@code [0, 256)}
     * @param images the images {@code [n, c, h, w]}, pixel values in {@code [0, 256)}; the known pixels are
     *     kept
     * @param known the mask over one image, {@code c * h * w} values, 1 where a pixel is known and 0 where it
     *     is inpainted (see {@link InpaintMask#known})
     * @param iterations gradient steps, {@code >= 0}
     * @param random the starting noise of the missing pixels
     * @return the start, the result and the log-likelihoods; both tensors are
     *     {@linkplain Tensor#unscoped() unscoped}, the caller's to {@linkplain Tensor#free() free}, and are
     *     one tensor when {@code iterations} is 0
     * @throws IllegalArgumentException if {@code known} does not match one image or {@code iterations} is
     *     negative
     */
    public static Result inpaint(Flow flow, Tensor images, double[] known, int iterations, RandomSource random) {
        return inpaint(flow, images, null, known, iterations, random);
    }

    /**
     * {@link #inpaint(Flow, Tensor, double[], int, RandomSource)} for a conditional flow: the
     * ascent is on {@code log p(x | c)}, {@code context} {@code [c]} (the same for every image)
     * or {@code [n, c]} (one per image); null for none.
     *
     * @param flow a flow over pixel values in {@code [0, 256)}
     * @param images the images {@code [n, c, h, w]}, pixel values in {@code [0, 256)}; the known pixels are
     *     kept
     * @param context {@code [c]} or {@code [n, c]}, or null for an unconditional flow
     * @param known the mask over one image, {@code c * h * w} values, 1 where a pixel is known and 0 where it
     *     is inpainted (see {@link InpaintMask#known})
     * @param iterations gradient steps, {@code >= 0}
     * @param random the starting noise of the missing pixels
     * @return the start, the result and the log-likelihoods; both tensors are
     *     {@linkplain Tensor#unscoped() unscoped}, the caller's to {@linkplain Tensor#free() free}, and are
     *     one tensor when {@code iterations} is 0
     * @throws IllegalArgumentException if {@code known} does not match one image or {@code iterations} is
     *     negative
     */
    @SuppressWarnings("try") // scopes opened for their close()
    public static Result inpaint(
            Flow flow, Tensor images, Tensor context, double[] known, int iterations, RandomSource random) {
        Backend backend = images.backend();
        DType dtype = images.dtype();
        Shape event = Shape.of(java.util.Arrays.copyOfRange(images.shape().dims(), 1, images.rank()));
        if (known.length != event.size()) {
            throw new IllegalArgumentException("the mask has " + known.length + " values for images of shape " + event);
        }
        if (iterations < 0) {
            throw new IllegalArgumentException("iterations must be >= 0, got " + iterations);
        }
        Tensor keep = Tensor.of(backend, dtype, known, event);
        Tensor noise = random.uniform(backend, dtype, images.shape(), 0, 256);
        // where(), not a product with the mask: a NaN step must not leak into known pixels
        Tensor start = Tensor.where(keep, images, noise).unscoped();
        double[] before = logProb(flow, start, context);
        int n = images.shape().dim(0);
        double[] scale = new double[n];
        java.util.Arrays.fill(scale, INITIAL_STEP);
        double[] current = before.clone();
        Tensor x = start;
        for (int i = 0; i < iterations; i++) {
            Tensor next;
            try (MemoryScope scope = MemoryScope.open()) {
                Tensor v = x.requiringGrad();
                Tensor grad = Autodiff.grad(flow.logProb(v, context).sum(), List.of(v))
                        .get(0);
                double[] step = new double[n];
                for (int k = 0; k < n; k++) {
                    step[k] = scale[k] / (100 + i);
                }
                Tensor stepT = Tensor.of(backend, dtype, step, perImage(images));
                Tensor candidate =
                        Tensor.where(keep, images, x.add(grad.mul(stepT)).clamp(0, MAX_PIXEL));
                double[] proposed = logProb(flow, candidate, context);
                double[] accept = new double[n];
                for (int k = 0; k < n; k++) {
                    if (proposed[k] > current[k]) {
                        accept[k] = 1;
                        current[k] = proposed[k];
                    } else {
                        scale[k] /= 2;
                    }
                }
                next = Tensor.where(Tensor.of(backend, dtype, accept, perImage(images)), candidate, x)
                        .unscoped();
            }
            if (x != start) {
                x.free();
            }
            x = next;
        }
        return new Result(start, x, before, logProb(flow, x, context));
    }

    /** {@code [n, 1, 1, ...]}: one value per image, broadcast over its pixels. */
    private static Shape perImage(Tensor images) {
        int[] d = new int[images.rank()];
        java.util.Arrays.fill(d, 1);
        d[0] = images.shape().dim(0);
        return Shape.of(d);
    }

    private static double[] logProb(Flow flow, Tensor x, Tensor context) {
        return Autodiff.noGrad(() -> flow.logProb(x, context).toDoubleArray());
    }

    /** The images' events: checks that {@code images} are a batch of {@code eventShape}. */
    static void check(Tensor images, Shape eventShape) {
        Events.check("inpainting", eventShape, images);
    }
}
