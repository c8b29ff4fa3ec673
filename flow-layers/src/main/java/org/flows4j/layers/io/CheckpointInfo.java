package org.flows4j.layers.io;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;

/**
 * A checkpoint's header, read without its tensor data: the metadata, and the name, dtype
 * and shape of every tensor. Enough to build the model a checkpoint was saved from
 * ({@code flows4j eval --checkpoint F}) before loading it; see {@link Checkpoints#readInfo}.
 */
public final class CheckpointInfo {

    /**
     * A stored tensor's dtype and shape.
     *
     * @param dtype the element type
     * @param shape the dimensions
     */
    public record TensorSpec(DType dtype, Shape shape) {
        @Override
        public String toString() {
            return shape + " " + dtype.label();
        }
    }

    private final Path file;
    private final CheckpointMetadata metadata;
    private final int formatVersion;
    private final String createdBy;
    private final OptionalLong optimizerSteps;
    private final OptionalLong emaUpdates;
    private final Map<String, String> rawMetadata;
    private final Map<String, TensorSpec> tensors;

    private CheckpointInfo(
            Path file,
            CheckpointMetadata metadata,
            int formatVersion,
            String createdBy,
            OptionalLong optimizerSteps,
            OptionalLong emaUpdates,
            Map<String, String> rawMetadata,
            Map<String, TensorSpec> tensors) {
        this.file = file;
        this.metadata = metadata;
        this.formatVersion = formatVersion;
        this.createdBy = createdBy;
        this.optimizerSteps = optimizerSteps;
        this.emaUpdates = emaUpdates;
        this.rawMetadata = rawMetadata;
        this.tensors = tensors;
    }

