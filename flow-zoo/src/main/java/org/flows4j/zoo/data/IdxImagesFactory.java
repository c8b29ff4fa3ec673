package org.flows4j.zoo.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.flows4j.api.Shape;

/**
 * MNIST and Fashion-MNIST from their four IDX files (see {@link #FILES}), plain or gzip'd,
 * in {@link DataRequest#dataDir()} or, when that is null, the family's default directory.
 *
 * <ul>
 *   <li>{@code fashion-mnist} defaults to {@value #FASHION_MNIST_DEBIAN_DIR_NAME}, where
 *       Debian's {@code dataset-fashion-mnist} package installs the four files gzip'd
 *       ({@code train-images-idx3-ubyte.gz} and so on).</li>
 *   <li>{@code mnist} has no default: Debian packages no MNIST, so it needs a data
 *       directory and says so.</li>
 * </ul>
 *
 * <p>Each file is looked up under its canonical name, then with {@code .gz}, then in the
 * dotted spelling of some mirrors ({@code train-images.idx3-ubyte}, also with {@code .gz});
 * gzip is recognised by content, not by name. See {@link IdxFile} for the format and its
 * checks; on top of them the images must be {@code 28 x 28}, the labels in {@code 0..9}, and
 * an image file and its label file must hold the same number of items.
 *
 * <p>Samples: {@link Dataset.Kind#IMAGE_8BIT}, event shape {@code [1, 28, 28]}, the raw pixel
 * integers {@code 0..255} as floats (dequantization and scaling belong to the model's
 * preprocessing), with labels and {@link #labelNames() class names}.
 *
 * <p>Splits: test is the {@code t10k} files (10000); validation is the last tenth of the
 * training files ({@code max(1, n / 10)}: 6000 of 60000), a fixed, unshuffled tail as the
 * files are already in random order; train is the rest (54000). A
 * {@link DataRequest#limit() limit} keeps that many training images and shrinks validation
 * and test in proportion (see {@link Splits}): a limit of 1000 gives 1000, 112 and 186. The
 * seed plays no part: the splits are fixed.
 *
 * <p>Memory: a full load holds 70000 images as floats (220 MB), plus one transient copy of a
 * split while {@link DataSplit} takes its own.
 */
public final class IdxImagesFactory implements DatasetFactory {

    /** Where Debian's {@code dataset-fashion-mnist} puts the files, as a string for Javadoc. */
    public static final String FASHION_MNIST_DEBIAN_DIR_NAME = "/usr/share/datasets/fashion-mnist";

    /** Where Debian's {@code dataset-fashion-mnist} puts the files: the default of {@code fashion-mnist}. */
    public static final Path FASHION_MNIST_DEBIAN_DIR = Path.of(FASHION_MNIST_DEBIAN_DIR_NAME);

