package org.flows4j.cli;

import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Flow;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.cli.plot.FlowPlots;
import org.flows4j.cli.plot.ImageGrid;
import org.flows4j.cli.plot.SampleScatter;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.ZooModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flows4j sample}: a grid of samples of an image model at a temperature, or with
 * {@code --temperatures} one row per temperature, every row drawn from the same latent noise
 * (the same seed) scaled by its temperature, as in Glow's figure of temperatures. For a 2-D
 * model it writes the data beside the samples instead (a scatter; {@code --temperatures} does
 * not apply there).
 */
@Command(
        name = "sample",
        sortOptions = false,
        description = {
            "Draw samples from a checkpoint: a grid of images, or rows by temperature.",
            "Decoded pixels are clamped to [0, 255] and floored. --temperatures draws one row per temperature from the "
                    + "same latent noise scaled by it (Glow's figure). For a 2-D model: the data beside the samples."
        })
final class SampleCommand extends PictureCommand {

    /** Samples of an image grid without --temperatures: 8 x 8. */
    static final int DEFAULT_IMAGES = 64;
    /** Samples per row with --temperatures. */
    static final int DEFAULT_PER_ROW = 8;
    /** Samples of a 2-D scatter: as many as the training command's picture shows. */
    static final int DEFAULT_POINTS = Runs.SAMPLES_SHOWN;
    /** The most points of a 2-D scatter. */
    static final int MAX_POINTS = 100_000;
    /** Samples drawn per pass through the flow: memory is bounded by this, not by {@code -n}. */
    static final int SAMPLE_BATCH = 64;

    @Option(
            names = {"-n", "--n"},
            paramLabel = "N",
            order = 10,
            description = "Samples: in all (default: " + DEFAULT_IMAGES + " images, " + DEFAULT_POINTS
                    + " 2-D points), " + "or per row with --temperatures (default: " + DEFAULT_PER_ROW + ").")
    Integer n;

    @Option(
            names = {"-t", "--temperature"},
            paramLabel = "T",
            order = 11,
            description = "Scale of the latent noise's standard deviation (default: 1, the model's own distribution).")
    Double temperature;

    @Option(
            names = "--temperatures",
            paramLabel = "T",
            split = ",",
            order = 12,
            description = "One row per temperature, all from the same noise, e.g. 0,0.25,0.6,0.7,0.8,0.9,1.0.")
    double[] temperatures;

    @Option(
            names = "--label",
            paramLabel = "NAME",
            order = 13,
            description = "For a class-conditional model (trained with --condition label): draw this class, "
                    + "e.g. --label \"ankle boot\" (the checkpoint stores the class names).")
    String label;

    @Option(
            names = "--context",
            paramLabel = "V",
            split = ",",
            order = 14,
            description = "For a model conditioned on context columns (trained with --condition context): draw "
                    + "given these values, one per column, e.g. --context 0.5,1. A 2-D model without it draws "
                    + "each point given a test point's context (the marginal).")
    double[] contextValues;

    /** The one-hot context of --label, or null. */
    private org.flows4j.api.tensor.Tensor context;

    /** What a 2-D scatter is given: --label, --context, the test split's contexts, or nothing. */
    private org.flows4j.cli.plot.PlotContext given = org.flows4j.cli.plot.PlotContext.none();

    @Inject
    SampleCommand(Terminal terminal, Zoo zoo) {
        super(terminal, zoo);
    }

    @Override
    String name() {
        return "sample";
    }

    @Override
    Report execute() {
        if (n != null && n < 1) {
            throw new UsageException("--n must be at least 1, got " + n);
        }
        if (temperature != null && temperatures != null) {
            throw new UsageException("give --temperature or --temperatures, not both");
        }
        double[] temps = temperatures != null ? temperatures : new double[] {temperature != null ? temperature : 1.0};
        if (temps.length == 0) {
            throw new UsageException("--temperatures needs at least one value");
        }
        for (double t : temps) {
            if (!(t >= 0) || !Double.isFinite(t)) {
                throw new UsageException("temperatures are finite and >= 0; got " + ImageGrid.compact(t));
            }
        }
        Path file = outFile();
        info();
        Backend backend = closeAfterReport(common.openBackend());
        long started = System.nanoTime();
        ZooModel model = loadModel(backend);
        resolveContext(backend, model);
        if (FlowPlots.supports(model)) {
            if (temperatures != null) {
                throw new UsageException("--temperatures draws rows of images; for a 2-D model give one --temperature");
            }
            if (n != null && n > MAX_POINTS) {
                throw new UsageException("--n " + n + " is more points than one scatter shows (at most " + MAX_POINTS
                        + "): ask for fewer");
            }
            return scatter(backend, model, file, temps[0], started);
        }
        requireImages(model);
        if (n != null) {
            requirePictureSize(
                    (long) n * temps.length,
                    temperatures != null ? "--n " + n + " and " + temps.length + " --temperatures" : "--n " + n);
        }
        return grid(backend, model, file, temps, started);
    }

