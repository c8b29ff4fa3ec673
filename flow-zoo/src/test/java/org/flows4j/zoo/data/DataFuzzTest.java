package org.flows4j.zoo.data;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Jazzer fuzz tests of the data-set parsers, which read files a user points the command at:
 * IDX images and labels (plain or gzip'd, recognised by the magic bytes) and numeric CSV.
 *
 * <p>A finding is any exception other than {@link DataException}, any {@link Error}, or an
 * input that takes more than a second. {@code mvn verify} runs every input under
 * {@code src/test/resources/org/flows4j/zoo/data/DataFuzzTestInputs/} once (regression mode);
 * {@code JAZZER_FUZZ=1} fuzzes (see the README).
 */
class DataFuzzTest {

    private static final Path DIR = tempDir();

    private static Path tempDir() {
        try {
            Path dir = Files.createTempDirectory("flows4j-fuzz");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Any bytes as an IDX image file of 28x28 images, and as one of any image size. */
    @FuzzTest(maxDuration = "10m")
    void idxImages(byte[] bytes) throws IOException {
        Path file = DIR.resolve("images-idx3-ubyte");
        Files.write(file, bytes);
        try {
            IdxFile.read(file, "pixels", 3, new int[] {28, 28});
        } catch (DataException expected) {
            // the documented failure
        }
        try {
            IdxFile.read(file, "pixels", 3, null);
        } catch (DataException expected) {
            // the documented failure
        }
    }

    /** Any bytes as an IDX label file. */
    @FuzzTest(maxDuration = "10m")
    void idxLabels(byte[] bytes) throws IOException {
        Path file = DIR.resolve("labels-idx1-ubyte");
        Files.write(file, bytes);
        try {
            IdxFile.read(file, "labels", 1, null);
        } catch (DataException expected) {
            // the documented failure
        }
    }

    /** Any bytes as a CSV table, loaded as {@code csv:PATH} with a row limit and without. */
    @FuzzTest(maxDuration = "10m")
    void csv(byte[] bytes) throws IOException {
        Path file = DIR.resolve("table.csv");
        Files.write(file, bytes);
        CsvFactory csv = new CsvFactory();
        for (int limit : new int[] {0, 2}) {
            try {
                csv.load(new DataRequest("csv:" + file, null, 1, limit));
            } catch (DataException expected) {
                // the documented failure
            }
        }
    }
}
