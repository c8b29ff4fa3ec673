package org.flows4j.zoo.tools;

import java.util.ArrayList;
import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Flow;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.models.Conditioning;

/**
 * Glow's attribute manipulation (section 5, figure 6): the direction from one attribute to
 * another is the difference of the mean latents of images with each, and moving an image's
 * latent along it ({@code z + alpha d}) and decoding changes that attribute. With a labelled
 * data set the attributes are its classes.
 */
public final class AttributeManipulation {

    private AttributeManipulation() {}

    /**
     * {@code mean z(label to) - mean z(label from)} over {@code split}: {@code [1, ...latent]}.
     *
     * @param flow the trained flow over pixel values in {@code [0, 256)}; its latent is what is averaged
     * @param split a labelled split of images; each image's integer pixels are encoded at their bin centres
     *     ({@code k + 1/2})
     * @param from the label of the attribute the direction points away from
     * @param to the label of the attribute the direction points towards
     * @param backend the backend to encode on
     * @param dtype the precision to encode in
     * @param batchSize how many images to encode at once, at least 1; only memory depends on it
     * @return the direction {@code [1, ...latent]}, to be scaled and added to a latent; a new tensor in the
     *     caller's innermost {@link MemoryScope}, if any
     * @throws IllegalArgumentException if the split has no labels, or no image with label {@code from} or
     *     {@code to}
     */
    public static Tensor direction(
            Flow flow, DataSplit split, int from, int to, Backend backend, DType dtype, int batchSize) {
        return direction(flow, split, from, to, backend, dtype, batchSize, Conditioning.none());
    }

    /**
     * {@link #direction(Flow, DataSplit, int, int, Backend, DType, int)} for a conditional flow:
     * each image is encoded given its own context ({@link Conditioning#context}: its one-hot
     * label, or its context row).
     *
     * @param flow the trained flow over pixel values in {@code [0, 256)}; its latent is what is averaged
     * @param split a labelled split of images; each image's integer pixels are encoded at their bin centres
     *     ({@code k + 1/2})
     * @param from the label of the attribute the direction points away from
     * @param to the label of the attribute the direction points towards
     * @param backend the backend to encode on
     * @param dtype the precision to encode in
     * @param batchSize how many images to encode at once, at least 1; only memory depends on it
     * @param conditioning what the flow is conditioned on; {@link Conditioning#none()} for an unconditional
     *     flow
     * @return the direction {@code [1, ...latent]}, to be scaled and added to a latent; a new tensor in the
     *     caller's innermost {@link MemoryScope}, if any
     * @throws IllegalArgumentException if the split has no labels, or no image with label {@code from} or
     *     {@code to}
     */
    public static Tensor direction(
            Flow flow,
            DataSplit split,
            int from,
            int to,
            Backend backend,
            DType dtype,
            int batchSize,
            Conditioning conditioning) {
        Tensor mFrom = meanLatent(flow, split, from, backend, dtype, batchSize, conditioning);
        Tensor mTo = meanLatent(flow, split, to, backend, dtype, batchSize, conditioning);
        return mTo.sub(mFrom);
    }

    @SuppressWarnings("try") // scopes opened for their close()
    private static Tensor meanLatent(
            Flow flow,
            DataSplit split,
            int label,
            Backend backend,
            DType dtype,
            int batchSize,
            Conditioning conditioning) {
        if (!split.hasLabels()) {
            throw new IllegalArgumentException("attribute directions need a labelled data set");
        }
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < split.size(); i++) {
            if (split.label(i) == label) {
                idx.add(i);
            }
        }
        if (idx.isEmpty()) {
            throw new IllegalArgumentException("no example with label " + label + " in the split");
        }
        Tensor sum = null;
        try (Autodiff.NoGrad off = Autodiff.noGrad()) {
            for (int from = 0; from < idx.size(); from += batchSize) {
                int[] batch = idx.subList(from, Math.min(idx.size(), from + batchSize)).stream()
                        .mapToInt(Integer::intValue)
                        .toArray();
                Tensor part;
                try (MemoryScope scope = MemoryScope.open()) {
                    Tensor z = flow.encode(
                            split.batch(backend, dtype, batch).add(0.5),
                            conditioning.context(split, batch, backend, dtype));
                    part = scope.keep(z.sum(true, 0));
                }
                sum = sum == null ? part : sum.add(part);
            }
        }
        return sum.div(idx.size());
    }

    /**
     * Each image moved along {@code direction} by each alpha: {@code [n * alphas, ...event]},
     * image by image, decoded pixel values.
     *
     * @param flow the trained flow over pixel values in {@code [0, 256)}
     * @param images the images to move, {@code [n, ...event]}, integer pixel values (encoded at
     *     {@code k + 1/2})
     * @param direction the latent direction {@code [1, ...latent]}, as {@link #direction} returns it
     * @param alphas how far to move each image along {@code direction}, in order; 0 reconstructs the image
     * @return the decoded pixel values (not floored), {@code [n * alphas.length, ...event]}, the alphas of
     *     image 0 first; a new tensor in the caller's innermost {@link MemoryScope}, if any
     */
    public static Tensor manipulate(Flow flow, Tensor images, Tensor direction, double[] alphas) {
        return manipulate(flow, images, null, direction, alphas);
    }

    /**
     * {@link #manipulate(Flow, Tensor, Tensor, double[])} for a conditional flow: each image is
     * encoded, and its moved latents decoded, given its own context ({@code [n, c]}; null for
     * none), so that only the latent moves.
     *
     * @param flow the trained flow over pixel values in {@code [0, 256)}
     * @param images the images to move, {@code [n, ...event]}, integer pixel values (encoded at
     *     {@code k + 1/2})
     * @param context each image's context {@code [n, c]}, or null for an unconditional flow
     * @param direction the latent direction {@code [1, ...latent]}, as {@link #direction} returns it
     * @param alphas how far to move each image along {@code direction}, in order; 0 reconstructs the image
     * @return the decoded pixel values (not floored), {@code [n * alphas.length, ...event]}, the alphas of
     *     image 0 first; a new tensor in the caller's innermost {@link MemoryScope}, if any
     */
    public static Tensor manipulate(Flow flow, Tensor images, Tensor context, Tensor direction, double[] alphas) {
        return Autodiff.noGrad(() -> {
            Tensor z = flow.encode(images.add(0.5), context);
            int n = images.shape().dim(0);
            Tensor[] rows = new Tensor[n * alphas.length];
            Tensor[] contexts = context == null ? null : new Tensor[n * alphas.length];
            for (int i = 0; i < n; i++) {
                Tensor zi = z.slice(0, i, i + 1);
                for (int a = 0; a < alphas.length; a++) {
                    rows[i * alphas.length + a] = zi.add(direction.mul(alphas[a]));
                    if (contexts != null) {
                        contexts[i * alphas.length + a] = context.slice(0, i, i + 1);
                    }
                }
            }
            return flow.decode(Tensor.concat(0, rows), contexts == null ? null : Tensor.concat(0, contexts));
        });
    }
}
