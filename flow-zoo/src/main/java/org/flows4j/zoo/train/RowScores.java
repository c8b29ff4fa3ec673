package org.flows4j.zoo.train;

import org.flows4j.api.Shape;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.ZooModel;

/**
 * Per-row scores of a zoo model, the same whichever rows share a batch and wherever a row is
 * scored: {@code flows4j eval --per-sample} and flow-spark's scorer both call it, so a row
 * scored on a cluster and in one JVM gives the same number (row for row, within the
 * backend's tolerance).
 *
 * <p>For 8-bit images the flow's density is one of dequantized pixels, so a score needs
 * noise. {@link Evaluator} draws it batch by batch from one stream, which ties a row's noise to
 * its batch; here the noise of a row is drawn from {@code seed} and the row's id alone
 * ({@link #rowRandom}), so the score of a row does not depend on the batching or on how a
 * data set is partitioned. Continuous data is scored as it is, and the ids are unused.
 *
 * <p>Units: {@link #logProb} is the flow's {@code log p(x)} in nats (for images, of
 * dequantized pixels in {@code [0, 256)^D}); bits per dimension are
 * {@code -log p(x) / (D ln 2)}, as {@link Evaluator} reports them.
 */
public final class RowScores {

    private RowScores() {}

    /**
     * The random source of row {@code rowId}'s dequantization noise: {@code seed} and the id
     * mixed by SplitMix64's finalizer (Steele et al.), so that neighbouring ids get unrelated
     * streams.
     *
     * @param seed the seed of the scoring run
     * @param rowId the row's stable id, any value
     * @return a new random source, the same for the same {@code (seed, rowId)} on every JVM
     */
    public static RandomSource rowRandom(long seed, long rowId) {
        long z = seed * 0x9E3779B97F4A7C15L + rowId + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return RandomSource.seeded(z ^ (z >>> 31));
    }

    /**
     * {@code pixels + u}, where row {@code i}'s uniform noise {@code u ~ U[0, 1)^D} comes from
     * {@link #rowRandom rowRandom(seed, rowIds[i])}.
     *
     * @param pixels raw pixel values {@code [n, event shape...]}
     * @param seed the seed of the noise
     * @param rowIds the stable id of each row, {@code n} of them
     * @return {@code pixels} plus the noise, the same shape, dtype and backend; a new tensor in the caller's
     *     memory scope
     * @throws IllegalArgumentException if there are not as many ids as rows
     */
    public static Tensor dequantize(Tensor pixels, long seed, long[] rowIds) {
        int n = pixels.shape().dim(0);
        if (rowIds.length != n) {
            throw new IllegalArgumentException("dequantize: " + n + " rows but " + rowIds.length + " row ids");
        }
        int d = pixels.size() / Math.max(1, n);
        double[] noise = new double[n * d];
        for (int i = 0; i < n; i++) {
            double[] u = rowRandom(seed, rowIds[i]).uniform(d);
            System.arraycopy(u, 0, noise, i * d, d);
        }
        return pixels.add(Tensor.of(pixels.backend(), pixels.dtype(), noise, pixels.shape()));
    }

    /**
     * The log-density of every row of {@code x} ({@code [n, event shape...]}, raw pixel values
     * for image models), in evaluation mode without recording gradients; images are
     * dequantized with {@link #dequantize}. The tensors are made in the caller's memory scope.
     *
     * @param model the model; its flow is put in evaluation mode for the call and back in training mode after
     * @param x the rows {@code [n, event shape...]}
     * @param seed the seed of the dequantization noise; unused for continuous data
     * @param rowIds the stable id of each of the {@code n} rows, which with {@code seed} decides its noise;
     *     unused for continuous data
     * @return a new array of {@code n} log-densities, in nats, in row order
     * @throws IllegalArgumentException if {@code x} is not a batch of the model's event shape, or (for
     *     images) there are not as many ids as rows
     */
    @SuppressWarnings("try") // the no-grad handle is opened for its close()
    public static double[] logProb(ZooModel model, Tensor x, long seed, long[] rowIds) {
        Shape expected = model.eventShape();
        if (x.rank() != expected.rank() + 1) {
            throw new IllegalArgumentException(
                    "logProb: rows of shape " + expected + " expected, got a batch of shape " + x.shape());
        }
        model.flow().setTraining(false);
        try (Autodiff.NoGrad off = Autodiff.noGrad()) {
            Tensor in = model.kind() == Dataset.Kind.IMAGE_8BIT ? dequantize(x, seed, rowIds) : x;
            return model.flow().logProb(in).toDoubleArray();
        } finally {
            model.flow().setTraining(true);
        }
    }

    /**
     * Bits per dimension of a row with log-density {@code logProb} and {@code dims} dimensions.
     *
     * @param logProb the row's log-density in nats, as {@link #logProb} returns it
     * @param dims the dimensions of a row, {@code D}, at least 1
     * @return {@code -logProb / (dims ln 2)}
     */
    public static double bitsPerDim(double logProb, int dims) {
        return -logProb / (dims * Math.log(2));
    }
}
