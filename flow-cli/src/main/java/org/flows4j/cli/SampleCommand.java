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
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.ZooModel;
import org.flows4j.cli.plot.FlowPlots;
import org.flows4j.cli.plot.ImageGrid;
import org.flows4j.cli.plot.SampleScatter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flows4j sample}: a grid of samples of an image model at a temperature, or with
 * {@code --temperatures} one row per temperature, every row drawn from the same latent noise
 * (the same seed) scaled by its temperature, as in Glow's figure of temperatures. For a 2-D
 * model it writes the data beside the samples instead (a scatter; {@code --temperatures} does
 * not apply there).
 */
@Command(name = "sample", sortOptions = false, description = {
    "Draw samples from a checkpoint: a grid of images, or rows by temperature.",
    "Decoded pixels are clamped to [0, 255] and floored. --temperatures draws one row per temperature from the "
            + "same latent noise scaled by it (Glow's figure). For a 2-D model: the data beside the samples."})
final class SampleCommand extends PictureCommand {

    /** Samples of an image grid without --temperatures: 8 x 8. */
    static final int DEFAULT_IMAGES = 64;
    /** Samples per row with --temperatures. */
    static final int DEFAULT_PER_ROW = 8;
    /** Samples of a 2-D scatter: as many as the training command's picture shows. */
    static final int DEFAULT_POINTS = Runs.SAMPLES_SHOWN;

    @Option(names = {"-n", "--n"}, paramLabel = "N", order = 10,
            description = "Samples: in all (default: " + DEFAULT_IMAGES + " images, " + DEFAULT_POINTS + " 2-D points), "
                    + "or per row with --temperatures (default: " + DEFAULT_PER_ROW + ").")
    Integer n;

    @Option(names = {"-t", "--temperature"}, paramLabel = "T", order = 11,
            description = "Scale of the latent noise's standard deviation (default: 1, the model's own distribution).")
    Double temperature;

    @Option(names = "--temperatures", paramLabel = "T", split = ",", order = 12,
            description = "One row per temperature, all from the same noise, e.g. 0,0.25,0.6,0.7,0.8,0.9,1.0.")
    double[] temperatures;

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
        if (FlowPlots.supports(model)) {
            if (temperatures != null) {
                throw new UsageException("--temperatures draws rows of images; for a 2-D model give one --temperature");
            }
            return scatter(backend, model, file, temps[0], started);
        }
        requireImages(model);
        return grid(backend, model, file, temps, started);
    }

    private Report grid(Backend backend, ZooModel model, Path file, double[] temps, long started) {
        boolean rowsByTemperature = temperatures != null;
        int count = n != null ? n : rowsByTemperature ? DEFAULT_PER_ROW : DEFAULT_IMAGES;
        int cols = rowsByTemperature ? count : (int) Math.ceil(Math.sqrt(count));
        int rows = rowsByTemperature ? temps.length : (count + cols - 1) / cols;
        Shape event = model.eventShape();
        int per = event.size();
        ImageGrid grid = new ImageGrid(rows, cols, event);
        double[][] drawn = sampleRows(model.flow(), count, seed, temps);
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
        grid.title(String.format(Locale.ROOT, "%s samples, %s", model.spec(),
                rowsByTemperature ? "one row per temperature, same noise (seed " + seed + ")"
                        : temperatureLabels.get(0).replace(" ", "") + ", seed " + seed));

        Report r = report(backend, model, dataSpec());
        r.put("n", count * temps.length);
        r.put("seed", seed);
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
        r.line(String.format(Locale.ROOT, "%d samples of %s (step %d)%s, seed %d, in %s on %s", count * temps.length,
                model.spec(), info().metadata().step(), rowsByTemperature ? ", " + temps.length + " rows by temperature"
                        : " at " + temperatureLabels.get(0), seed, seconds(started), backend.name()));
        if (nan > 0) {
            r.line(nan + " pixel values were NaN (drawn in magenta): the model is numerically broken at this "
                    + "temperature");
        }
        r.line("wrote " + file + "  (" + rows + " x " + cols + " grid)");
        return r;
    }

    /**
     * {@code count} samples at each temperature, every row from a fresh source seeded with
     * {@code seed}: the same latent noise, scaled by the row's temperature.
     */
    @SuppressWarnings("try") // the scopes are opened for their close()
    static double[][] sampleRows(Flow flow, int count, long seed, double[] temps) {
        double[][] out = new double[temps.length][];
        try (Autodiff.NoGrad off = Autodiff.noGrad()) {
            for (int row = 0; row < temps.length; row++) {
                try (MemoryScope scope = MemoryScope.open()) {
                    out[row] = flow.sample(count, RandomSource.seeded(seed), temps[row]).toDoubleArray();
                }
            }
        }
        return out;
    }

    private Report scatter(Backend backend, ZooModel model, Path file, double t, long started) {
        Dataset dataset = loadData(model);
        int count = n != null ? n : DEFAULT_POINTS;
        DataSplit shown = dataset.test().head(Math.max(count, 1));
        String temp = ImageGrid.compact(t);
        float[] xy = SampleScatter.write(model, shown, count, RandomSource.seeded(seed), t, file,
                dataset.name() + " (test split, n=" + shown.size() + ")",
                model.spec() + " samples (n=" + count + ", T=" + temp + ")");
        int nan = 0;
        for (float v : xy) {
            if (Float.isNaN(v)) {
                nan++;
            }
        }
        Report r = report(backend, model, dataset.name());
        r.put("n", count);
        r.put("seed", seed);
        r.put("temperatures", List.of(t));
        r.put("nan_values", nan);
        r.put("file", file);
        r.put("seconds", Runs.round((System.nanoTime() - started) / 1e9, 3));
        r.line(String.format(Locale.ROOT, "%d samples of %s (step %d) at T = %s, seed %d, in %s on %s", count,
                model.spec(), info().metadata().step(), temp, seed, seconds(started), backend.name()));
        r.line("wrote " + file + "  (the test points beside the samples)");
        return r;
    }
}
