package org.flows4j.layers.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.random.RandomSource;
import org.flows4j.layers.io.Fixtures.Net;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a file can be broken fails with its own message, naming the file, on every read
 * path ({@link Checkpoints#readInfo}, {@link Checkpoints#read}, {@link Checkpoints#load}), and
 * a failed load leaves the model as it was.
 */
class CheckpointFileErrorTest {

    @TempDir
    Path dir;

    /** A valid two-tensor checkpoint: "model.a" F32 [2] at [0, 8], "model.b" F32 [1] at [8, 12]. */
    private static final String A = "\"model.a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    private static String header(String... entries) {
        return "{\"__metadata__\":" + Fixtures.flowsMetadata() + "," + String.join(",", entries) + "}";
    }

    private static String tensor(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets
                + "}";
    }

    /** Asserts that every read path fails on {@code bytes} with a message holding {@code fragment}. */
    private void assertEveryReadFails(byte[] bytes, String fragment) throws IOException {
        Path file = Fixtures.write(dir.resolve("broken.safetensors"), bytes);
        assertFails(file, fragment, () -> Checkpoints.readInfo(file));
        assertFails(file, fragment, () -> Checkpoints.read(file));
        try (Backend backend = Backends.create("cpu")) {
            Fixtures.Single model = new Fixtures.Single(backend, DType.FLOAT32, Shape.of(2), 0.5);
            assertFails(file, fragment, () -> Checkpoints.load(file, model, null));
            assertEquals(0.5, model.variables().get("weight").value().toDoubleArray()[1], "model unchanged");
        }
    }

    private static void assertFails(Path file, String fragment, Executable call) {
        CheckpointException e = assertThrows(CheckpointException.class, call);
        assertTrue(e.getMessage().startsWith("checkpoint " + file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), () -> "expected '" + fragment + "' in: " + e.getMessage());
        assertEquals(file, e.file());
    }

    private Path saveNet() {
        try (Backend backend = Backends.create("cpu")) {
            Path file = dir.resolve("net.safetensors");
            Checkpoints.save(
                    file,
                    new Net(backend, RandomSource.seeded(1), DType.FLOAT32),
                    null,
                    CheckpointMetadata.of("test:net", DType.FLOAT32));
            return file;
        }
    }

    private static long headerLength(byte[] file) {
        return ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    // ---- truncated -------------------------------------------------------------------------

    @Test
    void empty_file() throws IOException {
        assertEveryReadFails(new byte[0], "truncated: the file is empty");
    }

    @Test
    void file_shorter_than_the_length_field() throws IOException {
        assertEveryReadFails(
                new byte[5], "truncated: the file has 5 bytes, fewer than the 8 that hold the header length");
    }

    @Test
    void file_cut_in_the_header() throws IOException {
        byte[] whole = Files.readAllBytes(saveNet());
        long n = headerLength(whole);
        assertEveryReadFails(
                Arrays.copyOf(whole, 8 + 30),
                "truncated: the header length says " + n
                        + " bytes of JSON header, the file has 30 after the 8-byte length");
    }

    @Test
    void file_cut_in_the_data() throws IOException {
        byte[] whole = Files.readAllBytes(saveNet());
        long data = whole.length - 8 - headerLength(whole);
        assertEveryReadFails(
                Arrays.copyOf(whole, whole.length - 5),
                "truncated: header says " + data + " bytes of tensor data, file has " + (data - 5));
    }

    @Test
    void trailing_bytes_after_the_data() throws IOException {
        byte[] whole = Files.readAllBytes(saveNet());
        long data = whole.length - 8 - headerLength(whole);
        assertEveryReadFails(
                Arrays.copyOf(whole, whole.length + 3),
                "corrupt: header says " + data + " bytes of tensor data, file has " + (data + 3) + " (trailing bytes)");
    }

    @Test
    void offsets_beyond_the_data_are_a_truncation() throws IOException {
        assertEveryReadFails(
                Fixtures.safetensors(header(A), new byte[4]),
                "truncated: header says 8 bytes of tensor data, file has 4");
    }

    // ---- not safetensors, corrupt header ----------------------------------------------------------

    @Test
    void absurd_header_length() throws IOException {
        byte[] bytes = new byte[64];
        Arrays.fill(bytes, 0, 8, (byte) 0xFF);
        assertEveryReadFails(
                bytes,
                "not a safetensors file: its first 8 bytes give a header length of "
                        + "18446744073709551615 bytes, over the limit of 100000000");
        byte[] text = "hello, this is a text file and not a checkpoint".getBytes(StandardCharsets.US_ASCII);
        assertEveryReadFails(text, "not a safetensors file");
    }

    @Test
    void garbage_json() throws IOException {
        assertEveryReadFails(
                Fixtures.safetensors("{\"model.a\":{\"dtype\":\"F32\",,}", new byte[0]),
                "corrupt header: Unexpected character (',' (code 44)): was expecting double-quote to start property name at byte 26 of the JSON header");
        assertEveryReadFails(
                Fixtures.safetensors("[1, 2]", new byte[0]),
                "corrupt header: the JSON header is an array, expected an object");
        assertEveryReadFails(
                Fixtures.safetensors("{\"a\":1} x", new byte[0]),
                "corrupt header: Unrecognized token 'x': was expecting (JSON String, Number, Array, Object or token 'null', "
                        + "'true' or 'false') at byte 8 of the JSON header");
    }

    @Test
    void a_flipped_byte_in_our_own_header() throws IOException {
        byte[] whole = Files.readAllBytes(saveNet());
        int colon = new String(whole, StandardCharsets.ISO_8859_1).indexOf(':', 8);
        whole[colon] = '#';
        assertEveryReadFails(
                whole,
                "corrupt header: Unexpected character ('#' (code 35)): was expecting a colon to "
                        + "separate property name and value at byte " + (colon - 8));
    }

    @Test
    void header_not_utf8() throws IOException {
        byte[] bytes = Fixtures.safetensors("{\"ab\":1}", new byte[0]);
        bytes[8 + 3] = (byte) 0xC3; // a two-byte lead followed by '"', not a continuation byte
        assertEveryReadFails(bytes, "corrupt header: not valid UTF-8 at byte 3 of the JSON header");
    }

    @Test
    void duplicate_tensor_names() throws IOException {
        assertEveryReadFails(
                Fixtures.safetensors(header(A, A), new byte[16]), "corrupt header: duplicate key \"model.a\"");
    }

    @Test
    void metadata_that_is_not_strings() throws IOException {
        String json = "{\"__metadata__\":{\"format\":\"flows4j-checkpoint\",\"step\":7}," + A + "}";
        assertEveryReadFails(
                Fixtures.safetensors(json, new byte[8]),
                "corrupt header: __metadata__ entry 'step' is an integer, but metadata values must be strings");
    }

    @Test
    void unsupported_or_unknown_dtype() throws IOException {
        assertEveryReadFails(
                Fixtures.safetensors(header(tensor("model.a", "F16", "[2]", "[0,4]")), new byte[4]),
                "tensor 'model.a' has dtype 'F16', which flows4j does not read (only F32 and F64)");
        assertEveryReadFails(
                Fixtures.safetensors(header(tensor("model.a", "Q7", "[2]", "[0,4]")), new byte[4]),
                "tensor 'model.a' has dtype 'Q7', which flows4j does not read (only F32 and F64)");
    }

    @Test
    void shape_that_does_not_fit_the_offsets() throws IOException {
        assertEveryReadFails(
                Fixtures.safetensors(header(tensor("model.x", "F32", "[3, 4]", "[0, 40]")), new byte[40]),
                "corrupt header: tensor 'model.x' has shape [3, 4] F32 (48 bytes) but data_offsets [0, 40] span 40 bytes");
        assertEveryReadFails(
                Fixtures.safetensors(header(tensor("model.x", "F32", "[-3]", "[0, 0]")), new byte[0]),
                "corrupt header: tensor 'model.x' has shape [-3]: dimensions must be non-negative integers");
        assertEveryReadFails(
                Fixtures.safetensors(header(tensor("model.x", "F32", "[65536, 65536]", "[0, 0]")), new byte[0]),
                "corrupt header: tensor 'model.x' has shape [65536, 65536], more elements than a Java array holds");
    }

    @Test
    void overlapping_offsets() throws IOException {
        assertEveryReadFails(
                Fixtures.safetensors(header(A, tensor("model.b", "F32", "[2]", "[4,12]")), new byte[12]),
                "corrupt header: tensor 'model.b' data_offsets [4, 12] overlap tensor 'model.a' [0, 8]");
    }

    @Test
    void gap_between_offsets() throws IOException {
        assertEveryReadFails(
                Fixtures.safetensors(header(A, tensor("model.b", "F32", "[2]", "[12,20]")), new byte[20]),
                "corrupt header: no tensor covers bytes [8, 12) of the data, before tensor 'model.b' [12, 20]");
    }

    @Test
    void offsets_out_of_range() throws IOException {
        assertEveryReadFails(
                Fixtures.safetensors(header(tensor("model.a", "F32", "[2]", "[-8,0]")), new byte[0]),
                "corrupt header: tensor 'model.a' has data_offsets [-8, 0], expected two non-negative integers");
        assertEveryReadFails(
                Fixtures.safetensors(header(tensor("model.a", "F32", "[0]", "[8,4]")), new byte[0]),
                "corrupt header: tensor 'model.a' has data_offsets [8, 4] that end before they begin");
        assertEveryReadFails(
                Fixtures.safetensors(header(tensor("model.a", "F32", "[2]", "[0]")), new byte[0]),
                "corrupt header: tensor 'model.a' has data_offsets [0], expected two non-negative integers");
        assertEveryReadFails(
                Fixtures.safetensors(header(tensor("model.a", "F32", "[2]", "[0,99999999999999999999]")), new byte[0]),
                "expected two non-negative integers");
    }

    @Test
    void entry_with_a_missing_or_unknown_field() throws IOException {
        assertEveryReadFails(
                Fixtures.safetensors(header("\"model.a\":{\"dtype\":\"F32\",\"shape\":[2]}"), new byte[0]),
                "corrupt header: tensor 'model.a' has no data_offsets");
        assertEveryReadFails(
                Fixtures.safetensors(
                        header("\"model.a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0],\"offset\":3}"),
                        new byte[0]),
                "corrupt header: tensor 'model.a' has an unknown field 'offset'");
    }

    // ---- valid safetensors, not a (readable) flows4j checkpoint -----------------------------------------

    @Test
    void wrong_format_metadata() throws IOException {
        String json = "{\"__metadata__\":{\"format\":\"pt\"}," + A + "}";
        assertEveryReadFails(
                Fixtures.safetensors(json, new byte[8]),
                "not a flows4j checkpoint: metadata 'format' is 'pt', expected 'flows4j-checkpoint'");
        assertEveryReadFails(
                Fixtures.safetensors("{" + A + "}", new byte[8]),
                "not a flows4j checkpoint: its safetensors metadata has no 'format' entry (a plain safetensors file?)");
    }

    @Test
    void newer_format_version() throws IOException {
        String json = "{\"__metadata__\":"
                + Fixtures.flowsMetadata()
                        .replace("\"format_version\":\"1\"", "\"format_version\":\"3\",\"created_by\":\"flows4j 9.0\"")
                + "," + A + "}";
        assertEveryReadFails(
                Fixtures.safetensors(json, new byte[8]),
                "written in checkpoint format version 3 by a newer flows4j (flows4j 9.0); this version reads format 2");
    }

    @Test
    void corrupt_metadata_values() throws IOException {
        String meta = Fixtures.flowsMetadata();
        assertEveryReadFails(
                Fixtures.safetensors(header(A).replace("\"step\":\"7\"", "\"step\":\"abc\""), new byte[8]),
                "corrupt metadata: 'step' is 'abc', expected a non-negative integer");
        assertEveryReadFails(
                Fixtures.safetensors(header(A).replace(",\"model_spec\":\"test:hand\"", ""), new byte[8]),
                "corrupt metadata: the 'model_spec' entry is missing");
        assertEveryReadFails(
                Fixtures.safetensors(header(A).replace("\"float32\"", "\"int8\""), new byte[8]),
                "corrupt metadata: 'dtype' is 'int8', expected float32 or float64");
        assertEveryReadFails(
                Fixtures.safetensors(
                        header(A).replace(meta, meta.replace("}", ",\"random_state\":\"[1,2,3]\"}")), new byte[8]),
                "corrupt metadata: 'random_state' is '[1,2,3]', expected four 64-bit integers, not all zero");
        assertEveryReadFails(
                Fixtures.safetensors(
                        header(A).replace(meta, meta.replace("}", ",\"model_config\":\"{\\\"a\\\":1}\"}")),
                        new byte[8]),
                "corrupt metadata: 'model_config' is '{\"a\":1}', expected a JSON object of strings");
    }

    @Test
    void missing_file() {
        Path file = dir.resolve("nothing-here.safetensors");
        assertFails(file, "cannot read: no such file", () -> Checkpoints.read(file));
        assertFails(file, "cannot read: no such file", () -> Checkpoints.readInfo(file));
    }
}
