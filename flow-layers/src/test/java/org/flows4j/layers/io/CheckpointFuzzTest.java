package org.flows4j.layers.io;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Jazzer fuzz tests of the checkpoint reader, the parser of untrusted input in flow-layers: the
 * safetensors container (header length, JSON header, tensor entries, data) and the flows4j
 * metadata inside it (format, version, model configuration JSON, random state JSON, counts).
 *
 * <p>A finding is any exception other than {@link CheckpointException}, any {@link Error}, or
 * an input that takes more than a second (Jazzer's default timeout in fuzzing mode). {@code mvn
 * verify} runs every input under {@code src/test/resources/org/flows4j/layers/io/CheckpointFuzzTestInputs/}
 * once (regression mode); {@code JAZZER_FUZZ=1} fuzzes (see the README).
 */
class CheckpointFuzzTest {

    private static final Path FILE = tempFile();

    private static Path tempFile() {
        try {
            Path dir = Files.createTempDirectory("flows4j-fuzz");
            dir.toFile().deleteOnExit();
            Path file = dir.resolve("input.safetensors");
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Any bytes as a checkpoint file: the header alone, then the header and every tensor. */
    @FuzzTest(maxDuration = "10m")
    void safetensors(byte[] bytes) throws IOException {
        Files.write(FILE, bytes);
        try {
            Checkpoints.readInfo(FILE);
        } catch (CheckpointException expected) {
            // the documented failure
        }
        try {
            Checkpoints.read(FILE);
        } catch (CheckpointException expected) {
            // the documented failure
        }
    }

    /**
     * A well-formed safetensors file (no tensors) whose {@code __metadata__} values come from
     * the fuzzer: what {@link CheckpointInfo} parses out of them (integers, the dtype, the model
     * configuration and random state as nested JSON).
     */
    @FuzzTest(maxDuration = "10m")
    void metadata(FuzzedDataProvider in) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(CheckpointMetadata.FORMAT, in.consumeBoolean() ? Checkpoints.FORMAT : in.consumeString(20));
        for (String key : new String[] {
            CheckpointMetadata.FORMAT_VERSION,
            CheckpointMetadata.MODEL_SPEC,
            CheckpointMetadata.MODEL_CONFIG,
            CheckpointMetadata.DTYPE,
            CheckpointMetadata.STEP,
            CheckpointMetadata.RANDOM_STATE,
            CheckpointMetadata.OPTIMIZER_STEPS,
            CheckpointMetadata.EMA_UPDATES
        }) {
            if (in.consumeBoolean()) {
                m.put(key, in.consumeString(200));
            }
        }
        while (in.remainingBytes() > 0) {
            m.put(in.consumeString(40), in.consumeString(200));
        }
        byte[] json = Json.write(g -> {
                    g.writeStartObject();
                    g.writeName(SafeTensors.METADATA_KEY);
                    Json.writeStringObject(g, m);
                    g.writeEndObject();
                })
                .getBytes(StandardCharsets.UTF_8);
        ByteBuffer file = ByteBuffer.allocate(8 + json.length).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(json.length).put(json);
        Files.write(FILE, file.array());
        try {
            CheckpointInfo info = Checkpoints.readInfo(FILE);
            // every accessor the summary reads must cope with what was read
            assertTrue(info.toString().startsWith("CheckpointInfo["));
        } catch (CheckpointException expected) {
            // the documented failure
        }
    }
}
