package org.flows4j.cli;

import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.cli.plot.ImageGrid;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.ZooModel;
import org.flows4j.zoo.tools.InpaintMask;
import org.flows4j.zoo.tools.Inpainting;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flows4j inpaint}: NICE's inpainting (section 5.2). The known pixels are clamped to
 * their values and the missing ones, started from uniform noise, found by projected gradient
 * ascent on {@code log p(x)}, staying in the data range. One row per image: the original, the
 * masked image (missing pixels in {@link ImageGrid#MISSING_COLOUR blue}), and the result. The
 * report gives each image's {@code log p} at the noise start and after, in pixel-space nats and
 * bits per dimension.
 */
@Command(
        name = "inpaint",
        sortOptions = false,
        description = {
            "Fill in masked pixels by gradient ascent on log p(x) (NICE's inpainting).",
            "Rows: original, masked (missing pixels in blue), result. Masks: top, bottom, odd, even, left, right, "
                    + "middle-v, middle-h, random75, random90. --json gives log p before and after per image."
        })
final class InpaintCommand extends PictureCommand {

    /** The most images one run inpaints: they are optimized together, so memory grows with them. */
    static final int MAX_INPAINTED = 64;

    @Option(
            names = {"-m", "--mask"},
            paramLabel = "M",
            required = true,
            order = 10,
            description =
                    "Which pixels are missing: top, bottom, odd, even, left, right, middle-v, middle-h, random75, "
                            + "random90.")
    String mask;

    @Option(
            names = "--iterations",
            paramLabel = "N",
            defaultValue = "300",
            order = 11,
            description = "Gradient steps (default: ${DEFAULT-VALUE}); NICE's step size 10 / (100 + i).")
    int iterations;

    @Option(
            names = {"-n", "--n"},
            paramLabel = "N",
            defaultValue = "6",
            order = 12,
            description = "Images, one row each (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(
            names = "--split",
            paramLabel = "test|validation|train",
            defaultValue = "test",
            order = 13,
            description = "Where the images come from (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(
            names = "--label",
            paramLabel = "NAME",
            order = 14,
            description = "For a class-conditional model: inpaint every image as this class, maximizing "
                    + "log p(x | label) (default: each image's own label).")
    String label;

    @Inject
    InpaintCommand(Terminal terminal, Zoo zoo) {
        super(terminal, zoo);
    }

    @Override
    String name() {
        return "inpaint";
    }

    @Override
    @SuppressWarnings("try") // the scopes are opened for their close()
    Report execute() {
        InpaintMask which;
        try {
            which = InpaintMask.parse(mask);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        }
        if (iterations < 0) {
            throw new UsageException("--iterations must be >= 0, got " + iterations);
        }
        if (n < 1) {
            throw new UsageException("--n must be at least 1, got " + n);
        }
        if (n > MAX_INPAINTED) {
            throw new UsageException("--n " + n + " is more than the " + MAX_INPAINTED + " images one inpainting "
                    + "optimizes at once (each needs the model's gradient): ask for fewer");
        }
        Path file = outFile();
        info();
        Backend backend = closeAfterReport(common.openBackend());
        long started = System.nanoTime();
        ZooModel model = loadModel(backend);
        requireImages(model);
        if (label != null) {
            labelContext(model, label, backend); // a wrong --label is one line before any work
        }
        Dataset dataset = loadData(model);
        DataSplit images = split(dataset, split);
        if (images.size() == 0) {
            throw new IllegalStateException("the " + split + " split of " + dataset.name() + " is empty");
        }
        if (n > images.size()) {
            throw new UsageException("the " + split + " split of " + dataset.name() + " has " + images.size()
                    + " images, fewer than --n " + n);
        }
        int[] chosen = choose(images.size(), n, seed);
        int count = chosen.length;
        int per = model.eventShape().size();
        // Seeds apart from the image choice, so that another mask keeps the same images.
        double[] known = which.known(model.eventShape(), RandomSource.seeded(seed + 1));
        double[] original;
        double[] result;
        double[] originalLogProb;
        Inpainting.Result out;
        try (MemoryScope scope = MemoryScope.open()) {
            // The centres of the pixels' bins (k + 1/2), where dequantization noise averages to: the
            // density there is the model's view of the image, and flooring shows the pixel again.
            Tensor x = images.batch(backend, model.dtype(), chosen).add(0.5);
            Tensor context = imageContext(model, images, chosen, label, backend);
            original = x.toDoubleArray();
            originalLogProb =
                    Autodiff.noGrad(() -> model.flow().logProb(x, context).toDoubleArray());
            out = Inpainting.inpaint(model.flow(), x, context, known, iterations, RandomSource.seeded(seed + 2));
            result = out.result().toDoubleArray();
        }

        ImageGrid grid = new ImageGrid(count, 3, model.eventShape());
        for (int i = 0; i < count; i++) {
            grid.tile(i, 0, original, i * per);
            grid.tile(i, 1, original, i * per, known);
            grid.tile(i, 2, result, i * per);
        }
        grid.columnLabels(List.of("original", "masked", "inpainted"));
        List<String> names = labelNames(dataset, images, chosen);
        if (names != null) {
            grid.rowLabels(names);
        }
        int missing = 0;
        for (double k : known) {
            missing += k == 0 ? 1 : 0;
        }
        int changed = 0;
        for (int i = 0; i < result.length; i++) {
            if (known[i % per] != 0 && result[i] != original[i]) {
                changed++;
            }
        }
        grid.title(String.format(
                Locale.ROOT,
                "%s inpainting: mask %s (%.0f%% missing), %d steps",
                model.spec(),
                which.label(),
                100.0 * missing / known.length,
                iterations));

        double bitsScale = 1 / (per * Math.log(2));
        double meanBefore = 0;
        double meanAfter = 0;
        double meanOriginal = 0;
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            double before = out.logProbBefore()[i];
            double after = out.logProbAfter()[i];
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("index", chosen[i]);
            if (names != null) {
                o.put("label", names.get(i));
            }
            o.put("log_p_before", before);
            o.put("log_p_after", after);
            o.put("log_p_original", originalLogProb[i]);
            o.put("bits_per_dim_before", -before * bitsScale);
            o.put("bits_per_dim_after", -after * bitsScale);
            rows.add(o);
            meanBefore += before / count;
            meanAfter += after / count;
            meanOriginal += originalLogProb[i] / count;
        }

        Report r = report(backend, model, dataset.name());
        r.put("split", split);
        r.put("context", contextDescription(model, label));
        r.put("mask", which.label());
        r.put("missing_fraction", Runs.round((double) missing / known.length, 6));
        r.put("iterations", iterations);
        r.put("n", count);
        r.put("seed", seed);
        r.put("mean_log_p_before", meanBefore);
        r.put("mean_log_p_after", meanAfter);
        r.put("mean_log_p_original", meanOriginal);
        r.put("mean_bits_per_dim_before", -meanBefore * bitsScale);
        r.put("mean_bits_per_dim_after", -meanAfter * bitsScale);
        r.put("mean_bits_per_dim_original", -meanOriginal * bitsScale);
        r.put("images", rows);
        r.put("known_pixels_changed", changed);
        r.put("nan_pixels", countNaN(result));
        write(r, grid, file);
        r.put("seconds", Runs.round((System.nanoTime() - started) / 1e9, 3));
        r.line(String.format(
                Locale.ROOT,
                "inpainted %d %s %s images with %s (step %d): mask %s (%.0f%% of pixels "
                        + "missing), %d steps, in %s on %s",
                count,
                dataset.name(),
                split,
                model.spec(),
                info().metadata().step(),
                which.label(),
                100.0 * missing / known.length,
                iterations,
                seconds(started),
                backend.name()));
        r.line(String.format(
                Locale.ROOT,
                "mean log p(x): %.2f nats (%.4f bits/dim) at the noise start -> %.2f nats "
                        + "(%.4f bits/dim) inpainted; the originals: %.2f nats (%.4f bits/dim)",
                meanBefore,
                -meanBefore * bitsScale,
                meanAfter,
                -meanAfter * bitsScale,
                meanOriginal,
                -meanOriginal * bitsScale));
        if (meanAfter < meanBefore) {
            // Projected gradient ascent with NICE's fixed step schedule can overshoot on a sharp
            // model; say so rather than let the picture pass for a result.
            r.line("warning: log p fell; the gradient steps overshoot on this model (see the pixels pinned at 0 "
                    + "and 255)");
        }
        r.line("wrote " + file + "  (rows: original, masked with missing pixels in blue, inpainted)");
        return r;
    }
}
