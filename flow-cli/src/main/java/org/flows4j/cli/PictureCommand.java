package org.flows4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Flow;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.cli.plot.ImageGrid;
import org.flows4j.layers.io.CheckpointInfo;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.Conditioning;
import org.flows4j.zoo.models.ZooModel;
import org.flows4j.zoo.train.ZooCheckpoints;
import picocli.CommandLine.Option;

/**
 * What the picture commands ({@code sample}, {@code interpolate}, {@code inpaint},
 * {@code manipulate}) share: the checkpoint the model is rebuilt from, the data set (by default
 * the one it was trained on), the seed of the picture's randomness, the output file, and the
 * checks that make a wrong argument one clear line before any work is done.
 */
abstract class PictureCommand extends ZooCommand {

    final Zoo zoo;

    @Option(
            names = {"-c", "--checkpoint"},
            paramLabel = "F",
            required = true,
            order = 1,
            description = "The checkpoint (a zoo model: it is rebuilt from the checkpoint's metadata).")
    Path checkpoint;

    @Option(
            names = {"-d", "--data"},
            paramLabel = "D",
            order = 2,
            description = "Data set (default: the one the checkpoint was trained on).")
    String data;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            order = 3,
            description = "Where the data set's files are (default: its own).")
    Path dataDir;

    @Option(
            names = {"-o", "--out"},
            paramLabel = "FILE.png",
            order = 50,
            description = "The picture to write (default: ${COMMAND-NAME}.png).")
    Path out;

    @Option(
            names = "--raw-weights",
            negatable = false,
            order = 52,
            description = "Use the trained weights even when the checkpoint holds moving averages (EMA), which are "
                    + "used by default.")
    boolean rawWeights;

    @Option(
            names = "--seed",
            paramLabel = "S",
            defaultValue = "0",
            order = 51,
            description = "Seed of the picture's randomness (default: ${DEFAULT-VALUE}).")
    long seed;

    /**
     * The most images one picture shows (a 32 x 32 grid): the picture's memory, and the work
     * behind it, are bounded by this, not by what is asked.
     */
    static final int MAX_IMAGES = 1024;

    private CheckpointInfo info;

    PictureCommand(Terminal terminal, Zoo zoo) {
        super(terminal);
        this.zoo = zoo;
    }

    /** The command's name, for messages and the default output file. */
    abstract String name();

    /**
     * The output file, checked before any work: a {@code .png} name that is not a directory.
     * Its directory is created when the picture is written.
     */
    Path outFile() {
        Path file = out != null ? out : Path.of(name() + ".png");
        if (Files.isDirectory(file)) {
            throw new UsageException(
                    "--out " + file + " is a directory; give a file name, such as " + file.resolve(name() + ".png"));
        }
        if (!file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
            throw new UsageException("--out " + file + ": pictures are written as PNG; give a name ending in .png");
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && Files.exists(parent) && !Files.isDirectory(parent)) {
            throw new IllegalStateException("cannot write " + file + ": " + parent + " is not a directory");
        }
        return file;
    }

    /** Fails with a usage error if a picture of {@code images} images is over {@link #MAX_IMAGES}. */
    static void requirePictureSize(long images, String flags) {
        if (images > MAX_IMAGES) {
            throw new UsageException(flags + " ask for " + images + " images in one picture; at most " + MAX_IMAGES
                    + " fit (a 32 x 32 grid): ask for fewer");
        }
    }

    /** The checkpoint's header, read once; a missing file is a failure (exit 1), as in {@code eval}. */
    CheckpointInfo info() {
        if (info == null) {
            Runs.requireCheckpointFile(checkpoint, "flows4j " + name());
            info = ZooCheckpoints.info(checkpoint);
        }
        return info;
    }

    /** The data set spec: {@code --data}, else the checkpoint's; null if neither says. */
    String dataSpec() {
        return data != null ? data : ZooCheckpoints.dataSpec(info());
    }

    /** Rebuilds the model from the checkpoint on {@code backend}, in evaluation mode. */
    ZooModel loadModel(Backend backend) {
        ZooModel model = ZooCheckpoints.load(checkpoint, zoo, backend, rawWeights);
        model.flow().setTraining(false);
        return model;
    }

    /**
     * Loads the data set, with the training run's seed (generated data sets are a function of
     * it, so the points are the ones the model was trained and tested on), and checks that its
     * samples are what the model models.
     */
    Dataset loadData(ZooModel model) {
        String spec = dataSpec();
        if (spec == null) {
            throw new UsageException("the checkpoint does not say what it was trained on: give --data");
        }
        String savedSeed = info().metadata().extra().get("seed");
        Dataset dataset = Runs.loadData(zoo, spec, dataDir, savedSeed != null ? Long.parseLong(savedSeed) : 0, 0);
        if (!dataset.eventShape().equals(model.eventShape()) || dataset.kind() != model.kind()) {
            throw new UsageException(dataset.name() + " holds samples of shape " + dataset.eventShape() + " ("
                    + dataset.kind() + ") but " + checkpoint + " models " + model.eventShape() + " ("
                    + model.kind() + ")");
        }
        return dataset;
    }

    /** Fails with a usage error unless the model is one of 8-bit images that a grid can show. */
    void requireImages(ZooModel model) {
        Shape e = model.eventShape();
        if (model.kind() != Dataset.Kind.IMAGE_8BIT || e.rank() != 3) {
            throw new UsageException("flows4j " + name() + " works on image models; " + checkpoint + " holds "
                    + model.spec() + " for samples of shape " + e + " ("
                    + model.kind().name().toLowerCase(Locale.ROOT)
                    + ")"
                    + (e.equals(Shape.of(2))
                            ? "; for 2-D models, flows4j train writes density.png and samples.png"
                            : ""));
        }
        if (e.dim(0) != 1 && e.dim(0) != 3) {
            throw new UsageException("flows4j " + name() + " draws grey (1 channel) or RGB (3 channel) images; "
                    + model.spec() + " models " + e.dim(0) + " channels");
        }
    }

    /**
     * The one-hot context {@code [c]} of {@code --label NAME} for a class-conditional model.
     *
     * @throws UsageException when the model is not conditioned on labels (naming what it takes)
     *     or the name is not one of its classes (listing them)
     */
    static Tensor labelContext(ZooModel model, String label, Backend backend) {
        Conditioning conditioning = model.conditioning();
        if (conditioning.source() != Conditioning.Source.LABEL) {
            throw new UsageException("--label: " + model.spec() + " is not conditioned on class labels"
                    + (conditioning.isConditional()
                            ? "; it takes context columns " + conditioning.names() + ": give --context"
                            : " (it is unconditional): leave --label out"));
        }
        try {
            return conditioning.oneHot(backend, model.dtype(), conditioning.labelIndex(label));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + e.getMessage(), e);
        }
    }

    /**
     * The contexts of the images of {@code split} at {@code indices} for a conditional model,
     * {@code [n, c]}: with {@code label} (the command's {@code --label}) that class for every
     * image, else each image's own (its one-hot label); null for an unconditional model.
     *
     * @throws UsageException when the split lacks the labels the model needs, naming {@code --label}
     */
    static Tensor imageContext(ZooModel model, DataSplit split, int[] indices, String label, Backend backend) {
        Conditioning conditioning = model.conditioning();
        if (label != null) {
            Tensor c = labelContext(model, label, backend);
            return Flow.broadcastContext("--label", c, indices.length);
        }
        if (!conditioning.isConditional()) {
            return null;
        }
        try {
            return conditioning.context(split, indices, backend, model.dtype());
        } catch (IllegalArgumentException e) {
            throw new UsageException(
                    model.spec() + " is conditioned on " + conditioning.source().option() + "s "
                            + conditioning.names() + ", but the images have none to give it (" + e.getMessage() + ")"
                            + (conditioning.source() == Conditioning.Source.LABEL
                                    ? ": give --label, one of " + String.join(", ", conditioning.names())
                                    : ""),
                    e);
        }
    }

    /** What a report says about the context: null (unconditional), "own label" or the class given. */
    static String contextDescription(ZooModel model, String label) {
        if (!model.conditioning().isConditional()) {
            return null;
        }
        return label != null ? "label " + label : "each image's own label";
    }

    /** {@code test}, {@code validation} or {@code train}. */
    static DataSplit split(Dataset dataset, String which) {
        return switch (which) {
            case "test" -> dataset.test();
            case "validation" -> dataset.validation();
            case "train" -> dataset.train();
            default -> throw new UsageException("--split is test, validation or train; got '" + which + "'");
        };
    }

    /** {@code n} distinct indices below {@code size}, in random order from {@code seed}. */
    static int[] choose(int size, int n, long seed) {
        int[] order = RandomSource.seeded(seed).permutation(size);
        int[] out = new int[Math.min(n, size)];
        System.arraycopy(order, 0, out, 0, out.length);
        return out;
    }

    /** The report's opening fields and the checkpoint. */
    Report report(Backend backend, ZooModel model, String dataName) {
        Report r = new Report();
        Runs.putModel(r, name(), backend, model, dataName);
        r.put("checkpoint", checkpoint);
        r.put("step", info().metadata().step());
        r.put("weights", ZooCheckpoints.weights(info(), rawWeights));
        return r;
    }

    /** Writes the grid and adds {@code file}, {@code width} and {@code height} to the report. */
    static void write(Report r, ImageGrid grid, Path file) {
        grid.writePng(file);
        r.put("file", file);
        r.put("width", grid.width());
        r.put("height", grid.height());
    }

    /** The class name of each label of {@code split} at {@code indices}, or null if it has none. */
    static List<String> labelNames(Dataset dataset, DataSplit split, int[] indices) {
        if (!split.hasLabels() || dataset.labelNames().isEmpty()) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (int i : indices) {
            int label = split.label(i);
            out.add(label < dataset.labelNames().size() ? dataset.labelNames().get(label) : Integer.toString(label));
        }
        return out;
    }

    /** A count of values that are not numbers (a sample or decoding that blew up). */
    static int countNaN(double[] v) {
        int n = 0;
        for (double d : v) {
            if (Double.isNaN(d)) {
                n++;
            }
        }
        return n;
    }

    static String seconds(long startedNanos) {
        return Runs.seconds((System.nanoTime() - startedNanos) / 1e9);
    }
}
