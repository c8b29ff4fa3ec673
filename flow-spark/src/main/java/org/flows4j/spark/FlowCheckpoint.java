package org.flows4j.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.flows4j.layers.io.CheckpointInfo;
import org.flows4j.zoo.train.ZooCheckpoints;

/**
 * A zoo checkpoint as bytes (the library's safetensors file, unchanged), named by its SHA-256:
 * what the driver broadcasts once and what {@link FlowDensityModel} saves. Executors cache
 * the models they build from it by that name, so a checkpoint broadcast twice is still built
 * once per executor JVM.
 */
public final class FlowCheckpoint implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Per JVM: the local file holding the bytes of each checkpoint seen, by key. */
    private static final Map<String, Path> LOCAL = new ConcurrentHashMap<>();

    /** The safetensors file, byte for byte as the library wrote it; never handed out uncopied. */
    private final byte[] bytes;
    /** The SHA-256 of {@link #bytes}, in lower-case hex. */
    private final String key;

    private FlowCheckpoint(byte[] bytes) {
        this.bytes = bytes;
        this.key = sha256(bytes);
    }

    /**
     * The checkpoint in {@code bytes} (a safetensors file as the library writes it); copies them.
     *
     * @param bytes the whole checkpoint file; not changed, and free to be changed after the call
     * @return the checkpoint, named by the SHA-256 of the bytes
     * @throws IllegalArgumentException if {@code bytes} is null or too short to be a safetensors file
     */
    public static FlowCheckpoint of(byte[] bytes) {
        if (bytes == null || bytes.length < 8) {
            throw new IllegalArgumentException(
                    "a checkpoint is a safetensors file; got " + (bytes == null ? "null" : bytes.length + " bytes"));
        }
        return new FlowCheckpoint(bytes.clone());
    }

    /**
     * The checkpoint in a local file.
     *
     * @param file a checkpoint the library wrote ({@code flows4j train}, {@link DataParallelTrainer});
     *        read whole into memory
     * @return the checkpoint, named by the SHA-256 of the file's bytes
     * @throws UncheckedIOException if the file cannot be read
     */
    public static FlowCheckpoint read(Path file) {
        try {
            return new FlowCheckpoint(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * A copy of the bytes.
     *
     * @return a new array with the whole checkpoint file, which the caller may change
     */
    public byte[] bytes() {
        return bytes.clone();
    }

    /**
     * The size in bytes.
     *
     * @return the length of the checkpoint file in bytes
     */
    public int size() {
        return bytes.length;
    }

    /**
     * The SHA-256 of the bytes, in hex: the checkpoint's identity.
     *
     * @return 64 lower-case hex digits; equal bytes give equal keys
     */
    public String key() {
        return key;
    }

    /**
     * Writes the bytes to {@code file} (atomically: a temporary file, then a move).
     *
     * @param file the destination; its directories are created, and a file already there is replaced
     * @throws UncheckedIOException if the file cannot be written
     */
    public void write(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path tmp = Files.createTempFile(parent, ".flows4j-", ".tmp");
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * A local file with these bytes, written once per JVM (the library reads checkpoints from files).
     *
     * @return a temporary file, shared by every checkpoint with the same key in this JVM and deleted when
     *         the JVM exits; callers must not change or delete it
     * @throws UncheckedIOException if the file cannot be written
     */
    public Path localFile() {
        return LOCAL.computeIfAbsent(key, k -> {
            try {
                Path f = Files.createTempFile("flows4j-" + k.substring(0, 12) + "-", ".safetensors");
                f.toFile().deleteOnExit();
                Files.write(f, bytes);
                return f;
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "cannot write a local copy of checkpoint " + k + ": " + e.getMessage(), e);
            }
        });
    }

    /**
     * The checkpoint's header: model spec, configuration, step, training settings.
     *
     * @return the header as the library reads it from {@link #localFile()}
     */
    public CheckpointInfo info() {
        return ZooCheckpoints.info(localFile());
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    @Override
    public String toString() {
        return "FlowCheckpoint[" + key.substring(0, 12) + ", " + bytes.length + " bytes]";
    }
}
