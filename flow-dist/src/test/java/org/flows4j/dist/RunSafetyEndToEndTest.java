package org.flows4j.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 through the real launcher: run directories that protect their checkpoints (a lock
 * naming the holder, no silent replacement, stale temporary files removed), memory bounded by
 * flags with a one-line error when it runs out, NaN never reported as success, and exit
 * statuses and messages a user can act on.
 */
@EnabledOnOs(
        value = {OS.LINUX, OS.MAC},
        disabledReason = "the launcher is a bash script")
class RunSafetyEndToEndTest {

    private static Launcher flows4j;

    @BeforeAll
    static void locate() {
        flows4j = new Launcher("cpu");
    }

    private static Launcher.Run run(Path dir, String... args) throws IOException, InterruptedException {
        return flows4j.run(dir, args);
    }

    /** Exit {@code status}, one line on stderr starting {@code flows4j: } that holds every fragment. */
    private static String assertOneLineError(int status, Launcher.Run r, String... fragments) {
        assertEquals(status, r.status(), r.err());
        assertEquals(1, r.errLines().size(), r.err());
        String line = r.errLines().get(0);
        assertTrue(line.startsWith("flows4j: "), line);
        for (String f : fragments) {
            assertTrue(line.contains(f), "'" + f + "' in: " + line);
        }
        assertFalse(
                line.matches(".*\\b(java|javax)\\.[a-z]+\\.\\w+(Exception|Error)\\b.*") || line.contains("Exception:"),
                "no Java class name: " + line);
        return line;
    }

    private static Launcher.Run train(Path dir, String out, String... more) throws IOException, InterruptedException {
        String[] base = {
            "train",
            "--model",
            "realnvp:2d",
            "--data",
            "two-moons",
            "--steps",
            "5",
            "--batch",
            "32",
            "--out",
            out,
            "--no-plots"
        };
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return run(dir, all);
    }

    /** The launcher training realnvp:2d on two moons for {@code steps} into {@code dir/run}, not started. */
    private static ProcessBuilder trainRun(Path dir, String steps) {
        return flows4j.command(
                dir,
                flows4j.script(),
                "train",
                "--model",
                "realnvp:2d",
                "--data",
                "two-moons",
                "--steps",
                steps,
                "--out",
                "run",
                "--no-plots");
    }

