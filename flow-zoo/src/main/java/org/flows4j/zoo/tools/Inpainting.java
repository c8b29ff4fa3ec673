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
 * {@code x_H <- clip(x_H + a_i d log p(x_O, x_H) / d x_H)}, staying in the data range. NICE
 * starts the missing pixels from noise and uses {@code a_i = 10 / (100 + i)} on data in
 * {@code [0, 1]}; here pixels are in {@code [0, 256)}, so the step is scaled by 256^2 (one
 * 256 for the units of the step, one for the units of the gradient) and the same schedule
 * applies.
 */
public final class Inpainting {

    /** The largest pixel value kept: the data range is {@code [0, 256)}. */
    static final double MAX_PIXEL = 255.999;

    private Inpainting() {
    }

    /**
     * The outcome for a batch: the masked start, the result, and each image's log-likelihood
     * before (at the start) and after.
     *
     * @param start the images with missing pixels replaced by the starting noise
     * @param result the inpainted images
     * @param logProbBefore log p of each start image, pixel space
     * @param logProbAfter log p of each result, pixel space
     */
    public record Result(Tensor start, Tensor result, double[] logProbBefore, double[] logProbAfter) {
    }

    /**
     * Inpaints {@code images} ({@code [n, c, h, w]}, pixel values; dequantized or not) where
     * {@code known} (over one image, 1 = known) is 0.
     *
     * @param flow a flow over pixel values in {@code [0, 256)}
     * @param iterations gradient steps, {@code >= 0}
     * @param random the starting noise of the missing pixels
     */
    @SuppressWarnings("try") // scopes opened for their close()
    public static Result inpaint(Flow flow, Tensor images, double[] known, int iterations, RandomSource random) {
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
        double[] before = logProb(flow, start);
        Tensor x = start;
        for (int i = 0; i < iterations; i++) {
            double step = 256.0 * 256.0 * 10.0 / (100 + i);
            Tensor next;
            try (MemoryScope scope = MemoryScope.open()) {
                Tensor v = x.requiringGrad();
                Tensor grad = Autodiff.grad(flow.logProb(v).sum(), List.of(v)).get(0);
                Tensor moved = x.add(grad.mul(step)).clamp(0, MAX_PIXEL);
                next = Tensor.where(keep, images, moved).unscoped();
            }
            if (x != start) {
                x.free();
            }
            x = next;
        }
        return new Result(start, x, before, logProb(flow, x));
    }

    private static double[] logProb(Flow flow, Tensor x) {
        return Autodiff.noGrad(() -> flow.logProb(x).toDoubleArray());
    }

    /** The images' events: checks that {@code images} are a batch of {@code eventShape}. */
    static void check(Tensor images, Shape eventShape) {
        Events.check("inpainting", eventShape, images);
    }
}
