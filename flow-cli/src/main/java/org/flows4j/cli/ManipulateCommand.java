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
import org.flows4j.zoo.tools.AttributeManipulation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flows4j manipulate}: Glow's attribute manipulation (figure 6) with the labels a data
 * set has. The direction from label A to label B is the difference of their mean latents over
 * a split; each row takes an image of label A and decodes its latent moved by {@code alpha}
 * times the direction, one column per alpha.
 */
@Command(
        name = "manipulate",
        sortOptions = false,
        description = {
            "Move images along the latent direction from one label to another (Glow's figure 6).",
            "The direction is mean z(to) - mean z(from) over the split; each row is an image of the from-label moved by "
                    + "each alpha. Labels are class indices or names (case-insensitive), e.g. sneaker, bag, 7."
        })
final class ManipulateCommand extends PictureCommand {

    @Option(
            names = "--from-label",
            paramLabel = "A",
            required = true,
            order = 10,
            description = "The label the direction starts from, and of the images moved: an index or a class name.")
    String fromLabel;

    @Option(
            names = "--to-label",
            paramLabel = "B",
            required = true,
            order = 11,
            description = "The label the direction points to.")
    String toLabel;

    @Option(
            names = "--alphas",
            paramLabel = "A",
            split = ",",
            defaultValue = "-1,-0.5,0,0.5,1",
            order = 12,
            description = "How far along the direction, one column each (default: ${DEFAULT-VALUE}); 0 is the image "
                    + "itself, 1 adds the whole difference of the means.")
    double[] alphas;

    @Option(
            names = {"-n", "--n"},
            paramLabel = "N",
            defaultValue = "4",
            order = 13,
            description = "Images of the from-label, one row each (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(
            names = "--split",
            paramLabel = "test|validation|train",
            defaultValue = "test",
            order = 14,
            description = "The split the direction and the images come from (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(
            names = "--limit",
            paramLabel = "N",
            defaultValue = "0",
            order = 15,
            description = "Use only the split's first N images (default: all).")
    int limit;

    @Option(
            names = "--batch",
            paramLabel = "B",
            defaultValue = "256",
            order = 16,
            description = "Images encoded per batch for the means (default: ${DEFAULT-VALUE}).")
    int batch;

    @Inject
    ManipulateCommand(Terminal terminal, Zoo zoo) {
        super(terminal, zoo);
    }

    @Override
    String name() {
        return "manipulate";
    }

