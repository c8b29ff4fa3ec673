package org.flows4j.layers.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.random.RandomSource;
import org.flows4j.layers.io.Fixtures.FakeOptimizer;
import org.flows4j.layers.io.Fixtures.Net;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compatibility with the safetensors format itself, not only with our own writer: files
 * built byte by byte here as the format's README and the reference implementation
 * (huggingface/safetensors {@code tensor.rs}) describe them are read correctly, and the files
 * we write obey what that reference writer does (header padded with spaces to 8 bytes,
 * string-only metadata, offsets tiling the data, tensors aligned to their element size).
 */
class SafeTensorsFormatTest {

    @TempDir
    Path dir;

    @Test
    void reads_a_hand_built_plain_safetensors_file() throws IOException {
        // Header order differs from data order ("b" lies first), as other writers may do,
        // and the header is not padded: both are legal.
        String json = "{\"a\": {\"dtype\": \"F32\", \"shape\": [2, 1], \"data_offsets\": [8, 16]},"
                + " \"b\": {\"dtype\": \"F64\", \"shape\": [], \"data_offsets\": [0, 8]}}";
        ByteBuffer data = ByteBuffer.allocate(16)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putDouble(-2.5)
                .putFloat(1.25f)
                .putFloat(-0.0f);
        Path file = Fixtures.write(dir.resolve("plain.safetensors"), Fixtures.safetensors(json, data.array()));

        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            SafeTensors.Header h = SafeTensors.readHeader(ch, file);
            assertEquals(List.of("a", "b"), List.copyOf(h.entries().keySet()));
            assertEquals(Map.of(), h.metadata());
            assertEquals(8 + json.length(), h.dataStart());
            assertEquals(16, h.dataBytes());
            SafeTensors.Entry a = h.entries().get("a");
            assertEquals(DType.FLOAT32, a.dtype());
            assertEquals(Shape.of(2, 1), a.shape());
            float[] af = SafeTensors.readFloats(ch, h, a, SafeTensors.scratch());
            assertArrayEquals(
                    new int[] {Float.floatToRawIntBits(1.25f), Float.floatToRawIntBits(-0.0f)},
                    new int[] {Float.floatToRawIntBits(af[0]), Float.floatToRawIntBits(af[1])});
            SafeTensors.Entry b = h.entries().get("b");
            assertEquals(Shape.scalar(), b.shape());
            assertArrayEquals(new double[] {-2.5}, SafeTensors.readDoubles(ch, h, b, SafeTensors.scratch()));
        }
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.read(file));
        assertTrue(
                e.getMessage().contains("not a flows4j checkpoint: its safetensors metadata has no 'format' entry"),
                e.getMessage());
    }

    @Test
    void reads_a_hand_built_flows4j_checkpoint_and_restores_it() throws IOException {
        // A Single module has one slot, "weight" [2] float32.
        String json = "{\"__metadata__\":" + Fixtures.flowsMetadata()
                + ",\"model.weight\":{\"shape\":[2],\"data_offsets\":[0,8],\"dtype\":\"F32\"}}";
        Path file = Fixtures.write(
                dir.resolve("hand.safetensors"),
                Fixtures.safetensors(json, Fixtures.littleEndian(new float[] {3.5f, -7f}, new double[0])));

        Checkpoint c = Checkpoints.read(file);
        assertEquals("test:hand", c.metadata().modelSpec());
        assertEquals(7, c.metadata().step());
        assertEquals(DType.FLOAT32, c.metadata().dtype());
        assertEquals(Map.of(), c.metadata().modelConfig());
        assertArrayEquals(
                new float[] {3.5f, -7f}, c.tensors().get("model.weight").toFloatArray());
        try (Backend backend = Backends.create("cpu")) {
            Fixtures.Single model = new Fixtures.Single(backend, DType.FLOAT32, Shape.of(2), 0);
            Checkpoints.load(file, model, null);
            assertArrayEquals(
                    new float[] {3.5f, -7f},
                    model.variables().get("weight").value().toFloatArray());
        }
    }

    @Test
    void our_header_is_padded_json_with_string_metadata_and_aligned_tiling_offsets() throws IOException {
        Path file = dir.resolve("ours.safetensors");
        try (Backend backend = Backends.create("cpu")) {
            // Mixed dtypes in model order f32, f32, f64, f32, f64: float64 data must still be 8-aligned.
            Net net = new Net(backend, RandomSource.seeded(1), DType.FLOAT32);
            Checkpoints.save(
                    file,
                    net,
                    new FakeOptimizer(net.parameters(), RandomSource.seeded(2), 5),
                    CheckpointMetadata.of("test:net", DType.FLOAT32).withExtra("\u00fcber", "caf\u00e9 \u2603"));
        }
        byte[] bytes = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "header length is a multiple of 8");
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        String trimmed = header.stripTrailing();
        assertTrue(header.substring(trimmed.length()).chars().allMatch(c -> c == ' '), "padding is spaces");
        assertTrue(header.length() - trimmed.length() < 8, "at most 7 bytes of padding");

        Object parsed = assertParses(header);
        Map<?, ?> top = assertInstanceOf(Map.class, parsed);
        Map<?, ?> meta = assertInstanceOf(Map.class, top.get("__metadata__"));
        meta.values().forEach(v -> assertInstanceOf(String.class, v, "metadata values are strings"));
        assertEquals("caf\u00e9 \u2603", meta.get("\u00fcber"));
        assertEquals("5", meta.get("optimizer_steps"));

        long dataBytes = bytes.length - 8 - n;
        long[] covered = new long[(int) dataBytes];
        for (Map.Entry<?, ?> e : top.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            Map<?, ?> entry = assertInstanceOf(Map.class, e.getValue());
            assertEquals(List.of("dtype", "shape", "data_offsets"), List.copyOf(entry.keySet()));
            List<?> offsets = assertInstanceOf(List.class, entry.get("data_offsets"));
            long begin = (Long) offsets.get(0);
            long end = (Long) offsets.get(1);
            long size = entry.get("dtype").equals("F64") ? 8 : 4;
            assertEquals(0, (8 + n + begin) % size, e.getKey() + " is aligned to its element size in the file");
            long elements = 1;
            for (Object d : (List<?>) entry.get("shape")) {
                elements *= (Long) d;
            }
            assertEquals(elements * size, end - begin, e.getKey().toString());
            for (long i = begin; i < end; i++) {
                covered[(int) i]++;
            }
        }
        for (long c : covered) {
            assertEquals(1, c, "every data byte belongs to exactly one tensor");
        }
    }

    private static Object assertParses(String json) {
        try {
            return Json.parse(json);
        } catch (Json.SyntaxException e) {
            throw new AssertionError("our header is not valid JSON: " + e.getMessage(), e);
        }
    }

    @Test
    void layout_puts_float64_first_and_keeps_the_given_order_otherwise() {
        List<SafeTensors.Entry> entries = SafeTensors.layout(List.of(
                new SafeTensors.Spec("a", DType.FLOAT32, Shape.of(3)),
                new SafeTensors.Spec("b", DType.FLOAT64, Shape.of(2)),
                new SafeTensors.Spec("c", DType.FLOAT32, Shape.of(1)),
                new SafeTensors.Spec("d", DType.FLOAT64, Shape.of(0))));
        assertEquals(
                List.of("a", "b", "c", "d"),
                entries.stream().map(SafeTensors.Entry::name).toList());
        assertEquals(
                List.of(16L, 0L, 28L, 16L),
                entries.stream().map(SafeTensors.Entry::begin).toList());
        assertEquals(
                List.of(28L, 16L, 32L, 16L),
                entries.stream().map(SafeTensors.Entry::end).toList());
    }
}
