package org.flows4j.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs the real {@code ./flows4j} launcher on the layout this module built, in a fresh JVM per run. */
final class Launcher {

    /** The bound on one run. */
    static final long TIMEOUT_SECONDS = 180;

    private final Path script;
    private final Path dist;
    private final String backend;

    /** What one run printed and returned. */
    record Run(int status, String out, String err) {
        /** Stderr without the JVM's one-line notice that the Vector API incubator module is in use. */
        List<String> errLines() {
            return err.lines()
                    .filter(l -> !l.startsWith("WARNING: Using incubator modules"))
                    .toList();
        }
    }

    /**
     * The launcher at {@code ../flows4j} (or {@code -Dflows4j.launcher}) on the layout in
     * {@code target/flows4j} (or {@code -Dflows4j.dist}); {@code backend} is preselected through
     * FLOWS4J_BACKEND, or null to let discovery choose.
     */
    Launcher(String backend) {
        this.script = Path.of(System.getProperty("flows4j.launcher", "../flows4j"))
                .toAbsolutePath()
                .normalize();
        this.dist = Path.of(System.getProperty("flows4j.dist", "target/flows4j"))
                .toAbsolutePath()
                .normalize();
        this.backend = backend;
        assertTrue(Files.isExecutable(script), "the launcher " + script + " is executable");
        assertTrue(Files.isDirectory(dist.resolve("lib")), "flow-dist laid out " + dist.resolve("lib"));
    }

    /** The layout the launcher runs. */
    Path dist() {
        return dist;
    }

    /** The launcher script. */
    Path script() {
        return script;
    }

    /** A process running {@code script args...} in {@code workDir}, on the JVM running this test. */
    ProcessBuilder command(Path workDir, Path launcherScript, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(launcherScript.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        Map<String, String> env = pb.environment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("FLOWS4J_HOME", dist.toString());
        env.remove("JAVA_OPTS");
        if (backend == null) {
            env.remove("FLOWS4J_BACKEND");
        } else {
            env.put("FLOWS4J_BACKEND", backend);
        }
        return pb;
    }

    /** Runs {@code flows4j args...} in {@code workDir} and waits for it. */
    Run run(Path workDir, String... args) throws IOException, InterruptedException {
        return finish(command(workDir, script, args).start());
    }

    /** Waits for a started process (bounded) and collects what it printed. */
    static Run finish(Process p) throws IOException, InterruptedException {
        p.getOutputStream().close();
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out after " + TIMEOUT_SECONDS + " s");
        }
        return new Run(p.exitValue(), out.join(), err.join());
    }

    /** Reads a stream to its end on another thread. */
    static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /** Stdout is exactly one line holding one JSON object; returns it. */
    static String oneJsonObject(Run r) {
        List<String> lines = r.out().lines().toList();
        assertEquals(1, lines.size(), "one line on stdout: " + r.out() + "\nstderr: " + r.err());
        String json = lines.get(0);
        assertTrue(json.startsWith("{") && json.endsWith("}"), json);
        return json;
    }

    /** A top-level scalar field of a flat JSON object. */
    static String field(String json, String key) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":(\"[^\"]*\"|[^,}\\]]+)")
                .matcher(json);
        assertTrue(m.find(), "key " + key + " in " + json);
        String v = m.group(1);
        return v.startsWith("\"") ? v.substring(1, v.length() - 1) : v;
    }

    /**
     * A tiny MNIST-format set (three labelled classes of 28x28 bars), so the image commands run
     * without a downloaded data set: {@code --data mnist --data-dir DIR}.
     */
    static Path tinyIdx(Path dir) throws IOException {
        Files.createDirectories(dir);
        java.util.Random r = new java.util.Random(1);
        String[][] files = {
            {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"}, {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}
        };
        int[] counts = {60, 24};
        for (int f = 0; f < 2; f++) {
            int n = counts[f];
            java.nio.ByteBuffer img = java.nio.ByteBuffer.allocate(16 + n * 784);
            java.nio.ByteBuffer lab = java.nio.ByteBuffer.allocate(8 + n);
            img.putInt(0x803).putInt(n).putInt(28).putInt(28);
            lab.putInt(0x801).putInt(n);
            for (int i = 0; i < n; i++) {
                lab.put((byte) (i % 3));
                int column = 6 + 8 * (i % 3);
                for (int y = 0; y < 28; y++) {
                    for (int x = 0; x < 28; x++) {
                        boolean bar = Math.abs(x - column) <= 2 && y >= 4 && y < 24;
                        img.put((byte) (bar ? 180 + r.nextInt(60) : r.nextInt(24)));
                    }
                }
            }
            Files.write(dir.resolve(files[f][0]), img.array());
            Files.write(dir.resolve(files[f][1]), lab.array());
        }
        return dir;
    }
}
