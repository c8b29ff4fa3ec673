package org.flows4j.cli.plot;

import java.nio.file.Path;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.models.ZooModel;

/**
 * {@code flows4j sample} for a 2-D model: the data beside model samples drawn at a temperature,
 * on the same axes (the picture of {@link FlowPlots#samples}, with a temperature).
 */
public final class SampleScatter {

    /** Padding around the data's box, as in {@link FlowPlots}, so both pictures frame data alike. */
    private static final double PAD = 0.12;
    /** Samples per batch, to bound memory on any backend. */
    private static final int BATCH = 4096;

    private SampleScatter() {}

    /**
     * Writes {@code data} beside {@code n} samples drawn with {@code random} at
     * {@code temperature}, framed around the data.
     *
     * @return the samples as pairs x, y
     */
    public static float[] write(
            ZooModel model,
            DataSplit data,
            int n,
            RandomSource random,
            double temperature,
            Path file,
            String dataTitle,
            String samplesTitle) {
        return write(model, data, n, random, temperature, file, dataTitle, samplesTitle, PlotContext.none());
    }

    /**
     * {@link #write(ZooModel, DataSplit, int, RandomSource, double, Path, String, String)} of a
     * conditional model given {@code context}: one context, or each sample its row's.
     */
    public static float[] write(
            ZooModel model,
            DataSplit data,
            int n,
            RandomSource random,
            double temperature,
            Path file,
            String dataTitle,
            String samplesTitle,
            PlotContext context) {
        if (!FlowPlots.supports(model)) {
            throw new IllegalArgumentException("a scatter of samples is drawn for 2-D continuous data only; "
                    + model.spec() + " models samples of shape " + model.eventShape());
        }
        float[] xy = FlowPlots.points(data);
        float[] drawn = sample(model, n, random, temperature, context);
        Plots.writePng(Plots.samples(xy, drawn, Bounds.around(xy, PAD), dataTitle, samplesTitle), file);
        return drawn;
    }

    /** {@code n} samples at {@code temperature} as pairs x, y, in evaluation mode without gradients. */
    @SuppressWarnings("try") // the scopes are opened for their close()
    static float[] sample(ZooModel model, int n, RandomSource random, double temperature, PlotContext context) {
        float[] out = new float[2 * n];
        model.flow().setTraining(false);
        try (Autodiff.NoGrad off = Autodiff.noGrad()) {
            for (int from = 0; from < n; from += BATCH) {
                int m = Math.min(BATCH, n - from);
                try (MemoryScope scope = MemoryScope.open()) {
                    float[] s = model.flow()
                            .sample(m, context.forSamples(model, from, m), random, temperature)
                            .toFloatArray();
                    System.arraycopy(s, 0, out, 2 * from, 2 * m);
                }
            }
        } finally {
            model.flow().setTraining(true);
        }
        return out;
    }
}
