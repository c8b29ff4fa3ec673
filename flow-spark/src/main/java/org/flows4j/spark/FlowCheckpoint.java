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

    private final byte[] bytes;
    private final String key;

    private FlowCheckpoint(byte[] bytes) {
        this.bytes = bytes;
        this.key = sha256(bytes);
    }

    /** The checkpoint in {@code bytes} (a safetensors file as the library writes it); copies them. */
    public static FlowCheckpoint of(byte[] bytes) {
        if (bytes == null || bytes.length < 8) {
            throw new IllegalArgumentException("a checkpoint is a safetensors file; got "
                    + (bytes == null ? "null" : bytes.length + " bytes"));
        }
        return new FlowCheckpoint(bytes.clone());
    }

    /** The checkpoint in a local file. */
    public static FlowCheckpoint read(Path file) {
        try {
            return new FlowCheckpoint(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /** A copy of the bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The size in bytes. */
    public int size() {
        return bytes.length;
    }

    /** The SHA-256 of the bytes, in hex: the checkpoint's identity. */
    public String key() {
        return key;
    }

    /** Writes the bytes to {@code file} (atomically: a temporary file, then a move). */
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

    /** A local file with these bytes, written once per JVM (the library reads checkpoints from files). */
    public Path localFile() {
        return LOCAL.computeIfAbsent(key, k -> {
            try {
                Path f = Files.createTempFile("flows4j-" + k.substring(0, 12) + "-", ".safetensors");
                f.toFile().deleteOnExit();
                Files.write(f, bytes);
                return f;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write a local copy of checkpoint " + k + ": " + e.getMessage(), e);
            }
        });
    }

    /** The checkpoint's header: model spec, configuration, step, training settings. */
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