    @Override
    @SuppressWarnings("try") // the scope is opened for its close()
    Report execute() {
        if (n < 1 || batch < 1 || limit < 0) {
            throw new UsageException(
                    "--n and --batch must be at least 1 and --limit >= 0; got " + n + ", " + batch + " and " + limit);
        }
        if (alphas.length == 0) {
            throw new UsageException("--alphas needs at least one value");
        }
        requirePictureSize((long) n * alphas.length, "--n " + n + " and " + alphas.length + " --alphas");
        for (double a : alphas) {
            if (!Double.isFinite(a)) {
                throw new UsageException("--alphas are finite numbers; got " + a);
            }
        }
        Path file = outFile();
        info();
        Backend backend = closeAfterReport(common.openBackend());
        long started = System.nanoTime();
        ZooModel model = loadModel(backend);
        requireImages(model);
        Dataset dataset = loadData(model);
        DataSplit images = split(dataset, split);
        if (limit > 0) {
            images = images.head(limit);
        }
        if (!images.hasLabels()) {
            throw new UsageException(dataset.name() + " has no labels, so it has no directions between them; "
                    + "manipulate needs a labelled data set such as fashion-mnist or mnist");
        }
        List<String> names = labels(dataset, images);
        int from = label(fromLabel, names, dataset.name());
        int to = label(toLabel, names, dataset.name());
        if (from == to) {
            throw new UsageException("--from-label and --to-label are both " + describe(from, names)
                    + ": the direction between them is zero");
        }
        List<Integer> ofFrom = new ArrayList<>();
        int toCount = 0;
        for (int i = 0; i < images.size(); i++) {
            ofFrom.add(images.label(i) == from ? i : -1);
            toCount += images.label(i) == to ? 1 : 0;
        }
        ofFrom.removeIf(i -> i < 0);
        if (ofFrom.isEmpty() || toCount == 0) {
            throw new UsageException(
                    "the " + split + " split of " + dataset.name() + (limit > 0 ? " (first " + limit + ")" : "")
                            + " has no image of " + describe(ofFrom.isEmpty() ? from : to, names));
        }
        int[] pick = choose(ofFrom.size(), n, seed);
        int[] chosen = new int[pick.length];
        for (int i = 0; i < pick.length; i++) {
            chosen[i] = ofFrom.get(pick[i]);
        }
        int count = chosen.length;
        int per = model.eventShape().size();
        double[] x;
        double directionNorm;
        try (MemoryScope scope = MemoryScope.open()) {
            // A class-conditional model encodes every image given its own label and decodes the
            // moved latents given the same label: only the latent moves.
            Tensor d = AttributeManipulation.direction(
                    model.flow(), images, from, to, backend, model.dtype(), batch, model.conditioning());
            directionNorm = Math.sqrt(d.square().sum().item());
            Tensor moved = AttributeManipulation.manipulate(
                    model.flow(),
                    images.batch(backend, model.dtype(), chosen),
                    imageContext(model, images, chosen, null, backend),
                    d,
                    alphas);
            x = moved.toDoubleArray();
        }

        ImageGrid grid = new ImageGrid(count, alphas.length, model.eventShape());
        for (int i = 0; i < count * alphas.length; i++) {
            grid.tile(i / alphas.length, i % alphas.length, x, i * per);
        }
        grid.columnLabels(ImageGrid.numberLabels("\u03b1 = ", alphas));
        List<String> rowNames = new ArrayList<>();
        for (int i : chosen) {
            rowNames.add("#" + i);
        }
        grid.rowLabels(rowNames);
        grid.title(
                names.get(from) + " \u2192 " + names.get(to) + "  (" + model.spec() + ", " + split + " split means)");

        Report r = report(backend, model, dataset.name());
        r.put("split", split);
        r.put("context", contextDescription(model, null));
        r.put("from_label", labelObject(from, names));
        r.put("to_label", labelObject(to, names));
        List<Double> a = new ArrayList<>();
        for (double v : alphas) {
            a.add(v);
        }
        r.put("alphas", a);
        r.put("n", count);
        List<Integer> idx = new ArrayList<>();
        for (int i : chosen) {
            idx.add(i);
        }
        r.put("indices", idx);
        r.put("examples_from", ofFrom.size());
        r.put("examples_to", toCount);
        r.put("direction_norm", directionNorm);
        r.put("nan_pixels", countNaN(x));
        write(r, grid, file);
        r.put("seconds", Runs.round((System.nanoTime() - started) / 1e9, 3));
        r.line(String.format(
                Locale.ROOT,
                "%s -> %s on %s %s (%d and %d images) with %s (step %d): %d images moved "
                        + "by %d alphas, in %s on %s",
                names.get(from),
                names.get(to),
                dataset.name(),
                split,
                ofFrom.size(),
                toCount,
                model.spec(),
                info().metadata().step(),
                count,
                alphas.length,
                seconds(started),
                backend.name()));
        r.line("wrote " + file + "  (rows: images of " + names.get(from) + "; columns: alpha "
                + String.join(", ", ImageGrid.numberLabels("", alphas)) + ")");
        return r;
    }

    /** The data set's class names, or the label indices where it names none. */
    static List<String> labels(Dataset dataset, DataSplit split) {
        if (!dataset.labelNames().isEmpty()) {
            return dataset.labelNames();
        }
        int max = -1;
        for (int i = 0; i < split.size(); i++) {
            max = Math.max(max, split.label(i));
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i <= max; i++) {
            out.add(Integer.toString(i));
        }
        return out;
    }

    /**
     * A label given as an index ({@code 7}) or a class name, compared without case, spaces or
     * punctuation, either whole or by one of its slash-separated alternatives ({@code sneaker},
     * {@code Ankle boot}, {@code ankle-boot}, {@code t-shirt} for {@code T-shirt/top}); anything
     * else is a usage error listing the labels.
     */
    static int label(String text, List<String> names, String dataName) {
        String t = text.trim();
        String key = normal(t);
        for (int i = 0; i < names.size(); i++) {
            if (!key.isEmpty() && normal(names.get(i)).equals(key)) {
                return i;
            }
        }
        for (int i = 0; i < names.size(); i++) {
            for (String part : names.get(i).split("/", -1)) {
                if (!key.isEmpty() && normal(part).equals(key)) {
                    return i;
                }
            }
        }
        // An index after the names, so that a data set whose classes are numbers matches by name.
        if (t.matches("\\d{1,9}") && Integer.parseInt(t) < names.size()) {
            return Integer.parseInt(t);
        }
        List<String> all = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            all.add(names.get(i).equals(Integer.toString(i)) ? names.get(i) : i + " " + names.get(i));
        }
        throw new UsageException("unknown label '" + text + "'; " + dataName + "'s labels: " + String.join(", ", all));
    }

    private static String normal(String s) {
        return s.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]", "");
    }

    private static String describe(int label, List<String> names) {
        return names.get(label).equals(Integer.toString(label))
                ? "label " + label
                : "label " + label + " (" + names.get(label) + ")";
    }

    private static Map<String, Object> labelObject(int label, List<String> names) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("index", label);
        o.put("name", names.get(label));
        return o;
    }
}
