package org.flows4j.cli;

import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.cli.plot.ImageGrid;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.ZooModel;
import org.flows4j.zoo.tools.Interpolation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flows4j interpolate}: pairs of held-out images encoded, their latents joined by a
 * straight line and points along it decoded (RealNVP figure 7, Glow figure 5); one row per pair,
 * {@code t} from 0 (the first image) to 1 (the second). The report says whether the endpoints
 * decode back to the inputs, which they do up to the dtype's rounding.
 */
@Command(
        name = "interpolate",
        sortOptions = false,
        description = {
            "Interpolate between held-out images in latent space: one row per pair, t from 0 to 1.",
            "Pairs are drawn at random (--seed) from the split; the endpoints decode back to the two images."
        })
final class InterpolateCommand extends PictureCommand {

    @Option(
            names = "--pairs",
            paramLabel = "P",
            defaultValue = "4",
            order = 10,
            description = "Pairs of images, one row each (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Option(
            names = "--steps",
            paramLabel = "S",
            defaultValue = "8",
            order = 11,
            description = "Images per row, both ends included (default: ${DEFAULT-VALUE}, at least 2).")
    int steps;

    @Option(
            names = "--split",
            paramLabel = "test|validation|train",
            defaultValue = "test",
            order = 12,
            description = "Where the images come from (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(
            names = "--label",
            paramLabel = "NAME",
            order = 13,
            description = "For a class-conditional model: encode and decode every image as this class (default: "
                    + "each image as its own label, the context moving from one to the other along the path).")
    String label;

    @Inject
    InterpolateCommand(Terminal terminal, Zoo zoo) {
        super(terminal, zoo);
    }

    @Override
    String name() {
        return "interpolate";
    }

    @Override
    @SuppressWarnings("try") // the scope is opened for its close()
    Report execute() {
        if (steps < 2) {
            throw new UsageException("--steps must be at least 2 (both ends), got " + steps);
        }
        if (pairs < 1) {
            throw new UsageException("--pairs must be at least 1, got " + pairs);
        }
        requirePictureSize((long) pairs * steps, "--pairs " + pairs + " and --steps " + steps);
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
        if (images.size() < 2 * pairs) {
            throw new UsageException("the " + split + " split of " + dataset.name() + " has " + images.size()
                    + " images; --pairs " + pairs + " needs " + 2 * pairs);
        }
        int[] chosen = choose(images.size(), 2 * pairs, seed);
        int[] first = java.util.Arrays.copyOfRange(chosen, 0, pairs);
        int[] second = java.util.Arrays.copyOfRange(chosen, pairs, 2 * pairs);
        int per = model.eventShape().size();
        double[] a;
        double[] b;
        double[] x;
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor ta = images.batch(backend, model.dtype(), first);
            Tensor tb = images.batch(backend, model.dtype(), second);
            a = ta.toDoubleArray();
            b = tb.toDoubleArray();
            // A conditional model encodes each image given its context and decodes the path given
            // the context on the same line, so that the endpoints still reproduce the images.
            Tensor ca = imageContext(model, images, first, label, backend);
            Tensor cb = imageContext(model, images, second, label, backend);
            x = Interpolation.interpolate(model.flow(), ta, tb, ca, cb, steps).toDoubleArray();
        }

        // The endpoints against the inputs: Interpolation encodes the bin centres k + 1/2.
        double maxError = 0;
        boolean reproduced = true;
        for (int p = 0; p < pairs; p++) {
            for (int k = 0; k < per; k++) {
                double at0 = x[(p * steps) * per + k];
                double at1 = x[(p * steps + steps - 1) * per + k];
                double ea = Math.abs(at0 - (a[p * per + k] + 0.5));
                double eb = Math.abs(at1 - (b[p * per + k] + 0.5));
                maxError = Math.max(
                        maxError, Double.isNaN(ea) || Double.isNaN(eb) ? Double.POSITIVE_INFINITY : Math.max(ea, eb));
                reproduced &=
                        ImageGrid.grey(at0) == (int) a[p * per + k] && ImageGrid.grey(at1) == (int) b[p * per + k];
            }
        }

        ImageGrid grid = new ImageGrid(pairs, steps, model.eventShape());
        for (int i = 0; i < pairs * steps; i++) {
            grid.tile(i / steps, i % steps, x, i * per);
        }
        double[] ts = new double[steps];
        for (int s = 0; s < steps; s++) {
            ts[s] = (double) s / (steps - 1);
        }
        grid.columnLabels(ImageGrid.numberLabels("t = ", ts, 2));
        List<String> fromNames = labelNames(dataset, images, first);
        List<String> toNames = labelNames(dataset, images, second);
        if (fromNames != null) {
            List<String> rows = new ArrayList<>();
            for (int p = 0; p < pairs; p++) {
                rows.add(fromNames.get(p) + " \u2192 " + toNames.get(p));
            }
            grid.rowLabels(rows);
        }
        grid.title(model.spec() + ": latent interpolation between " + dataset.name() + " " + split + " images");

        Report r = report(backend, model, dataset.name());
        r.put("split", split);
        r.put("context", contextDescription(model, label));
        r.put("pairs", pairs);
        r.put("steps", steps);
        List<Map<String, Object>> which = new ArrayList<>();
        for (int p = 0; p < pairs; p++) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("from", first[p]);
            o.put("to", second[p]);
            if (fromNames != null) {
                o.put("from_label", fromNames.get(p));
                o.put("to_label", toNames.get(p));
            }
            which.add(o);
        }
        r.put("images", which);
        r.put("endpoints_reproduced", reproduced);
        r.put("endpoint_max_error", maxError);
        r.put("nan_pixels", countNaN(x));
        write(r, grid, file);
        r.put("seconds", Runs.round((System.nanoTime() - started) / 1e9, 3));
        r.line(String.format(
                Locale.ROOT,
                "%d interpolations of %d steps between %s %s images with %s (step %d), in %s " + "on %s",
                pairs,
                steps,
                dataset.name(),
                split,
                model.spec(),
                info().metadata().step(),
                seconds(started),
                backend.name()));
        r.line(String.format(
                Locale.ROOT,
                "endpoints %s the inputs (largest difference %.3g pixel levels before " + "flooring)",
                reproduced ? "reproduce" : "do NOT reproduce",
                maxError));
        r.line("wrote " + file + "  (" + pairs + " x " + steps + " grid)");
        return r;
    }
}
