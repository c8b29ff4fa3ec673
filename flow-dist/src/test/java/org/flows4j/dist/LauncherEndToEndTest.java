package org.flows4j.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
 * statuses, training, resuming, evaluation, Ctrl-C, and the picture commands.
 */
@EnabledOnOs(
        value = {OS.LINUX, OS.MAC},
        disabledReason = "the launcher is a bash script")
class LauncherEndToEndTest {

    // Training runs on the reference backend: the native ones pay a large per-operation overhead
    // on models this small, and EveryBackendEndToEndTest runs each command on each of them.
    private static Launcher flows4j;
    private static Path launcher;

    @BeforeAll
    static void locate() {
        flows4j = new Launcher("cpu");
        launcher = flows4j.script();
    }

    private static ProcessBuilder command(Path workDir, Path script, String... args) {
        return flows4j.command(workDir, script, args);
    }

    private static Launcher.Run run(Path workDir, String... args) throws IOException, InterruptedException {
        return flows4j.run(workDir, args);
    }

    private static Launcher.Run finish(Process p) throws IOException, InterruptedException {
        return Launcher.finish(p);
    }

    private static String oneJsonObject(Launcher.Run r) {
        return Launcher.oneJsonObject(r);
    }

    private static String field(String json, String key) {
        return Launcher.field(json, key);
    }

    @Test
    void backends_are_found_on_the_module_path(@TempDir Path dir) throws Exception {
        ProcessBuilder pb = command(dir, launcher, "backends");
        pb.environment().remove("FLOWS4J_BACKEND");
        Launcher.Run all = finish(pb.start());
        assertEquals(0, all.status(), all.err());
        assertTrue(all.out().lines().anyMatch(l -> l.matches("cpu\\s+10\\s+yes\\s.*")), all.out());
        assertEquals(
                1,
                all.out()
                        .lines()
                        .filter(l -> l.matches("\\S+\\s+\\d+\\s+yes\\s+\\*.*"))
                        .count(),
                "one available backend is the default: " + all.out());
        assertEquals(List.of(), all.errLines(), "nothing else on stderr");
        Launcher.Run r = run(dir, "backends");
        assertEquals(0, r.status(), r.err());
        assertTrue(
                r.out().lines().anyMatch(l -> l.matches("cpu\\s+10\\s+yes\\s+\\*.*")),
                "FLOWS4J_BACKEND=cpu makes cpu the default: " + r.out());
        Launcher.Run json = run(dir, "backends", "--json");
        assertEquals(0, json.status(), json.err());
        assertEquals("cpu", field(oneJsonObject(json), "backend"));
    }

    @Test
    void quickstart_writes_three_files_and_prints_the_nll(@TempDir Path dir) throws Exception {
        Launcher.Run r = run(dir, "quickstart", "--steps", "50", "--out", "tmp");
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
        Launcher.Run first = run(
                dir,
                "train",
                "--model",
                "realnvp:2d",
                "--data",
                "two-moons",
                "--steps",
                "30",
                "--out",
                "tmp",
                "--json",
                "--no-plots");
        assertEquals(0, first.status(), first.err());
        String a = oneJsonObject(first);
        assertEquals("cpu", field(a, "backend"));
        assertEquals("realnvp:2d", field(a, "model"));
        assertEquals("float32", field(a, "dtype"));
        assertEquals("30", field(a, "steps"));
        Double.parseDouble(field(a, "nll_nats"));

        Launcher.Run resumed =
                run(dir, "train", "--resume", "tmp/last.safetensors", "--steps", "45", "--json", "--no-plots");
        assertEquals(0, resumed.status(), resumed.err());
        String b = oneJsonObject(resumed);
        assertEquals("30", field(b, "resumed_from_step"));
        assertEquals("45", field(b, "steps"));
        assertTrue(resumed.err().contains("resuming from") && resumed.err().contains("at step 30"), resumed.err());

        Launcher.Run eval = run(dir, "eval", "--checkpoint", "tmp/last.safetensors", "--json");
        assertEquals(0, eval.status(), eval.err());
        String e = oneJsonObject(eval);
        assertTrue(Integer.parseInt(field(e, "n")) > 0, e);
        assertTrue(Double.isFinite(Double.parseDouble(field(e, "nll_nats"))), e);
        assertEquals("45", field(e, "step"));
        assertEquals("two-moons", field(e, "data"));
    }

