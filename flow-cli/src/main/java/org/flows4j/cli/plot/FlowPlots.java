package org.flows4j.cli.plot;

import java.nio.file.Path;
import java.util.List;
import org.flows4j.api.Shape;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.ZooModel;

/**
 * The pictures of a 2-D zoo model: {@code density.png}, a heat map of {@code log p(x)} on a
 * grid over the data's range with the data on top, and {@code samples.png}, the data beside as
 * many model samples. Evaluation runs without gradients, in evaluation mode.
 */
public final class FlowPlots {

    /** Grid cells along the longer side of the density picture. */
    static final int GRID = 200;
    /** Points evaluated per batch, to bound memory on any backend. */
    private static final int BATCH = 4096;
    /** Padding around the data's bounding box, as a fraction of its size on each side. */
    private static final double PAD = 0.12;

    private FlowPlots() {}

    /** Whether the model is one of 2-D continuous data, the only kind these pictures show. */
    public static boolean supports(ZooModel model) {
        return model.kind() == Dataset.Kind.CONTINUOUS && model.eventShape().equals(Shape.of(2));
    }

    /** The points of a 2-D split as pairs x, y. */
    public static float[] points(DataSplit split) {
        if (!split.eventShape().equals(Shape.of(2))) {
            throw new IllegalArgumentException(
                    "pictures need 2-D data; these samples have shape " + split.eventShape());
        }
        float[] out = new float[2 * split.size()];
        for (int i = 0; i < split.size(); i++) {
            float[] s = split.sample(i);
            out[2 * i] = s[0];
            out[2 * i + 1] = s[1];
        }
        return out;
    }

    /** Writes the heat map of the model's log-density over {@code data}'s range, with {@code data} on top. */
    public static void density(ZooModel model, DataSplit data, Path file, String title) {
        density(model, data, file, title, PlotContext.none());
    }

    /**
     * {@link #density(ZooModel, DataSplit, Path, String)} of a conditional model given
     * {@code context}: one context, or the marginal over a split's contexts.
     */
    public static void density(ZooModel model, DataSplit data, Path file, String title, PlotContext context) {
        check(model);
        float[] xy = points(data);
        Bounds b = Bounds.around(xy, PAD);
        int cols = b.aspect() >= 1 ? GRID : Math.max(2, (int) Math.round(GRID * b.aspect()));
        int rows = b.aspect() >= 1 ? Math.max(2, (int) Math.round(GRID / b.aspect())) : GRID;
        double[] logp = logDensity(model, b, cols, rows, context);
        Plots.writePng(Plots.density(logp, cols, rows, b, xy, title), file);
    }

    /** Writes {@code data} beside {@code data.size()} samples of the model drawn with {@code random}. */
    public static void samples(
            ZooModel model, DataSplit data, RandomSource random, Path file, String dataTitle, String samplesTitle) {
        samples(model, data, random, file, dataTitle, samplesTitle, PlotContext.none());
    }

    /**
     * {@link #samples(ZooModel, DataSplit, RandomSource, Path, String, String)} of a conditional
     * model given {@code context}: one context, or each sample its row's.
     */
    public static void samples(
            ZooModel model,
            DataSplit data,
            RandomSource random,
            Path file,
            String dataTitle,
            String samplesTitle,
            PlotContext context) {
        check(model);
        float[] xy = points(data);
        float[] drawn = sample(model, data.size(), random, context);
        Plots.writePng(Plots.samples(xy, drawn, Bounds.around(xy, PAD), dataTitle, samplesTitle), file);
    }

    /** {@code log p} at the cell centres of a {@code cols x rows} grid over {@code b}, bottom row first. */
    @SuppressWarnings("try") // the scopes are opened for their close()
    static double[] logDensity(ZooModel model, Bounds b, int cols, int rows) {
        return logDensity(model, b, cols, rows, PlotContext.none());
    }

    /**
     * {@link #logDensity(ZooModel, Bounds, int, int)} given {@code context}: with several
     * contexts, their mixture {@code log (1/K) sum_k p(x | c_k)}, by log-sum-exp.
     */
    static double[] logDensity(ZooModel model, Bounds b, int cols, int rows, PlotContext context) {
        List<double[]> contexts = context.forDensity();
        double[][] each = new double[contexts.size()][];
        for (int k = 0; k < each.length; k++) {
            each[k] = logDensity(model, b, cols, rows, contexts.get(k));
        }
        if (each.length == 1) {
            return each[0];
        }
        double[] out = new double[each[0].length];
        for (int i = 0; i < out.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (double[] e : each) {
                max = Math.max(max, e[i]);
            }
            double sum = 0;
            for (double[] e : each) {
                sum += Math.exp(e[i] - max);
            }
            out[i] = Double.isFinite(max) ? max + Math.log(sum / each.length) : max;
        }
        return out;
    }

    @SuppressWarnings("try") // the scopes are opened for their close()
    private static double[] logDensity(ZooModel model, Bounds b, int cols, int rows, double[] context) {
        int n = cols * rows;
        double[] out = new double[n];
        double dx = (b.xMax() - b.xMin()) / cols;
        double dy = (b.yMax() - b.yMin()) / rows;
        model.flow().setTraining(false);
        try (Autodiff.NoGrad off = Autodiff.noGrad()) {
            for (int from = 0; from < n; from += BATCH) {
                int m = Math.min(BATCH, n - from);
                double[] pts = new double[2 * m];
                for (int k = 0; k < m; k++) {
                    int cell = from + k;
                    int row = cell / cols;
                    pts[2 * k] = b.xMin() + (cell % cols + 0.5) * dx;
                    pts[2 * k + 1] = b.yMin() + (row + 0.5) * dy;
                }
                try (MemoryScope scope = MemoryScope.open()) {
                    Tensor x = Tensor.of(model.backend(), model.dtype(), pts, Shape.of(m, 2));
                    Tensor c = context == null
                            ? null
                            : Tensor.of(model.backend(), model.dtype(), context, Shape.of(context.length));
                    System.arraycopy(model.flow().logProb(x, c).toDoubleArray(), 0, out, from, m);
                }
            }
        } finally {
            model.flow().setTraining(true);
        }
        return out;
    }

    /** {@code n} model samples as pairs x, y. */
    @SuppressWarnings("try") // the scopes are opened for their close()
    static float[] sample(ZooModel model, int n, RandomSource random) {
        return sample(model, n, random, PlotContext.none());
    }

    /** {@code n} model samples given {@code context}, as pairs x, y. */
    @SuppressWarnings("try") // the scopes are opened for their close()
    static float[] sample(ZooModel model, int n, RandomSource random, PlotContext context) {
        float[] out = new float[2 * n];
        model.flow().setTraining(false);
        try (Autodiff.NoGrad off = Autodiff.noGrad()) {
            for (int from = 0; from < n; from += BATCH) {
                int m = Math.min(BATCH, n - from);
                try (MemoryScope scope = MemoryScope.open()) {
                    float[] s = model.flow()
                            .sample(m, context.forSamples(model, from, m), random)
                            .toFloatArray();
                    System.arraycopy(s, 0, out, 2 * from, 2 * m);
                }
            }
        } finally {
            model.flow().setTraining(true);
        }
        return out;
    }

    private static void check(ZooModel model) {
        if (!supports(model)) {
            throw new IllegalArgumentException("pictures are drawn for 2-D continuous data only; " + model.spec()
                    + " models samples of shape " + model.eventShape() + " (" + model.kind() + ")");
        }
    }
}
