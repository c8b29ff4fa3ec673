package org.flows4j.zoo.train;

import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.bijectors.Dequantization;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.ZooModel;

/**
 * Held-out evaluation of a zoo model, in evaluation mode and without recording gradients. A
 * conditional model is evaluated as {@code log p(x | c)} with each sample's own context.
 *
 * <p>For 8-bit images the flow's density is one of dequantized pixels {@code x} in
 * {@code [0, 256)^D}: bits per dimension are {@code -log p(x) / (D ln 2)}, and the NLL in nats
 * of the data scaled to {@code [0, 1]} (NICE's convention) is {@code -log p(x) - D ln 256}, by
 * the change of variables {@code x/256}. For continuous data the NLL is reported as it is.
 */
public final class Evaluator {

    private Evaluator() {}

    /**
     * The mean NLL over {@code split} in batches of {@code batchSize}; images are dequantized
     * with noise from {@code random}.
     *
     * @param model the model; its flow is put in evaluation mode for the call and back in training mode after
     * @param split the held-out samples, at least one
     * @param batchSize how many samples to score at once, at least 1; only memory and speed depend on it
     * @param random the dequantization noise of images, advanced by one draw per pixel; unused for continuous
     *     data
     * @return the number of samples, the mean NLL in nats and, for images, bits per dimension
     * @throws IllegalArgumentException if {@code split} is empty
     */
    @SuppressWarnings("try") // the scope is opened for its close()
    public static EvalResult evaluate(ZooModel model, DataSplit split, int batchSize, RandomSource random) {
        if (split.size() == 0) {
            throw new IllegalArgumentException("cannot evaluate on an empty split");
        }
        boolean images = model.kind() == Dataset.Kind.IMAGE_8BIT;
        double total = 0;
        model.flow().setTraining(false);
        try (Autodiff.NoGrad off = Autodiff.noGrad()) {
            for (int from = 0; from < split.size(); from += batchSize) {
                int to = Math.min(split.size(), from + batchSize);
                try (MemoryScope scope = MemoryScope.open()) {
                    Tensor x = split.range(model.backend(), model.dtype(), from, to);
                    if (images) {
                        x = Dequantization.apply(x, random);
                    }
                    int[] idx = new int[to - from];
                    for (int i = 0; i < idx.length; i++) {
                        idx[i] = from + i;
                    }
                    Tensor context = model.conditioning().context(split, idx, model.backend(), model.dtype());
                    total += model.flow().logProb(x, context).sum().item();
                }
            }
        } finally {
            model.flow().setTraining(true);
        }
        double nll = -total / split.size();
        return result(split.size(), nll, images, model.eventShape().size());
    }

    /** Converts a mean pixel-space NLL into the reported units. */
    static EvalResult result(int n, double nllModel, boolean images, int dims) {
        if (!images) {
            return new EvalResult(n, nllModel, Double.NaN);
        }
        return new EvalResult(n, nllModel - dims * Math.log(256), nllModel / (dims * Math.log(2)));
    }
}