    @Test
    void errors_exit_2_for_usage_and_1_for_failures_with_one_line(@TempDir Path dir) throws Exception {
        Launcher.Run bad = run(dir, "train", "--frobnicate");
        assertEquals(2, bad.status(), bad.err());
        assertEquals(1, bad.errLines().size(), bad.err());
        assertTrue(bad.errLines().get(0).startsWith("flows4j: ") && bad.err().contains("--help"), bad.err());
        assertEquals("", bad.out());

        Launcher.Run model = run(dir, "train", "--model", "maf:big", "--data", "two-moons");
        assertEquals(2, model.status(), model.err());
        assertEquals(1, model.errLines().size(), model.err());

        Launcher.Run missing = run(dir, "eval", "--checkpoint", "nope.safetensors", "--json");
        assertEquals(1, missing.status(), missing.err());
        assertEquals(1, missing.errLines().size(), missing.err());
        assertEquals("1", field(oneJsonObject(missing), "exit_status"));
    }

    @Test
    void ctrl_c_writes_the_checkpoint_and_resume_continues_from_it(@TempDir Path dir) throws Exception {
        Process p = command(
                        dir,
                        launcher,
                        "train",
                        "--model",
                        "realnvp:2d",
                        "--data",
                        "two-moons",
                        "--steps",
                        "1000000",
                        "--out",
                        "tmp",
                        "--no-plots")
                .start();
        p.getOutputStream().close();
        CompletableFuture<String> out = Launcher.drain(p.getInputStream());
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
            assertTrue(p.waitFor(Launcher.TIMEOUT_SECONDS, TimeUnit.SECONDS), "stopped within the bound");
            while ((line = r.readLine()) != null) {
                err.append(line).append('\n');
            }
        }
        assertTrue(err.toString().contains("stopping after this step"), err.toString());
        assertTrue(out.join().contains("stopped early"), "the report is printed before exit: " + out.join());
        Path checkpoint = dir.resolve("tmp/last.safetensors");
        assertTrue(Files.isRegularFile(checkpoint), "the checkpoint is written on stop");
        try (var files = Files.list(checkpoint.getParent())) {
            // the run directory's lock file stays (its lock died with the process)
            assertEquals(
                    1,
                    files.filter(f -> !f.getFileName().toString().equals(".flows4j.lock"))
                            .count(),
                    "no temporary file left");
        }