    /**
     * Checks {@code --label} and {@code --context} against what the model is conditioned on,
     * and makes the context they give: the one-hot label for an image grid, a fixed context for
     * a 2-D scatter. A class-conditional image model needs {@code --label}; a conditional 2-D
     * model without either draws the marginal over the test split's contexts.
     */
    private void resolveContext(Backend backend, ZooModel model) {
        var conditioning = model.conditioning();
        boolean plane = FlowPlots.supports(model);
        if (label != null && contextValues != null) {
            throw new UsageException("give --label or --context, not both");
        }
        if (label != null) {
            org.flows4j.api.tensor.Tensor c = labelContext(model, label, backend);
            if (plane) {
                given = org.flows4j.cli.plot.PlotContext.of(c.toDoubleArray(), "label " + label);
            } else {
                context = c.unscoped();
            }
            return;
        }
        if (contextValues != null) {
            if (conditioning.source() != org.flows4j.zoo.models.Conditioning.Source.CONTEXT) {
                throw new UsageException("--context: " + model.spec()
                        + (conditioning.isConditional()
                                ? " is class-conditional: give --label, one of "
                                        + String.join(", ", conditioning.names())
                                : " is unconditional: leave --context out"));
            }
            if (contextValues.length != conditioning.size()) {
                throw new UsageException("--context: " + model.spec() + " takes " + conditioning.size() + " value"
                        + (conditioning.size() == 1 ? "" : "s") + " (" + String.join(", ", conditioning.names())
                        + "), got " + contextValues.length);
            }
            List<String> shown = new ArrayList<>();
            for (double v : contextValues) {
                if (!Double.isFinite(v)) {
                    throw new UsageException("--context values are finite numbers; got " + v);
                }
                shown.add(ImageGrid.compact(v));
            }
            if (!plane) {
                throw new UsageException("--context draws a 2-D model's scatter; " + model.spec() + " models samples "
                        + "of shape " + model.eventShape() + ", which this command cannot draw");
            }
            given = org.flows4j.cli.plot.PlotContext.of(
                    contextValues,
                    "given " + String.join(", ", conditioning.names()) + " = " + String.join(", ", shown));
            return;
        }
        if (conditioning.source() == org.flows4j.zoo.models.Conditioning.Source.LABEL && !plane) {
            throw new UsageException(model.spec() + " is class-conditional: give --label, one of "
                    + String.join(", ", conditioning.names()));
        }
    }

    private Report grid(Backend backend, ZooModel model, Path file, double[] temps, long started) {
        boolean rowsByTemperature = temperatures != null;
        int count = n != null ? n : rowsByTemperature ? DEFAULT_PER_ROW : DEFAULT_IMAGES;
        int cols = rowsByTemperature ? count : (int) Math.ceil(Math.sqrt(count));
        int rows = rowsByTemperature ? temps.length : (count + cols - 1) / cols;
        Shape event = model.eventShape();
        int per = event.size();
        ImageGrid grid = new ImageGrid(rows, cols, event);
        double[][] drawn = sampleRows(model.flow(), count, seed, temps, context);
        int nan = 0;
        for (int row = 0; row < temps.length; row++) {
            nan += countNaN(drawn[row]);
            for (int i = 0; i < count; i++) {
                int r = rowsByTemperature ? row : i / cols;
                int c = rowsByTemperature ? i : i % cols;
                grid.tile(r, c, drawn[row], i * per);
            }
        }
        List<String> temperatureLabels = ImageGrid.numberLabels("T = ", temps);
        if (rowsByTemperature) {
            grid.rowLabels(temperatureLabels);
        }
        grid.title(String.format(
                Locale.ROOT,
                "%s samples%s, %s",
                model.spec(),
                label != null ? " of " + label : "",
                rowsByTemperature
                        ? "one row per temperature, same noise (seed " + seed + ")"
                        : temperatureLabels.get(0).replace(" ", "") + ", seed " + seed));

        Report r = report(backend, model, dataSpec());
        r.put("n", count * temps.length);
        r.put("seed", seed);
        r.put("label", label);
        List<Double> t = new ArrayList<>();
        for (double v : temps) {
            t.add(v);
        }
        r.put("temperatures", t);
        r.put("rows", rows);
        r.put("columns", cols);
        r.put("nan_pixels", nan);
        write(r, grid, file);
        r.put("seconds", Runs.round((System.nanoTime() - started) / 1e9, 3));
        r.line(String.format(
                Locale.ROOT,
                "%d samples of %s (step %d)%s, seed %d, in %s on %s",
                count * temps.length,
                model.spec(),
                info().metadata().step(),
                rowsByTemperature ? ", " + temps.length + " rows by temperature" : " at " + temperatureLabels.get(0),
                seed,
                seconds(started),
                backend.name()));
        r.line("wrote " + file + "  (" + rows + " x " + cols + " grid)");
        if (nan > 0) {
            // The picture is written, with those pixels marked, so the user can see them; the
            // command still fails: a picture with NaN in it is not a sample of the model.
            throw new IllegalStateException(nan + " of " + (long) count * temps.length * per + " pixel values of the "
                    + "samples are NaN (drawn in magenta in " + file + "): the model's inverse is not finite at "
                    + (rowsByTemperature ? "these temperatures" : "T = " + ImageGrid.compact(temps[0]))
                    + Runs.nonFiniteWeights(model));
        }
        return r;
    }

