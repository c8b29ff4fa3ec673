package org.flows4j.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built command end to end, each run a fresh JVM started by the real {@code ./flows4j}
 * launcher on the layout this module's package phase wrote: module resolution (the zoo
 * requires no backend; ALL-MODULE-PATH and ServiceLoader find cpu), the output rules, exit
 * statuses, training, resuming, evaluation, and Ctrl-C.
 */
@EnabledOnOs(value = {OS.LINUX, OS.MAC}, disabledReason = "the launcher is a bash script")
class LauncherEndToEndTest {

    private static final long TIMEOUT_SECONDS = 120;
    private static Path launcher;
    private static Path dist;

    /** What one run printed and returned. */
    record Run(int status, String out, String err) {
        List<String> errLines() {
            return err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        }
    }

    @BeforeAll
    static void locate() {
        launcher = Path.of(System.getProperty("flows4j.launcher", "../flows4j")).toAbsolutePath().normalize();
        dist = Path.of(System.getProperty("flows4j.dist", "target/flows4j")).toAbsolutePath().normalize();
        assertTrue(Files.isExecutable(launcher), "the launcher " + launcher + " is executable");
        assertTrue(Files.isDirectory(dist.resolve("lib")), "flow-dist laid out " + dist.resolve("lib"));
    }

    private static ProcessBuilder command(Path workDir, Path script, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(script.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        Map<String, String> env = pb.environment();
        // The JVM running this test, so the command runs on a known Java version.
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("FLOWS4J_HOME", dist.toString());
        env.remove("JAVA_OPTS");
        // Training runs on the reference backend: the native ones pay a large per-operation
        // overhead on a model this small, and their own suites test them.
        env.put("FLOWS4J_BACKEND", "cpu");
        return pb;
    }

    private static Run run(Path workDir, String... args) throws IOException, InterruptedException {
        return finish(command(workDir, launcher, args).start());
    }

    private static Run finish(Process p) throws IOException, InterruptedException {
        p.getOutputStream().close();
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out after " + TIMEOUT_SECONDS + " s; stderr so far unknown");
        }
        return new Run(p.exitValue(), out.join(), err.join());
    }

    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /** Stdout is exactly one line holding one JSON object. */
    private static String oneJsonObject(Run r) {
        List<String> lines = r.out().lines().toList();
        assertEquals(1, lines.size(), "one line on stdout: " + r.out() + "\nstderr: " + r.err());
        String json = lines.get(0);
        assertTrue(json.startsWith("{") && json.endsWith("}"), json);
        return json;
    }