    @Test
    void a_second_writer_is_refused_naming_the_holder_and_sigterm_exits_143(@TempDir Path dir) throws Exception {
        Process p = trainRun(dir, "1000000").start();
        p.getOutputStream().close();
        CompletableFuture<String> stdout = Launcher.drain(p.getInputStream());
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null && !line.contains("step 1/1000000")) {
                // training has started once the first progress line is out
            }
            Launcher.Run second = train(dir, "run", "--force");
            assertOneLineError(1, second, "run is in use by another training run (process " + p.pid() + ")");
            Launcher.Run resume = run(dir, "train", "--resume", "run/last.safetensors", "--steps", "10");
            assertOneLineError(1, resume, "process " + p.pid());
            Launcher.Run quick = run(dir, "quickstart", "--steps", "2", "--out", "run");
            assertOneLineError(1, quick, "process " + p.pid());
            p.toHandle().destroy(); // SIGTERM
            assertTrue(p.waitFor(Launcher.TIMEOUT_SECONDS, TimeUnit.SECONDS));
            // The launcher execs java, so both pipes have ended with it; joining here, before the
            // reader closes stderr, reports a failed read instead of dropping it.
            Launcher.drain(p.getErrorStream()).join();
            stdout.join();
        }
        assertEquals(143, p.exitValue(), "SIGTERM exits 128 + 15 once the checkpoint is written");
        // The lock died with its holder: the directory can be resumed now.
        Launcher.Run eval = run(dir, "eval", "--checkpoint", "run/last.safetensors", "--json");
        assertEquals(0, eval.status(), eval.err());
        long step = Long.parseLong(Launcher.field(Launcher.oneJsonObject(eval), "step"));
        Launcher.Run resumed = run(
                dir,
                "train",
                "--resume",
                "run/last.safetensors",
                "--steps",
                Long.toString(step + 2),
                "--no-plots",
                "--json");
        assertEquals(0, resumed.status(), resumed.err());
    }

    @Test
    void a_fresh_run_never_replaces_a_checkpoint_without_force(@TempDir Path dir) throws Exception {
        assertEquals(0, train(dir, "run").status());
        byte[] first = Files.readAllBytes(dir.resolve("run/last.safetensors"));
        assertOneLineError(
                2,
                train(dir, "run", "--seed", "3"),
                "run/last.safetensors already holds a checkpoint",
                "--resume",
                "--force");
        assertEquals(
                java.util.Arrays.hashCode(first),
                java.util.Arrays.hashCode(Files.readAllBytes(dir.resolve("run/last.safetensors"))),
                "the checkpoint is unchanged");
        assertOneLineError(
                2, run(dir, "quickstart", "--steps", "2", "--out", "run"), "quickstart did not write", "--force");
        assertEquals(0, train(dir, "run", "--seed", "3", "--force").status(), "--force replaces it");

        // quickstart may replace its own output, run after run
        assertEquals(0, run(dir, "quickstart", "--steps", "2", "--out", "quick").status());
        Launcher.Run again = run(dir, "quickstart", "--steps", "2", "--out", "quick");
        assertEquals(0, again.status(), again.err());
        // but train still refuses to replace a quickstart's checkpoint without --force
        assertOneLineError(2, train(dir, "quick"), "already holds a checkpoint");
    }

    @Test
    void resume_refuses_other_data_and_removes_stale_temporary_files(@TempDir Path dir) throws Exception {
        assertEquals(0, train(dir, "run").status());
        assertOneLineError(
                2,
                run(dir, "train", "--resume", "run/last.safetensors", "-d", "8gaussians", "--steps", "9"),
                "--data 8gaussians differs from the checkpoint's two-moons");
        Path stale = dir.resolve("run/.last.safetensors.5eed0fdeadbeef.tmp");
        Files.write(stale, new byte[4096]);
        Launcher.Run resumed = run(dir, "train", "--resume", "run/last.safetensors", "--steps", "9", "--no-plots");
        assertEquals(0, resumed.status(), resumed.err());
        assertFalse(Files.exists(stale), "the killed writer's temporary file is removed");
        assertTrue(resumed.err().contains(stale.getFileName() + ", left by a writer that was killed"), resumed.err());
    }

    @Test
    void a_batch_larger_than_the_training_set_is_a_usage_error(@TempDir Path dir) throws Exception {
        assertOneLineError(
                2,
                run(
                        dir,
                        "train",
                        "-m",
                        "realnvp:2d",
                        "-d",
                        "two-moons",
                        "--limit",
                        "10",
                        "--batch",
                        "64",
                        "--steps",
                        "2",
                        "--out",
                        "run"),
                "--batch 64 is larger than the training split",
                "10 samples");
        assertOneLineError(
                2,
                run(
                        dir,
                        "train",
                        "-m",
                        "realnvp:2d",
                        "-d",
                        "two-moons",
                        "--batch",
                        "2147483647",
                        "--steps",
                        "2",
                        "--out",
                        "run"),
                "--batch 2147483647 is larger than the training split");
    }

    @Test
    void running_out_of_memory_is_one_line_and_one_json_object(@TempDir Path dir) throws Exception {
        ProcessBuilder pb = flows4j.command(
                dir,
                flows4j.script(),
                "train",
                "-m",
                "realnvp:2d",
                "-d",
                "two-moons",
                "-O",
                "width=20000",
                "--steps",
                "2",
                "--out",
                "run",
                "--json");
        pb.environment().put("JAVA_OPTS", "-Xmx96m");
        Launcher.Run r = Launcher.finish(pb.start());
        assertOneLineError(1, r, "flows4j train ran out of memory", "--batch", "JAVA_OPTS=-Xmx");
        assertEquals("1", Launcher.field(Launcher.oneJsonObject(r), "exit_status"));
    }

    @Test
    void nan_weights_fail_eval_and_sample_and_the_picture_is_still_written(@TempDir Path dir) throws Exception {
        assertEquals(0, train(dir, "run").status());
        Path ckpt = dir.resolve("run/last.safetensors");
        fillDataWithNaN(ckpt);
        Launcher.Run eval = run(dir, "eval", "--checkpoint", "run/last.safetensors", "--json");
        assertOneLineError(1, eval, "is NaN", "non-finite values in its weights: ");
        assertEquals("1", Launcher.field(Launcher.oneJsonObject(eval), "exit_status"));
        Launcher.Run sample = run(dir, "sample", "--checkpoint", "run/last.safetensors", "--out", "s.png");
        assertOneLineError(1, sample, "sampled values are NaN", "s.png");
        assertTrue(Files.isRegularFile(dir.resolve("s.png")), "the picture is written so the user can see it");
    }

    /** Overwrites every tensor byte of a float32 checkpoint with NaN, keeping the header. */
    private static void fillDataWithNaN(Path file) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            byte[] len = new byte[8];
            f.readFully(len);
            long n = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
            long start = 8 + n;
            ByteBuffer nan =
                    ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(Float.NaN);
            f.seek(start);
            for (long at = start; at + 4 <= f.length(); at += 4) {
                f.write(nan.array());
            }
        }
    }

    @Test
    void usage_errors_exit_2_and_say_what_is_wrong(@TempDir Path dir) throws Exception {
        assertOneLineError(
                2,
                run(dir, "train", "-m", "realnvp:2d", "-d", "two-moons", "--lr", "Infinity", "--out", "r"),
                "--lr must be finite");
        assertOneLineError(2, run(dir, "train", "-m", "realnvp:2d", "-d", "csv:", "--out", "r"), "csv needs a file");
        assertOneLineError(
                2,
                run(dir, "train", "-m", "glow:small", "-d", "mnist", "--out", "r"),
                "needs a data directory (--data-dir)");
        assertOneLineError(
                2,
                run(dir, "train", "-m", "realnvp:2d", "-d", "two-moons", "--dtype", "float16", "--out", "r"),
                "unknown dtype 'float16'");
        assertOneLineError(2, run(dir, "backends", "--backend", ""), "--backend needs a name");
        assertOneLineError(
                2,
                run(dir, "train", "-m", "realnvp:2d", "-d", "two-moons", "--data-dir", "/tmp", "--out", "r"),
                "does not apply to 'two-moons'");
        assertOneLineError(
                2, run(dir, "quickstart", "--threads", "100000", "--out", "r"), "--threads 100000 is more than");
        Files.write(dir.resolve("binary.csv"), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, (byte) 0x80, 10});
        assertOneLineError(
                1, run(dir, "train", "-m", "realnvp:2d", "-d", "csv:binary.csv", "--out", "r"), "is not UTF-8 text");
        Files.createDirectories(dir.resolve("adir"));
        assertOneLineError(1, run(dir, "eval", "--checkpoint", "adir"), "adir: it is a directory");
        assertOneLineError(1, run(dir, "sample", "--checkpoint", "adir"), "adir: it is a directory");
        assertOneLineError(1, run(dir, "eval", "--checkpoint", "/dev/null"), "not a regular file");
    }

    @Test
    void a_checkpoint_on_the_wrong_data_and_an_unwritable_picture_say_what_is_wrong(@TempDir Path dir)
            throws Exception {
        assertEquals(0, train(dir, "run").status());
        Path idx = Launcher.tinyIdx(dir.resolve("idx"));
        assertOneLineError(
                2,
                run(
                        dir,
                        "eval",
                        "--checkpoint",
                        "run/last.safetensors",
                        "--data",
                        "mnist",
                        "--data-dir",
                        idx.toString()),
                "built for samples of shape [2] but mnist has samples of shape [1, 28, 28]");
        assertOneLineError(
                1,
                run(dir, "sample", "--checkpoint", "run/last.safetensors", "-o", "/proc/x.png"),
                "cannot write /proc/x.png",
                "no such file or directory");
    }

    @Test
    void pictures_are_bounded_by_a_documented_cap(@TempDir Path dir) throws Exception {
        assertEquals(0, train(dir, "run").status());
        assertOneLineError(
                2, run(dir, "sample", "--checkpoint", "run/last.safetensors", "-n", "1000000"), "at most 100000");
    }

    @Test
    void a_bad_value_of_a_cpu_kernel_property_stops_the_backend_naming_the_property(@TempDir Path dir)
            throws Exception {
        String[][] cases = {
            {"-Dflows4j.cpu.conv.registers=24", "flows4j.cpu.conv.registers", "auto, 16 or 32, not '24'"},
            {"-Dflows4j.cpu.conv.pointwise.limit=lots", "flows4j.cpu.conv.pointwise.limit", "not 'lots'"}
        };
        for (String[] c : cases) {
            ProcessBuilder pb = trainRun(dir, "1");
            pb.environment().put("JAVA_OPTS", c[0]);
            assertOneLineError(1, Launcher.finish(pb.start()), "backend 'cpu'", c[1], c[2]);
            assertFalse(Files.exists(dir.resolve("run/last.safetensors")), "nothing was trained");
        }
    }
}