        Launcher.Run eval = run(dir, "eval", "--checkpoint", "tmp/last.safetensors", "--json");
        assertEquals(0, eval.status(), eval.err());
        long step = Long.parseLong(field(oneJsonObject(eval), "step"));
        assertTrue(step >= 1, "stopped after at least one step: " + step);
        Launcher.Run resumed = run(
                dir,
                "train",
                "--resume",
                "tmp/last.safetensors",
                "--steps",
                Long.toString(step + 3),
                "--json",
                "--no-plots");
        assertEquals(0, resumed.status(), resumed.err());
        assertEquals(Long.toString(step), field(oneJsonObject(resumed), "resumed_from_step"));
    }

    @Test
    void picture_commands_run_on_a_tiny_image_model(@TempDir Path dir) throws Exception {
        String data = Launcher.tinyIdx(dir.resolve("idx")).toString();
        Launcher.Run train = run(
                dir,
                "train",
                "--model",
                "glow:small",
                "-O",
                "steps=1",
                "-O",
                "hidden=8",
                "--data",
                "mnist",
                "--data-dir",
                data,
                "--steps",
                "4",
                "--batch",
                "16",
                "--out",
                "run",
                "--json");
        assertEquals(0, train.status(), train.err());
        assertTrue(Files.size(dir.resolve("run/loss.png")) > 1000, "train writes loss.png beside the checkpoint");
        String ckpt = "run/last.safetensors";

        Launcher.Run sample = run(
                dir,
                "sample",
                "--checkpoint",
                ckpt,
                "--temperatures",
                "0,0.7,1",
                "--n",
                "4",
                "--out",
                "pics/sample.png",
                "--json");
        assertEquals(0, sample.status(), sample.err());
        String s = oneJsonObject(sample);
        assertEquals("3", field(s, "rows"));
        assertEquals("4", field(s, "columns"));
        assertPng(dir.resolve("pics/sample.png"), s);

        Launcher.Run strip = run(
                dir,
                "interpolate",
                "--checkpoint",
                ckpt,
                "--data-dir",
                data,
                "--pairs",
                "2",
                "--steps",
                "4",
                "--out",
                "pics/strip.png",
                "--json");
        assertEquals(0, strip.status(), strip.err());
        String i = oneJsonObject(strip);
        assertEquals("true", field(i, "endpoints_reproduced"));
        assertPng(dir.resolve("pics/strip.png"), i);

        Launcher.Run inpaint = run(
                dir,
                "inpaint",
                "--checkpoint",
                ckpt,
                "--data-dir",
                data,
                "--mask",
                "bottom",
                "--iterations",
                "10",
                "--n",
                "2",
                "--out",
                "pics/inpaint.png",
                "--json");
        assertEquals(0, inpaint.status(), inpaint.err());
        String p = oneJsonObject(inpaint);
        assertEquals("0", field(p, "known_pixels_changed"));
        assertTrue(
                Double.parseDouble(field(p, "mean_log_p_after")) > Double.parseDouble(field(p, "mean_log_p_before")),
                p);
        assertPng(dir.resolve("pics/inpaint.png"), p);

        Launcher.Run manip = run(
                dir,
                "manipulate",
                "--checkpoint",
                ckpt,
                "--data-dir",
                data,
                "--from-label",
                "0",
                "--to-label",
                "1",
                "--alphas",
                "-1,0,1",
                "--n",
                "2",
                "--out",
                "pics/manip.png",
                "--json");
        assertEquals(0, manip.status(), manip.err());
        assertPng(dir.resolve("pics/manip.png"), oneJsonObject(manip));

        Launcher.Run human = run(dir, "interpolate", "--checkpoint", ckpt, "--data-dir", data, "--pairs", "1");
        assertEquals(0, human.status(), human.err());
        assertTrue(human.out().contains("endpoints reproduce the inputs"), human.out());
        assertTrue(Files.isRegularFile(dir.resolve("interpolate.png")), "the default --out is COMMAND.png");

        Launcher.Run mask = run(dir, "inpaint", "--checkpoint", ckpt, "--data-dir", data, "--mask", "diagonal");
        assertEquals(2, mask.status(), mask.err());
        assertEquals(1, mask.errLines().size(), mask.err());
        assertTrue(mask.err().contains("masks: top, bottom"), mask.err());
        Launcher.Run label = run(
                dir, "manipulate", "--checkpoint", ckpt, "--data-dir", data, "--from-label", "cat", "--to-label", "1");
        assertEquals(2, label.status(), label.err());
        assertEquals(1, label.errLines().size(), label.err());
        Launcher.Run missing = run(dir, "sample", "--checkpoint", "nope.safetensors");
        assertEquals(1, missing.status(), missing.err());
        assertEquals(1, missing.errLines().size(), missing.err());
    }

    /** The PNG exists, is readable, and has the size the report gives. */
    private static void assertPng(Path file, String json) throws IOException {
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(file.toFile());
        assertEquals(Integer.parseInt(field(json, "width")), img.getWidth(), file.toString());
        assertEquals(Integer.parseInt(field(json, "height")), img.getHeight(), file.toString());
    }

    @Test
    void the_launcher_says_to_build_first_when_there_is_no_layout(@TempDir Path dir) throws Exception {
        Path copy = Files.copy(launcher, dir.resolve("flows4j"));
        copy.toFile().setExecutable(true);
        ProcessBuilder pb = command(dir, copy, "backends");
        pb.environment().remove("FLOWS4J_HOME");
        Launcher.Run r = finish(pb.start());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("build first: mvn -q install -DskipTests"), r.err());
        assertFalse(r.out().contains("cpu"));
    }
}