    /**
     * Interprets a validated safetensors header as a flows4j checkpoint.
     *
     * @throws CheckpointException if the metadata is not that of a flows4j checkpoint this
     *     version reads, naming the entry at fault
     */
    static CheckpointInfo of(Path file, SafeTensors.Header header) {
        Map<String, String> m = header.metadata();
        String format = m.get(CheckpointMetadata.FORMAT);
        if (format == null) {
            throw new CheckpointException(
                    file,
                    "not a flows4j checkpoint: its safetensors metadata has no '" + CheckpointMetadata.FORMAT
                            + "' entry (a plain safetensors file?)");
        }
        if (!format.equals(Checkpoints.FORMAT)) {
            throw new CheckpointException(
                    file,
                    "not a flows4j checkpoint: metadata '" + CheckpointMetadata.FORMAT + "' is '" + format
                            + "', expected '" + Checkpoints.FORMAT + "'");
        }
        String versionText = required(file, m, CheckpointMetadata.FORMAT_VERSION);
        int version;
        try {
            version = Integer.parseInt(versionText);
        } catch (NumberFormatException e) {
            version = -1;
        }
        if (version < 1) {
            throw corrupt(file, CheckpointMetadata.FORMAT_VERSION, versionText, "a positive integer");
        }
        if (version > Checkpoints.FORMAT_VERSION) {
            throw new CheckpointException(
                    file,
                    "written in checkpoint format version " + version
                            + " by a newer flows4j (" + m.getOrDefault(CheckpointMetadata.CREATED_BY, "unknown")
                            + "); this version reads format " + Checkpoints.FORMAT_VERSION);
        }
        String spec = required(file, m, CheckpointMetadata.MODEL_SPEC);
        Map<String, String> config;
        String configText = m.getOrDefault(CheckpointMetadata.MODEL_CONFIG, "{}");
        try {
            config = Json.parseStringObject(configText);
        } catch (Json.SyntaxException e) {
            throw corrupt(
                    file,
                    CheckpointMetadata.MODEL_CONFIG,
                    configText,
                    "a JSON object of strings (" + e.getMessage() + ")");
        }
        String dtypeText = required(file, m, CheckpointMetadata.DTYPE);
        DType dtype;
        try {
            dtype = DType.parse(dtypeText);
        } catch (IllegalArgumentException e) {
            throw corrupt(file, CheckpointMetadata.DTYPE, dtypeText, "float32 or float64");
        }
        long step = nonNegative(file, CheckpointMetadata.STEP, required(file, m, CheckpointMetadata.STEP));
        long[] random = null;
        String randomText = m.get(CheckpointMetadata.RANDOM_STATE);
        if (randomText != null) {
            try {
                random = Json.parseLongArray(randomText);
            } catch (Json.SyntaxException e) {
                throw corrupt(
                        file,
                        CheckpointMetadata.RANDOM_STATE,
                        randomText,
                        "a JSON array of four 64-bit integers (" + e.getMessage() + ")");
            }
            if (random.length != 4 || (random[0] | random[1] | random[2] | random[3]) == 0) {
                throw corrupt(file, CheckpointMetadata.RANDOM_STATE, randomText, "four 64-bit integers, not all zero");
            }
        }
        String stepsText = m.get(CheckpointMetadata.OPTIMIZER_STEPS);
        OptionalLong optimizerSteps = stepsText == null
                ? OptionalLong.empty()
                : OptionalLong.of(nonNegative(file, CheckpointMetadata.OPTIMIZER_STEPS, stepsText));
        String emaText = m.get(CheckpointMetadata.EMA_UPDATES);
        OptionalLong emaUpdates = emaText == null
                ? OptionalLong.empty()
                : OptionalLong.of(nonNegative(file, CheckpointMetadata.EMA_UPDATES, emaText));
        Map<String, String> extra = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (!CheckpointMetadata.RESERVED_KEYS.contains(k) && !k.isEmpty()) {
                extra.put(k, v);
            }
        });
        CheckpointMetadata metadata = new CheckpointMetadata(spec, config, dtype, step, random, extra);
        Map<String, TensorSpec> tensors = new LinkedHashMap<>();
        header.entries().forEach((name, e) -> tensors.put(name, new TensorSpec(e.dtype(), e.shape())));
        return new CheckpointInfo(
                file,
                metadata,
                version,
                m.get(CheckpointMetadata.CREATED_BY),
                optimizerSteps,
                emaUpdates,
                m,
                Collections.unmodifiableMap(tensors));
    }

    private static String required(Path file, Map<String, String> m, String key) {
        String v = m.get(key);
        if (v == null) {
            throw new CheckpointException(file, "corrupt metadata: the '" + key + "' entry is missing");
        }
        return v;
    }

    private static long nonNegative(Path file, String key, String text) {
        try {
            long v = Long.parseLong(text);
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below with the others
        }
        throw corrupt(file, key, text, "a non-negative integer");
    }

    private static CheckpointException corrupt(Path file, String key, String value, String expected) {
        return new CheckpointException(
                file, "corrupt metadata: '" + key + "' is '" + value + "', expected " + expected);
    }

    /**
     * The file it was read from.
     *
     * @return the checkpoint's path, as given to the reader
     */
    public Path file() {
        return file;
    }

    /**
     * The model spec and configuration, dtype, step, random state and extra entries.
     *
     * @return the parsed and validated metadata
     */
    public CheckpointMetadata metadata() {
        return metadata;
    }

    /**
     * The checkpoint format version the file was written in.
     *
     * @return the version, from 1 to {@link Checkpoints#FORMAT_VERSION}
     */
    public int formatVersion() {
        return formatVersion;
    }

    /**
     * The {@code created_by} entry ({@code flows4j <version>}), or null if the writer left it out.
     *
     * @return the writer's name and version, or null
     */
    public String createdBy() {
        return createdBy;
    }

    /**
     * The optimizer's step count, if the checkpoint holds optimizer state.
     *
     * @return the step count, or empty for a checkpoint without optimizer state
     */
    public OptionalLong optimizerSteps() {
        return optimizerSteps;
    }

    /**
     * How many updates the saved moving average of the weights had made, if the checkpoint holds
     * one ({@code ema.<name>} tensors, format version 2 on).
     *
     * @return the number of updates, or empty for a checkpoint without averaged weights
     */
    public OptionalLong emaUpdates() {
        return emaUpdates;
    }

    /**
     * Whether the checkpoint holds a moving average of the weights ({@code ema.<name>}).
     *
     * @return {@code true} if {@link #emaUpdates()} is present
     */
    public boolean hasAverages() {
        return emaUpdates.isPresent();
    }

    /**
     * The {@code __metadata__} map exactly as stored, in file order.
     *
     * @return the raw string entries, reserved keys included; unmodifiable
     */
    public Map<String, String> rawMetadata() {
        return rawMetadata;
    }

    /**
     * Every stored tensor in header order: model slots as {@code model.<name>}, optimizer
     * state as {@code optim.<name>}, averaged weights as {@code ema.<name>}.
     *
     * @return the name, dtype and shape of each stored tensor by full name
     */
    public Map<String, TensorSpec> tensors() {
        return tensors;
    }

    @Override
    public String toString() {
        return "CheckpointInfo[" + file + ", " + metadata + ", " + tensors.size() + " tensors]";
    }
}