    private static String field(String json, String key) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":(\"[^\"]*\"|[^,}\\]]+)").matcher(json);
        assertTrue(m.find(), "key " + key + " in " + json);
        String v = m.group(1);
        return v.startsWith("\"") ? v.substring(1, v.length() - 1) : v;
    }

    @Test
    void backends_are_found_on_the_module_path(@TempDir Path dir) throws Exception {
        ProcessBuilder pb = command(dir, launcher, "backends");
        pb.environment().remove("FLOWS4J_BACKEND");
        Run all = finish(pb.start());
        assertEquals(0, all.status(), all.err());
        assertTrue(all.out().lines().anyMatch(l -> l.matches("cpu\\s+10\\s+yes\\s.*")), all.out());
        assertEquals(1, all.out().lines().filter(l -> l.matches("\\S+\\s+\\d+\\s+yes\\s+\\*.*")).count(),
                "one available backend is the default: " + all.out());
        assertEquals(List.of(), all.errLines(), "nothing else on stderr");
        Run r = run(dir, "backends");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("cpu\\s+10\\s+yes\\s+\\*.*")),
                "FLOWS4J_BACKEND=cpu makes cpu the default: " + r.out());
        Run json = run(dir, "backends", "--json");
        assertEquals(0, json.status(), json.err());
        assertEquals("cpu", field(oneJsonObject(json), "backend"));
    }

    @Test
    void quickstart_writes_three_files_and_prints_the_nll(@TempDir Path dir) throws Exception {
        Run r = run(dir, "quickstart", "--steps", "50", "--out", "tmp");
        assertEquals(0, r.status(), r.err());
        Matcher nll = Pattern.compile("held-out NLL: (-?[0-9.]+) nats").matcher(r.out());
        assertTrue(nll.find(), r.out());
        assertTrue(Double.isFinite(Double.parseDouble(nll.group(1))));
        for (String f : new String[] {"density.png", "samples.png", "last.safetensors"}) {
            Path p = dir.resolve("tmp").resolve(f);
            assertTrue(Files.isRegularFile(p) && Files.size(p) > 1000, p + " written");
        }
        assertTrue(r.err().contains("step 50/50"), "progress on stderr: " + r.err());
    }

    @Test
    void train_resume_and_eval_through_the_launcher(@TempDir Path dir) throws Exception {
        Run first = run(dir, "train", "--model", "realnvp:2d", "--data", "two-moons", "--steps", "30", "--out", "tmp",
                "--json", "--no-plots");
        assertEquals(0, first.status(), first.err());
        String a = oneJsonObject(first);
        assertEquals("cpu", field(a, "backend"));
        assertEquals("realnvp:2d", field(a, "model"));
        assertEquals("float32", field(a, "dtype"));
        assertEquals("30", field(a, "steps"));
        Double.parseDouble(field(a, "nll_nats"));

        Run resumed = run(dir, "train", "--resume", "tmp/last.safetensors", "--steps", "45", "--json", "--no-plots");
        assertEquals(0, resumed.status(), resumed.err());
        String b = oneJsonObject(resumed);
        assertEquals("30", field(b, "resumed_from_step"));
        assertEquals("45", field(b, "steps"));
        assertTrue(resumed.err().contains("resuming from") && resumed.err().contains("at step 30"), resumed.err());

        Run eval = run(dir, "eval", "--checkpoint", "tmp/last.safetensors", "--json");
        assertEquals(0, eval.status(), eval.err());
        String e = oneJsonObject(eval);
        assertTrue(Integer.parseInt(field(e, "n")) > 0, e);
        assertTrue(Double.isFinite(Double.parseDouble(field(e, "nll_nats"))), e);
        assertEquals("45", field(e, "step"));
        assertEquals("two-moons", field(e, "data"));
    }

    @Test
    void errors_exit_2_for_usage_and_1_for_failures_with_one_line(@TempDir Path dir) throws Exception {
        Run bad = run(dir, "train", "--frobnicate");
        assertEquals(2, bad.status(), bad.err());
        assertEquals(1, bad.errLines().size(), bad.err());
        assertTrue(bad.errLines().get(0).startsWith("flows4j: ") && bad.err().contains("--help"), bad.err());
        assertEquals("", bad.out());

        Run model = run(dir, "train", "--model", "maf:big", "--data", "two-moons");
        assertEquals(2, model.status(), model.err());
        assertEquals(1, model.errLines().size(), model.err());

        Run missing = run(dir, "eval", "--checkpoint", "nope.safetensors", "--json");
        assertEquals(1, missing.status(), missing.err());
        assertEquals(1, missing.errLines().size(), missing.err());
        assertEquals("1", field(oneJsonObject(missing), "exit_status"));
    }

    @Test
    void ctrl_c_writes_the_checkpoint_and_resume_continues_from_it(@TempDir Path dir) throws Exception {
        Process p = command(dir, launcher, "train", "--model", "realnvp:2d", "--data", "two-moons", "--steps", "1000000",
                "--out", "tmp", "--no-plots").start();
        p.getOutputStream().close();
        CompletableFuture<String> out = drain(p.getInputStream());
        StringBuilder err = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                err.append(line).append('\n');
                if (line.contains("step 1/1000000")) {
                    break; // training has started: the first progress line comes after step 1
                }
            }
            Thread.sleep(500);
            // SIGTERM, on which the JVM runs its shutdown hooks as on Ctrl-C (SIGINT, which a
            // process started in the background may inherit as ignored). Through the handle:
            // Process.destroy() would also close the pipes still to be read.
            p.toHandle().destroy();
            assertTrue(p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS), "stopped within the bound");
            while ((line = r.readLine()) != null) {
                err.append(line).append('\n');
            }
        }
        assertTrue(err.toString().contains("stopping after this step"), err.toString());
        assertTrue(out.join().contains("stopped early"), "the report is printed before exit: " + out.join());
        Path checkpoint = dir.resolve("tmp/last.safetensors");
        assertTrue(Files.isRegularFile(checkpoint), "the checkpoint is written on stop");
        try (var files = Files.list(checkpoint.getParent())) {
            assertEquals(1, files.count(), "no temporary file left");
        }

        Run eval = run(dir, "eval", "--checkpoint", "tmp/last.safetensors", "--json");
        assertEquals(0, eval.status(), eval.err());
        long step = Long.parseLong(field(oneJsonObject(eval), "step"));
        assertTrue(step >= 1, "stopped after at least one step: " + step);
        Run resumed = run(dir, "train", "--resume", "tmp/last.safetensors", "--steps", Long.toString(step + 3),
                "--json", "--no-plots");
        assertEquals(0, resumed.status(), resumed.err());
        assertEquals(Long.toString(step), field(oneJsonObject(resumed), "resumed_from_step"));
    }

    @Test
    void the_launcher_says_to_build_first_when_there_is_no_layout(@TempDir Path dir) throws Exception {
        Path copy = Files.copy(launcher, dir.resolve("flows4j"));
        copy.toFile().setExecutable(true);
        ProcessBuilder pb = command(dir, copy, "backends");
        pb.environment().remove("FLOWS4J_HOME");
        Run r = finish(pb.start());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("build first: mvn -q install -DskipTests"), r.err());
        assertFalse(r.out().contains("cpu"));
    }
}