    /** The four canonical file names: training images and labels, then test images and labels. */
    public static final List<String> FILES = List.of(
            "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

    /** Image height and width. */
    public static final int SIDE = 28;

    /** The event shape: one channel of {@code 28 x 28}. */
    public static final Shape EVENT_SHAPE = Shape.of(1, SIDE, SIDE);

    /** Fashion-MNIST's class names by label, from Zalando's README. */
    public static final List<String> FASHION_MNIST_CLASSES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** MNIST's class names: the digits. */
    public static final List<String> MNIST_CLASSES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    private static final int[] IMAGE_INNER = {SIDE, SIDE};

    private final String name;
    private final String description;
    private final List<String> classes;
    private final Path defaultDir;
    private final String howToGet;

    private IdxImagesFactory(String name, String description, List<String> classes, Path defaultDir, String howToGet) {
        this.name = name;
        this.description = description;
        this.classes = classes;
        this.defaultDir = defaultDir;
        this.howToGet = howToGet;
    }

    /**
     * {@code mnist}: handwritten digits; needs a data directory.
     *
     * @return a new {@code mnist} factory with no default directory
     */
    public static IdxImagesFactory mnist() {
        return new IdxImagesFactory(
                "mnist",
                "MNIST handwritten digits, 28x28 grey, 10 classes, from IDX files in --data-dir",
                MNIST_CLASSES,
                null,
                "Download the four files from http://yann.lecun.com/exdb/mnist/ (or a mirror) and pass --data-dir "
                        + "DIR; Debian packages no MNIST, so there is no default directory.");
    }

    /**
     * {@code fashion-mnist}: Zalando's clothing images; defaults to {@link #FASHION_MNIST_DEBIAN_DIR}.
     *
     * @return a new {@code fashion-mnist} factory reading {@value #FASHION_MNIST_DEBIAN_DIR_NAME} by default
     */
    public static IdxImagesFactory fashionMnist() {
        return new IdxImagesFactory(
                "fashion-mnist",
                "Fashion-MNIST clothing images, 28x28 grey, 10 classes, from IDX files in --data-dir (default "
                        + FASHION_MNIST_DEBIAN_DIR_NAME + ")",
                FASHION_MNIST_CLASSES,
                FASHION_MNIST_DEBIAN_DIR,
                "Install them with 'apt-get install dataset-fashion-mnist' (Debian and Ubuntu; into "
                        + FASHION_MNIST_DEBIAN_DIR_NAME + "), or download them from "
                        + "https://github.com/zalandoresearch/fashion-mnist and pass --data-dir DIR.");
    }

    /**
     * This family with another default directory (null: none, a data directory is then
     * required), for packagers and tests.
     *
     * @param dir the directory to read when a request names none, or null to require one
     * @return a new factory of the same family; this one is unchanged
     */
    public IdxImagesFactory withDefaultDir(Path dir) {
        return new IdxImagesFactory(name, description, classes, dir, howToGet);
    }

    /**
     * The directory used when a request names none, or null when one is required.
     *
     * @return the default data directory, or null when a request must name one
     */
    public Path defaultDir() {
        return defaultDir;
    }

    /**
     * Class names by label.
     *
     * @return the ten class names, the name of label {@code i} at index {@code i}; immutable
     */
    public List<String> labelNames() {
        return classes;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public Dataset load(DataRequest request) {
        Objects.requireNonNull(request, "request");
        Splits.requireNoArgument(request, name);
        int limit = Splits.limit(request);
        Path dir = directory(request);
        Path[] files = new Path[FILES.size()];
        for (int i = 0; i < files.length; i++) {
            files[i] = find(dir, FILES.get(i));
        }

        IdxFile trainImages = IdxFile.read(files[0], "pixels", 3, IMAGE_INNER);
        IdxFile trainLabels = IdxFile.read(files[1], "labels", 1, null);
        checkPair(trainImages, trainLabels);
        int n = trainImages.count();
        if (n < 2) {
            throw new DataException(
                    files[0] + " holds " + n + " image; " + name + " needs at least 2 (for training and validation)");
        }
        int validationFull = Math.max(1, n / 10);
        int trainFull = n - validationFull;
        int keptTrain = Splits.keptTrain(trainFull, limit);
        int keptValidation = Splits.keptOther(validationFull, keptTrain, trainFull);
        DataSplit train = split(trainImages, trainLabels, 0, keptTrain);
        DataSplit validation = split(trainImages, trainLabels, trainFull, keptValidation);
        trainImages = null; // let the 47 MB of training bytes go before reading the test file

        IdxFile testImages = IdxFile.read(files[2], "pixels", 3, IMAGE_INNER);
        IdxFile testLabels = IdxFile.read(files[3], "labels", 1, null);
        checkPair(testImages, testLabels);
        int keptTest = Splits.keptOther(testImages.count(), keptTrain, trainFull);
        DataSplit test = split(testImages, testLabels, 0, keptTest);
        return new InMemoryDataset(
                request.spec(), Dataset.Kind.IMAGE_8BIT, EVENT_SHAPE, train, validation, test, classes);
    }

    private Path directory(DataRequest request) {
        Path dir = request.dataDir() != null ? request.dataDir() : defaultDir;
        if (dir == null) {
            throw new DataRequestException(
                    name + " needs a data directory (--data-dir) holding " + fileList() + ". " + howToGet);
        }
        String which = request.dataDir() != null ? "data directory " : "default data directory ";
        if (!Files.exists(dir)) {
            throw new DataException(
                    name + ": " + which + dir + " does not exist. It should hold " + fileList() + ". " + howToGet);
        }
        if (!Files.isDirectory(dir)) {
            throw new DataException(
                    name + ": " + which + dir + " is not a directory. It should hold " + fileList() + ". " + howToGet);
        }
        return dir;
    }

    private Path find(Path dir, String file) {
        List<String> tried = candidates(file);
        for (String candidate : tried) {
            Path p = dir.resolve(candidate);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new DataException(name + ": " + dir + " has no " + file + " (looked for " + String.join(", ", tried)
                + "); it should hold " + fileList() + ". " + howToGet);
    }

    /** The canonical name, gzip'd, and the dotted spelling of some mirrors, plain then gzip'd. */
    private static List<String> candidates(String file) {
        String dotted = file.replace("-idx", ".idx");
        List<String> names = new ArrayList<>(List.of(file, file + ".gz"));
        if (!dotted.equals(file)) {
            names.add(dotted);
            names.add(dotted + ".gz");
        }
        return names;
    }

    private static String fileList() {
        return String.join(", ", FILES) + " (each may be gzip'd, with .gz)";
    }

    private static void checkPair(IdxFile images, IdxFile labels) {
        if (images.count() != labels.count()) {
            throw new DataException(images.path + " holds " + images.count() + " images but " + labels.path + " holds "
                    + labels.count() + " labels: they must match one to one");
        }
        for (int i = 0; i < labels.data.length; i++) {
            int l = labels.data[i] & 0xff;
            if (l >= MNIST_CLASSES.size()) {
                throw new DataException(
                        labels.path + ": label " + l + " of item " + i + " is not in 0.." + (MNIST_CLASSES.size() - 1));
            }
        }
    }

    /** Items {@code [from, from + count)} as floats {@code 0..255} with their labels. */
    private static DataSplit split(IdxFile images, IdxFile labels, int from, int count) {
        int per = SIDE * SIDE;
        float[] values = new float[count * per];
        byte[] pixels = images.data;
        int offset = from * per;
        for (int i = 0; i < values.length; i++) {
            values[i] = pixels[offset + i] & 0xff; // unsigned: a Java byte is signed
        }
        int[] y = new int[count];
        for (int i = 0; i < count; i++) {
            y[i] = labels.data[from + i] & 0xff;
        }
        return new DataSplit(EVENT_SHAPE, values, y);
    }
}
