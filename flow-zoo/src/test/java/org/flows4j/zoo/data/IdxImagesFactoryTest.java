package org.flows4j.zoo.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.flows4j.api.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tiny IDX files written in a temporary directory: 20 training and 5 test images of 28 x 28
 * whose pixels and labels are a known function of their index, so every value read back can be
 * checked; then one broken file per failure, each with its own message.
 */
class IdxImagesFactoryTest {

    private static final int TRAIN = 20;
    private static final int TEST = 5;
    private static final int PIXELS = 28 * 28;

    @TempDir
    Path dir;

    // ---- writing IDX files -------------------------------------------------------------------

    /** Pixel k of image i of a file: distinct per file ({@code salt}) and spanning 0..255. */
    static int pixel(int salt, int i, int k) {
        return (salt * 31 + i * 7 + k) % 256;
    }

    static int label(int salt, int i) {
        return (salt + i * 3) % 10;
    }

    static byte[] idx(int magic, int[] dims, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + payload.length); // big-endian by default
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        b.put(payload);
        return b.array();
    }

    static byte[] images(int salt, int count) {
        byte[] p = new byte[count * PIXELS];
        for (int i = 0; i < count; i++) {
            for (int k = 0; k < PIXELS; k++) {
                p[i * PIXELS + k] = (byte) pixel(salt, i, k);
            }
        }
        return idx(0x00000803, new int[] {count, 28, 28}, p);
    }

    static byte[] labels(int salt, int count) {
        byte[] p = new byte[count];
        for (int i = 0; i < count; i++) {
            p[i] = (byte) label(salt, i);
        }
        return idx(0x00000801, new int[] {count}, p);
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            out.write(data);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return bytes.toByteArray();
    }

    /** Writes the four files, gzip'd or not, under their canonical names (plus .gz when gzip'd). */
    void writeAll(boolean gzip) throws IOException {
        byte[][] contents = {images(0, TRAIN), labels(0, TRAIN), images(1, TEST), labels(1, TEST)};
        for (int f = 0; f < 4; f++) {
            String name = IdxImagesFactory.FILES.get(f) + (gzip ? ".gz" : "");
            Files.write(dir.resolve(name), gzip ? gzip(contents[f]) : contents[f]);
        }
    }

    Dataset load(IdxImagesFactory factory, int limit) {
        return factory.load(new DataRequest(factory.name(), dir, 7, limit));
    }

    DataException fails(IdxImagesFactory factory) {
        return assertThrows(DataException.class, () -> load(factory, 0));
    }

    static void assertContains(String expected, String message) {
        assertTrue(message.contains(expected), () -> "message '" + message + "' lacks '" + expected + "'");
    }

    // ---- reading -----------------------------------------------------------------------------

    /** Checks image {@code i} of the file with {@code salt} against sample {@code j} of {@code split}. */
    static void assertImage(int salt, int i, DataSplit split, int j) {
        float[] expected = new float[PIXELS];
        for (int k = 0; k < PIXELS; k++) {
            expected[k] = pixel(salt, i, k);
        }
        assertArrayEquals(expected, split.sample(j), "image " + i);
        assertEquals(label(salt, i), split.label(j), "label " + i);
    }

    @ParameterizedTest(name = "gzip {0}")
    @ValueSource(booleans = {false, true})
    void reads_values_labels_shapes_and_splits(boolean gzip) throws IOException {
        writeAll(gzip);
        Dataset d = load(IdxImagesFactory.fashionMnist(), 0);
        assertEquals("fashion-mnist", d.name());
        assertEquals(Dataset.Kind.IMAGE_8BIT, d.kind());
        assertEquals(Shape.of(1, 28, 28), d.eventShape());
        assertEquals(IdxImagesFactory.FASHION_MNIST_CLASSES, d.labelNames());
        // validation is the last tenth of the training file: max(1, 20 / 10) = 2
        assertEquals(18, d.train().size());
        assertEquals(2, d.validation().size());
        assertEquals(TEST, d.test().size());
        for (int i = 0; i < 18; i++) {
            assertImage(0, i, d.train(), i);
        }
        assertImage(0, 18, d.validation(), 0);
        assertImage(0, 19, d.validation(), 1);
        for (int i = 0; i < TEST; i++) {
            assertImage(1, i, d.test(), i);
        }
    }

    @Test
    void pixels_are_unsigned_0_to_255() throws IOException {
        writeAll(false);
        Dataset d = load(IdxImagesFactory.mnist(), 0);
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int i = 0; i < d.train().size(); i++) {
            for (float v : d.train().sample(i)) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        assertEquals(0, min);
        assertEquals(255, max); // a signed byte would read 255 as -1
        assertEquals(IdxImagesFactory.MNIST_CLASSES, d.labelNames());
    }

    @Test
    void gzip_is_detected_by_content_not_name() throws IOException {
        byte[][] contents = {images(0, TRAIN), labels(0, TRAIN), images(1, TEST), labels(1, TEST)};
        // gzip'd data under the plain name, plain data under the .gz name
        Files.write(dir.resolve("train-images-idx3-ubyte"), gzip(contents[0]));
        Files.write(dir.resolve("train-labels-idx1-ubyte.gz"), contents[1]);
        Files.write(dir.resolve("t10k-images-idx3-ubyte"), contents[2]);
        Files.write(dir.resolve("t10k-labels-idx1-ubyte.gz"), gzip(contents[3]));
        Dataset d = load(IdxImagesFactory.mnist(), 0);
        assertImage(0, 3, d.train(), 3);
        assertImage(1, 4, d.test(), 4);
    }

    @Test
    void reads_the_dotted_names_of_some_mirrors() throws IOException {
        byte[][] contents = {images(0, TRAIN), labels(0, TRAIN), images(1, TEST), labels(1, TEST)};
        for (int f = 0; f < 4; f++) {
            Files.write(dir.resolve(IdxImagesFactory.FILES.get(f).replace("-idx", ".idx")), contents[f]);
        }
        assertEquals(18, load(IdxImagesFactory.mnist(), 0).train().size());
    }

    @Test
    void a_limit_keeps_a_prefix_and_shrinks_the_other_splits_in_proportion() throws IOException {
        writeAll(true);
        Dataset d = load(IdxImagesFactory.fashionMnist(), 9);
        assertEquals(9, d.train().size());
        assertEquals(1, d.validation().size()); // ceil(2 * 9 / 18)
        assertEquals(3, d.test().size()); // ceil(5 * 9 / 18)
        assertImage(0, 8, d.train(), 8);
        assertImage(0, 18, d.validation(), 0);
        assertImage(1, 2, d.test(), 2);
        assertEquals(18, load(IdxImagesFactory.fashionMnist(), 1000).train().size());
    }

    @Test
    void the_debian_default_directory_is_where_the_package_installs() {
        assertEquals(
                Path.of("/usr/share/datasets/fashion-mnist"),
                IdxImagesFactory.fashionMnist().defaultDir());
        assertNull(IdxImagesFactory.mnist().defaultDir());
    }

    // ---- failures ----------------------------------------------------------------------------

    /** Writes valid files, then replaces {@code file} (an index into FILES) with {@code content}. */
    void writeAllBut(int file, byte[] content) throws IOException {
        writeAll(false);
        Files.write(dir.resolve(IdxImagesFactory.FILES.get(file)), content);
    }

    @Test
    void wrong_magic_number() throws IOException {
        byte[] bad = images(0, TRAIN);
        ByteBuffer.wrap(bad).putInt(0, 0x12345678);
        writeAllBut(0, bad);
        String m = fails(IdxImagesFactory.mnist()).getMessage();
        assertContains(
                "train-images-idx3-ubyte is not an IDX file: wrong magic number 0x12345678, expected 0x00000803", m);
    }

    @Test
    void wrong_element_type() throws IOException {
        byte[] bad = images(0, TRAIN);
        ByteBuffer.wrap(bad).putInt(0, 0x00000d03); // IDX float
        writeAllBut(0, bad);
        assertContains(
                "holds IDX type 0x0d, not unsigned bytes",
                fails(IdxImagesFactory.mnist()).getMessage());
    }

    @Test
    void labels_with_three_dimensions() throws IOException {
        writeAllBut(1, images(0, TRAIN));
        String m = fails(IdxImagesFactory.mnist()).getMessage();
        assertContains("train-labels-idx1-ubyte: wrong magic number 0x00000803, expected 0x00000801", m);
        assertContains("it has 3 dimensions, labels have 1", m);
    }

    @Test
    void images_of_the_wrong_size() throws IOException {
        writeAllBut(2, idx(0x00000803, new int[] {TEST, 32, 32}, new byte[TEST * 32 * 32]));
        assertContains(
                "t10k-images-idx3-ubyte: wrong dimensions [5, 32, 32]: expected [count, 28, 28] pixels",
                fails(IdxImagesFactory.mnist()).getMessage());
    }

    @Test
    void zero_dimension() throws IOException {
        writeAllBut(1, idx(0x00000801, new int[] {0}, new byte[0]));
        assertContains(
                "train-labels-idx1-ubyte: dimension 0 is 0, expected a positive size",
                fails(IdxImagesFactory.mnist()).getMessage());
    }

    @Test
    void a_header_asking_for_more_than_an_array_holds() throws IOException {
        writeAllBut(0, idx(0x00000803, new int[] {1 << 30, 28, 28}, new byte[0]));
        assertContains("ask for more than", fails(IdxImagesFactory.mnist()).getMessage());
    }

    @ParameterizedTest(name = "gzip {0}")
    @ValueSource(booleans = {false, true})
    void truncated_images(boolean gzip) throws IOException {
        byte[] full = images(0, TRAIN);
        byte[] cut = Arrays.copyOf(full, full.length - 100);
        writeAllBut(0, gzip ? gzip(cut) : cut);
        assertContains(
                "train-images-idx3-ubyte is truncated: expected " + TRAIN * PIXELS
                        + " bytes of pixels after the header, found " + (TRAIN * PIXELS - 100),
                fails(IdxImagesFactory.mnist()).getMessage());
    }

    @Test
    void truncated_gzip_stream() throws IOException {
        byte[] z = gzip(images(0, TRAIN));
        writeAllBut(0, Arrays.copyOf(z, z.length / 2));
        String m = fails(IdxImagesFactory.mnist()).getMessage();
        assertContains("train-images-idx3-ubyte is truncated", m);
        assertContains("gzip stream ends early", m);
    }

    @Test
    void truncated_header() throws IOException {
        writeAllBut(0, Arrays.copyOf(images(0, TRAIN), 12));
        assertContains(
                "train-images-idx3-ubyte is truncated: expected an IDX header of 16 bytes "
                        + "(magic number and 3 dimensions), found 12",
                fails(IdxImagesFactory.mnist()).getMessage());
        writeAllBut(3, new byte[] {0, 0});
        assertContains(
                "t10k-labels-idx1-ubyte is truncated: expected an IDX header of 8 bytes "
                        + "(magic number and 1 dimension), found 2",
                fails(IdxImagesFactory.mnist()).getMessage());
    }

    @Test
    void trailing_data() throws IOException {
        byte[] full = labels(1, TEST);
        writeAllBut(3, Arrays.copyOf(full, full.length + 3));
        assertContains(
                "t10k-labels-idx1-ubyte is too long: expected 5 bytes of labels after the header, found 8",
                fails(IdxImagesFactory.mnist()).getMessage());
    }

    @Test
    void label_and_image_counts_disagree() throws IOException {
        writeAllBut(1, labels(0, TRAIN - 1));
        String m = fails(IdxImagesFactory.mnist()).getMessage();
        assertContains("train-images-idx3-ubyte holds 20 images but", m);
        assertContains("train-labels-idx1-ubyte holds 19 labels", m);
    }

    @Test
    void label_out_of_range() throws IOException {
        byte[] bad = labels(1, TEST);
        bad[8 + 3] = 12;
        writeAllBut(3, bad);
        assertContains(
                "t10k-labels-idx1-ubyte: label 12 of item 3 is not in 0..9",
                fails(IdxImagesFactory.mnist()).getMessage());
    }

    @Test
    void missing_file() throws IOException {
        writeAll(true);
        Files.delete(dir.resolve("t10k-labels-idx1-ubyte.gz"));
        String m = fails(IdxImagesFactory.fashionMnist()).getMessage();
        assertContains("fashion-mnist: " + dir + " has no t10k-labels-idx1-ubyte", m);
        assertContains("apt-get install dataset-fashion-mnist", m);
        assertContains("--data-dir", m);
    }

    @Test
    void missing_directory() {
        Path none = dir.resolve("none");
        IdxImagesFactory f = IdxImagesFactory.fashionMnist();
        String m = assertThrows(DataException.class, () -> f.load(new DataRequest("fashion-mnist", none, 0, 0)))
                .getMessage();
        assertContains("fashion-mnist: data directory " + none + " does not exist", m);
        assertContains("apt-get install dataset-fashion-mnist", m);
    }

    @Test
    void missing_default_directory() {
        Path none = dir.resolve("none");
        IdxImagesFactory f = IdxImagesFactory.fashionMnist().withDefaultDir(none);
        String m = assertThrows(DataException.class, () -> f.load(new DataRequest("fashion-mnist", null, 0, 0)))
                .getMessage();
        assertContains("fashion-mnist: default data directory " + none + " does not exist", m);
        assertContains("apt-get install dataset-fashion-mnist", m);
    }

    @Test
    void a_file_where_the_directory_should_be() throws IOException {
        Path file = Files.writeString(dir.resolve("file"), "x");
        IdxImagesFactory f = IdxImagesFactory.mnist();
        assertContains(
                "is not a directory",
                assertThrows(DataException.class, () -> f.load(new DataRequest("mnist", file, 0, 0)))
                        .getMessage());
    }

    @Test
    void mnist_needs_a_data_directory() {
        IdxImagesFactory f = IdxImagesFactory.mnist();
        String m = assertThrows(DataException.class, () -> f.load(new DataRequest("mnist", null, 0, 0)))
                .getMessage();
        assertContains("mnist needs a data directory (--data-dir)", m);
        assertContains("train-images-idx3-ubyte", m);
        assertFalse(m.contains("apt-get"), m);
    }

    @Test
    void bad_specs() {
        IdxImagesFactory f = IdxImagesFactory.mnist();
        assertContains(
                "mnist takes no argument",
                assertThrows(DataException.class, () -> f.load(new DataRequest("mnist:x", dir, 0, 0)))
                        .getMessage());
        assertContains(
                "cannot load 'two-moons'",
                assertThrows(DataException.class, () -> f.load(new DataRequest("two-moons", dir, 0, 0)))
                        .getMessage());
        assertContains(
                "the limit must be 0 (no limit) or positive, got -1",
                assertThrows(DataException.class, () -> f.load(new DataRequest("mnist", dir, 0, -1)))
                        .getMessage());
    }
}
