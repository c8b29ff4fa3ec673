package org.flows4j.backend.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.flows4j.api.backend.BackendException;
import org.flows4j.api.backend.BackendInfo;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.BackendProvider;
import org.flows4j.api.backend.Backends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without the {@code linux-x86_64} classifier jars (ND4J's, OpenBLAS's and JavaCPP's native
 * libraries) the classes are present, so the provider says it is available, but creating the
 * backend fails with a {@link BackendException} that says why, and discovery goes on. Run in a
 * separate JVM, since a JVM that failed to load ND4J cannot load it again.
 */
class NativeLoadFailureTest {

    @Test
    void a_missing_native_library_is_a_backend_exception_not_a_crash(@TempDir Path tmp) throws Exception {
        List<String> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator, -1)) {
            if (!e.isBlank() && !Path.of(e).getFileName().toString().contains("linux-x86_64")) {
                entries.add(e);
            }
        }
        Path out = tmp.resolve("out.txt");
        Path err = tmp.resolve("err.txt");
        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        String.join(File.pathSeparator, entries),
                        // a cache of its own: nothing extracted by other tests may stand in for the missing jars
                        "-Dorg.bytedeco.javacpp.cachedir=" + tmp.resolve("cache"),
                        Child.class.getName())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM did not finish");
        String stdout = Files.readString(out, StandardCharsets.UTF_8);
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        String all = "stdout:\n" + stdout + "\nstderr:\n" + stderr;
        assertEquals(0, p.exitValue(), all);
        assertTrue(stdout.contains("available true"), all);
        assertTrue(stdout.contains("refused nd4j: ND4J or its native library could not be loaded"), all);
        assertTrue(stdout.contains("listed nd4j"), all);
        assertFalse(stderr.contains(" INFO "), "ND4J logged below a warning:\n" + all);
    }

    /** The child JVM's program: the provider and discovery, with no native library to load. */
    public static final class Child {

        private Child() {}

        /** Prints what the parent checks. */
        public static void main(String[] args) {
            BackendProvider p = new Nd4jBackendProvider();
            System.out.println("available " + p.isAvailable());
            try {
                p.create(BackendOptions.defaults()).close();
                System.out.println("created");
            } catch (BackendException e) {
                System.out.println("refused " + e.getMessage());
            }
            System.out.println(
                    "listed " + Backends.list().stream().map(BackendInfo::name).collect(Collectors.joining(",")));
            try {
                Backends.create().close();
                System.out.println("created by discovery");
            } catch (BackendException e) {
                System.out.println("discovery refused: " + e.getMessage());
            }
        }
    }
}