    /**
     * {@code count} samples at each temperature, every row from a fresh source seeded with
     * {@code seed}: the same latent noise, scaled by the row's temperature.
     */
    @SuppressWarnings("try") // the scopes are opened for their close()
    static double[][] sampleRows(Flow flow, int count, long seed, double[] temps) {
        return sampleRows(flow, count, seed, temps, null);
    }

    /** {@link #sampleRows(Flow, int, long, double[])} given a context ({@code [c]}, or null for none). */
    @SuppressWarnings("try") // the scopes are opened for their close()
    static double[][] sampleRows(
            Flow flow, int count, long seed, double[] temps, org.flows4j.api.tensor.Tensor context) {
        double[][] out = new double[temps.length][];
        try (Autodiff.NoGrad off = Autodiff.noGrad()) {
            for (int row = 0; row < temps.length; row++) {
                // In batches, one source per row: every row draws the same noise, and memory is
                // bounded by the batch, not by the number of samples.
                RandomSource source = RandomSource.seeded(seed);
                double[] all = null;
                for (int done = 0; done < count; done += SAMPLE_BATCH) {
                    int b = Math.min(SAMPLE_BATCH, count - done);
                    try (MemoryScope scope = MemoryScope.open()) {
                        double[] part =
                                flow.sample(b, context, source, temps[row]).toDoubleArray();
                        if (all == null) {
                            all = new double[part.length / b * count];
                        }
                        System.arraycopy(part, 0, all, part.length / b * done, part.length);
                    }
                }
                out[row] = all;
            }
        }
        return out;
    }

    private Report scatter(Backend backend, ZooModel model, Path file, double t, long started) {
        Dataset dataset = loadData(model);
        int count = n != null ? n : DEFAULT_POINTS;
        DataSplit shown = dataset.test().head(Math.max(count, 1));
        String temp = ImageGrid.compact(t);
        if (model.conditioning().isConditional() && given.isNone()) {
            try {
                given = org.flows4j.cli.plot.PlotContext.marginal(model, shown);
            } catch (IllegalArgumentException e) {
                throw new UsageException(
                        model.spec() + " is conditioned on "
                                + model.conditioning().names() + " and "
                                + dataset.name() + " gives no context to draw from (" + e.getMessage() + "): give "
                                + (model.conditioning().source() == org.flows4j.zoo.models.Conditioning.Source.LABEL
                                        ? "--label"
                                        : "--context"),
                        e);
            }
        }
        float[] xy = SampleScatter.write(
                model,
                shown,
                count,
                RandomSource.seeded(seed),
                t,
                file,
                dataset.name() + " (test split, n=" + shown.size() + ")",
                model.spec() + " samples (n=" + count + ", T=" + temp
                        + (given.isNone() ? "" : ", " + given.description()) + ")",
                given);
        int nan = 0;
        double[] mean = new double[2];
        for (int i = 0; i < xy.length; i++) {
            if (Float.isNaN(xy[i])) {
                nan++;
            }
            mean[i % 2] += xy[i] / count;
        }
        Report r = report(backend, model, dataset.name());
        r.put("n", count);
        r.put("seed", seed);
        r.put("temperatures", List.of(t));
        r.put("context", given.description());
        r.put("sample_mean", List.of(mean[0], mean[1]));
        r.put("nan_values", nan);
        r.put("file", file);
        r.put("seconds", Runs.round((System.nanoTime() - started) / 1e9, 3));
        r.line(String.format(
                Locale.ROOT,
                "%d samples of %s (step %d) at T = %s%s, seed %d, in %s on %s",
                count,
                model.spec(),
                info().metadata().step(),
                temp,
                given.isNone() ? "" : ", " + given.description(),
                seed,
                seconds(started),
                backend.name()));
        r.line("wrote " + file + "  (the test points beside the samples)");
        if (nan > 0) {
            throw new IllegalStateException(nan + " of " + 2L * count + " sampled values are NaN (the points are "
                    + "missing from " + file + "): the model's inverse is not finite at T = " + temp
                    + Runs.nonFiniteWeights(model));
        }
        return r;
    }
}
