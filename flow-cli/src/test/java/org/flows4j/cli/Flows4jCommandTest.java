package org.flows4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.flows4j.zoo.models.NiceFactory;
import org.flows4j.zoo.models.Recipe;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command in-process: parsing, exit status, the output rules, and short real runs on the cpu backend. */
class Flows4jCommandTest {

    /** What one run printed and returned. */
    record Run(int status, String out, String err) {
        Map<String, Object> json() {
            return MiniJson.object(out);
        }

        String[] errLines() {
            return err.isEmpty() ? new String[0] : err.split("\\R");
        }
    }

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = Flows4jCommand.run(args, o, e);
        }
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A usage or runtime error: the status, one line on stderr starting "flows4j: ", nothing on stdout. */
    private static Run assertOneLineError(int status, Run r) {
        assertEquals(status, r.status(), r.toString());
        assertEquals(1, r.errLines().length, "one line on stderr: " + r.err());
        assertTrue(r.err().startsWith("flows4j: "), r.err());
        assertEquals("", r.out(), "nothing on stdout");
        return r;
    }

    @Test
    void help_and_version_exit_zero_on_stdout() {
        Run help = run("--help");
        assertEquals(0, help.status());
        assertTrue(help.out().contains("quickstart") && help.out().contains("Exit status"), help.out());
        Run sub = run("train", "--help");
        assertEquals(0, sub.status());
        assertTrue(sub.out().contains("--resume") && sub.out().contains("--json"), sub.out());
        Run version = run("--version");
        assertEquals(0, version.status());
        assertTrue(version.out().startsWith("flows4j "), version.out());
    }

    @Test
    void usage_errors_exit_2_with_one_line_and_a_hint() {
        Run noCommand = assertOneLineError(2, run());
        assertTrue(noCommand.err().contains("missing a command"), noCommand.err());
        Run badFlag = assertOneLineError(2, run("train", "--frobnicate"));
        assertTrue(
                badFlag.err().contains("--frobnicate") && badFlag.err().contains("flows4j train --help"),
                badFlag.err());
        assertOneLineError(2, run("nonsense"));
        assertOneLineError(
                2, run("train", "--model", "realnvp:2d", "--data", "two-moons", "--steps", "1", "--epochs", "1"));
        assertOneLineError(2, run("train", "--model", "realnvp:2d", "--data", "two-moons", "--dtype", "float16"));
        assertOneLineError(2, run("eval"));
    }

    @Test
    void unknown_names_given_as_arguments_are_usage_errors(@TempDir Path dir) {
        String out = dir.toString();
        Run model = assertOneLineError(
                2, run("train", "--model", "ffjord", "--data", "two-moons", "--steps", "1", "--out", out));
        assertTrue(model.err().contains("unknown model 'ffjord'") && model.err().contains("realnvp"), model.err());
        Run preset =
                assertOneLineError(2, run("train", "--model", "realnvp:huge", "--data", "two-moons", "--out", out));
        assertTrue(preset.err().contains("2d"), "lists the presets: " + preset.err());
        Run data = assertOneLineError(2, run("train", "--model", "realnvp:2d", "--data", "three-moons", "--out", out));
        assertTrue(data.err().contains("two-moons"), "lists the data sets: " + data.err());
        Run backend = assertOneLineError(2, run("backends", "--backend", "tpu"));
        assertTrue(
                backend.err().contains("no backend named 'tpu'")
                        && backend.err().contains("cpu"),
                backend.err());
        assertOneLineError(2, run("quickstart", "--backend", "tpu", "--out", out));
        assertOneLineError(2, run("quickstart", "--threads", "0", "--out", out));
        assertFalse(Files.exists(dir.resolve("last.safetensors")), "nothing trained");
    }

    @Test
    void missing_or_corrupt_checkpoints_exit_1_with_one_line(@TempDir Path dir) throws IOException {
        Run missing = assertOneLineError(
                1, run("eval", "--checkpoint", dir.resolve("nope.safetensors").toString()));
        assertTrue(missing.err().contains("nope.safetensors"), missing.err());
        Path corrupt = Files.writeString(dir.resolve("corrupt.safetensors"), "this is not a checkpoint");
        Run bad = assertOneLineError(1, run("eval", "--checkpoint", corrupt.toString()));
        assertTrue(bad.err().contains("corrupt.safetensors"), bad.err());
        Run resume = assertOneLineError(
                1, run("train", "--resume", dir.resolve("none.safetensors").toString()));
        assertTrue(resume.err().contains("none.safetensors"), resume.err());
        Run verbose = run("eval", "--verbose", "--checkpoint", corrupt.toString());
        assertEquals(1, verbose.status());
        assertTrue(verbose.errLines().length > 3 && verbose.err().contains("\tat "), "a stack trace: " + verbose.err());
    }

    @Test
    void json_errors_are_one_object_on_stdout_too(@TempDir Path dir) {
        Run r = run(
                "eval",
                "--json",
                "--checkpoint",
                dir.resolve("nope.safetensors").toString());
        assertEquals(1, r.status());
        Map<String, Object> o = r.json();
        assertEquals(1.0, o.get("exit_status"));
        assertTrue(String.valueOf(o.get("error")).contains("nope.safetensors"), o.toString());
        Run usage = run("train", "--json", "--bogus");
        assertEquals(2, usage.status());
        assertEquals(2.0, usage.json().get("exit_status"));
    }

    @Test
    void backends_lists_cpu_as_default_and_json_is_one_object() {
        Run text = run("backends");
        assertEquals(0, text.status(), text.err());
        assertTrue(text.out().lines().anyMatch(l -> l.startsWith("cpu ") && l.contains("*")), text.out());
        Run json = run("backends", "--json");
        assertEquals(0, json.status(), json.err());
        assertEquals(1, json.out().lines().count(), "exactly one line: " + json.out());
        Map<String, Object> o = json.json();
        assertEquals("cpu", o.get("backend"));
        assertTrue(o.get("backends").toString().contains("name=cpu"), o.toString());
    }

    @Test
    void models_and_datasets_include_the_plugins_and_the_built_ins() {
        Run models = run("models", "--json");
        assertEquals(0, models.status(), models.err());
        String all = models.json().get("models").toString();
        assertTrue(
                all.contains("model=realnvp:2d") && all.contains("model=glow:small") && all.contains("model=toy:tiny"),
                all);
        Run data = run("datasets");
        assertEquals(0, data.status(), data.err());
        assertTrue(data.out().contains("two-moons") && data.out().contains("toy-data"), data.out());
    }

    @Test
    void a_fresh_run_takes_each_setting_left_out_from_the_presets_recipe(@TempDir Path dir) {
        Recipe recipe = new NiceFactory().recipe("paper");
        assertNotEquals(Recipe.DEFAULT, recipe, "nice:paper has a recipe of its own");
        String[] common = {
            "train",
            "--model",
            "nice:paper",
            "--data",
            "two-moons",
            "--steps",
            "1",
            "--limit",
            "512",
            "--json",
            "--no-plots",
            "--threads",
            "1"
        };
        Run plain = run(concat(common, new String[] {"--out", dir.resolve("a").toString()}));
        assertEquals(0, plain.status(), plain.err());
        Map<String, Object> a = plain.json();
        assertEquals((double) recipe.batchSize(), a.get("batch"));
        assertEquals(recipe.lr(), a.get("lr"));
        assertEquals(recipe.schedule().option(), a.get("lr_schedule"));
        assertEquals(recipe.clipNorm(), a.get("clip"));
        assertEquals(recipe.emaDecay(), a.get("ema"));
        assertEquals(0.0, a.get("warmup"), "a one-step trial shortens the recipe's cosine warmup to fit");
        Run flagged = run(
                concat(common, new String[] {"--out", dir.resolve("b").toString(), "--lr", "0.0005", "--batch", "16"}));
        assertEquals(0, flagged.status(), flagged.err());
        Map<String, Object> b = flagged.json();
        assertEquals(0.0005, b.get("lr"), "a flag overrides its setting");
        assertEquals(16.0, b.get("batch"));
        assertEquals(recipe.schedule().option(), b.get("lr_schedule"), "and only its own");
        Run tooShort =
                run(concat(common, new String[] {"--out", dir.resolve("d").toString(), "--warmup", "5", "--force"}));
        assertEquals(2, tooShort.status(), "a warmup given as a flag is the user's: " + tooShort.out());
        assertTrue(tooShort.err().contains("--warmup"), tooShort.err());
        Run models = run("models");
        assertTrue(models.out().contains("trains with " + recipe.flags()), models.out());
        Run other = run(concat(
                new String[] {
                    "train",
                    "--model",
                    "realnvp:2d",
                    "--data",
                    "two-moons",
                    "--steps",
                    "1",
                    "--limit",
                    "512",
                    "--json",
                    "--no-plots",
                    "--threads",
                    "1"
                },
                new String[] {"--out", dir.resolve("c").toString()}));
        assertEquals(0, other.status(), other.err());
        assertEquals(
                (double) Recipe.DEFAULT.batchSize(), other.json().get("batch"), "presets without one: the default");
        assertEquals(Recipe.DEFAULT.lr(), other.json().get("lr"));
    }

    @Test
    void train_resume_and_eval_continue_one_run(@TempDir Path dir) {
        String out = dir.toString();
        Run first = run(
                "train",
                "--model",
                "realnvp:2d",
                "--data",
                "two-moons",
                "--steps",
                "6",
                "--batch",
                "32",
                "--limit",
                "512",
                "--out",
                out,
                "--json",
                "--no-plots",
                "--threads",
                "1");
        assertEquals(0, first.status(), first.err());
        Map<String, Object> a = first.json();
        assertEquals("cpu", a.get("backend"));
        assertEquals("realnvp:2d", a.get("model"));
        assertEquals("two-moons", a.get("data"));
        assertEquals("float32", a.get("dtype"));
        assertEquals(6.0, a.get("steps"));
        assertEquals("validation", a.get("split"));
        assertTrue((Double) a.get("n") > 0 && Double.isFinite((Double) a.get("nll_nats")), a.toString());
        assertFalse(a.containsKey("bits_per_dim"), "2-D data has no bits/dim");
        Path checkpoint = dir.resolve("last.safetensors");
        assertTrue(Files.isRegularFile(checkpoint));
        assertTrue(first.err().contains("step 6/6"), "progress on stderr: " + first.err());

        Run again = run(
                "train",
                "--resume",
                checkpoint.toString(),
                "--steps",
                "10",
                "--batch",
                "32",
                "--limit",
                "512",
                "--json",
                "--no-plots",
                "--threads",
                "1");
        assertEquals(0, again.status(), again.err());
        Map<String, Object> b = again.json();
        assertEquals(6.0, b.get("resumed_from_step"));
        assertEquals(10.0, b.get("steps"));
        assertEquals("realnvp:2d", b.get("model"), "the model comes from the checkpoint");

        Run done = run("train", "--resume", checkpoint.toString(), "--steps", "10");
        assertEquals(2, done.status(), "nothing left to do is a usage error: " + done.err());
        assertTrue(done.err().contains("step 10"), done.err());
        Run otherModel = run("train", "--resume", checkpoint.toString(), "--steps", "20", "--model", "nice");
        assertEquals(2, otherModel.status(), otherModel.err());

        Run eval = run("eval", "--checkpoint", checkpoint.toString(), "--json", "--limit", "300");
        assertEquals(0, eval.status(), eval.err());
        Map<String, Object> e = eval.json();
        assertEquals(300.0, e.get("n"));
        assertEquals("test", e.get("split"));
        assertEquals(10.0, e.get("step"));
        assertEquals("two-moons", e.get("data"), "the data set comes from the checkpoint");
        assertTrue(Double.isFinite((Double) e.get("nll_nats")));
        Run human = run("eval", "--checkpoint", checkpoint.toString(), "--limit", "300");
        assertEquals(0, human.status(), human.err());
        assertTrue(human.out().contains("NLL: "), human.out());
    }

    /** The stored tensors of a checkpoint whose names start with {@code prefix}, as doubles. */
    private static Map<String, double[]> stored(Path checkpoint, String prefix) {
        Map<String, double[]> out = new java.util.TreeMap<>();
        org.flows4j.layers.io.Checkpoints.read(checkpoint).tensors().forEach((name, t) -> {
            if (name.startsWith(prefix)) {
                out.put(name, t.toDoubleArray());
            }
        });
        return out;
    }

    private static void assertSameBits(Map<String, double[]> a, Map<String, double[]> b) {
        assertEquals(a.keySet(), b.keySet());
        a.forEach((name, x) -> assertTrue(java.util.Arrays.equals(x, b.get(name)), name + " differs"));
    }

    @Test
    void train_with_sgd_cosine_and_ema_resumes_bit_exactly_and_eval_uses_the_averages(@TempDir Path dir) {
        String[] settings = {
            "--optimizer",
            "sgd",
            "--lr",
            "0.01",
            "--lr-schedule",
            "cosine",
            "--warmup",
            "2",
            "--clip",
            "0",
            "--ema",
            "0.9",
            "--batch",
            "32",
            "--limit",
            "512",
            "--no-plots",
            "--threads",
            "1"
        };
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Run straight = run(concat(
                new String[] {
                    "train",
                    "--model",
                    "realnvp:2d",
                    "--data",
                    "two-moons",
                    "--steps",
                    "10",
                    "--out",
                    a.toString(),
                    "--json"
                },
                settings));
        assertEquals(0, straight.status(), straight.err());
        Map<String, Object> j = straight.json();
        assertEquals("sgd", j.get("optimizer"));
        assertEquals("cosine", j.get("lr_schedule"));
        assertEquals(0.0, j.get("clip"));
        assertEquals(0.9, j.get("ema"));
        // the cosine schedule is as long as the run, so a resumed run must keep the total: --steps 10 after
        // a first part of 10 with constant settings is the same run only with a warmup schedule; here
        // the first part is its own run of 6 steps and the resume of it with --steps 10 is refused
        Run part = run(concat(
                new String[] {
                    "train", "--model", "realnvp:2d", "--data", "two-moons", "--steps", "6", "--out", b.toString()
                },
                settings));
        assertEquals(0, part.status(), part.err());
        Run longer = assertOneLineError(
                2,
                run("train", "--resume", b.resolve("last.safetensors").toString(), "--steps", "10", "--limit", "512"));
        assertTrue(longer.err().contains("--steps/--epochs") && longer.err().contains("was 6, now 10"), longer.err());

        // sgd + warmup + ema: 6 steps, then a resume to 10 with every setting taken from the checkpoint
        String[] warm = {
            "--optimizer",
            "sgd",
            "--lr",
            "0.01",
            "--lr-schedule",
            "warmup",
            "--warmup",
            "3",
            "--ema",
            "0.9",
            "--batch",
            "32",
            "--limit",
            "512",
            "--no-plots",
            "--threads",
            "1"
        };
        Path c = dir.resolve("c");
        Path d = dir.resolve("d");
        assertEquals(
                0,
                run(concat(
                                new String[] {
                                    "train",
                                    "--model",
                                    "realnvp:2d",
                                    "--data",
                                    "two-moons",
                                    "--steps",
                                    "10",
                                    "--out",
                                    c.toString()
                                },
                                warm))
                        .status());
        assertEquals(
                0,
                run(concat(
                                new String[] {
                                    "train",
                                    "--model",
                                    "realnvp:2d",
                                    "--data",
                                    "two-moons",
                                    "--steps",
                                    "6",
                                    "--out",
                                    d.toString()
                                },
                                warm))
                        .status());
        Run resumed = run(
                "train",
                "--resume",
                d.resolve("last.safetensors").toString(),
                "--steps",
                "10",
                "--limit",
                "512",
                "--no-plots",
                "--threads",
                "1",
                "--json");
        assertEquals(0, resumed.status(), resumed.err());
        assertEquals("sgd", resumed.json().get("optimizer"), "the settings come from the checkpoint");
        assertEquals(0.9, resumed.json().get("ema"));
        Path cc = c.resolve("last.safetensors");
        Path dd = d.resolve("last.safetensors");
        assertSameBits(stored(cc, "model."), stored(dd, "model."));
        assertSameBits(stored(cc, "ema."), stored(dd, "ema."));
        assertSameBits(stored(cc, "optim."), stored(dd, "optim."));
        assertTrue(stored(cc, "ema.").size() > 0, "the checkpoint holds the averages");

        Run averaged = run("eval", "--checkpoint", cc.toString(), "--json", "--limit", "300");
        assertEquals(0, averaged.status(), averaged.err());
        assertEquals("averaged", averaged.json().get("weights"));
        Run raw = run("eval", "--checkpoint", cc.toString(), "--json", "--limit", "300", "--raw-weights");
        assertEquals(0, raw.status(), raw.err());
        assertEquals("raw", raw.json().get("weights"));
        assertTrue(
                !averaged.json().get("nll_nats").equals(raw.json().get("nll_nats")),
                "the averages are other weights: " + averaged.json() + " " + raw.json());
    }

    @Test
    void train_for_minutes_stops_on_time_and_a_resume_continues_with_what_is_left(@TempDir Path dir) {
        String out = dir.resolve("timed").toString();
        String[] tiny = {"--batch", "32", "--limit", "512", "--no-plots", "--threads", "1"};
        Run both = assertOneLineError(
                2,
                run(
                        "train",
                        "--model",
                        "realnvp:2d",
                        "--data",
                        "two-moons",
                        "--minutes",
                        "1",
                        "--steps",
                        "5",
                        "--out",
                        out));
        assertTrue(both.err().contains("--minutes") && both.err().contains("--steps"), both.err());
        for (String bad : new String[] {"0", "-1", "NaN", "Infinity"}) {
            Run r = assertOneLineError(
                    2, run("train", "--model", "realnvp:2d", "--data", "two-moons", "--minutes", bad, "--out", out));
            assertTrue(r.err().contains("--minutes"), bad + ": " + r.err());
        }
        assertFalse(Files.exists(dir.resolve("timed").resolve("last.safetensors")), "nothing trained");

        // 0.006 minutes: 360 ms of training time
        Run first = run(concat(
                new String[] {
                    "train",
                    "--model",
                    "realnvp:2d",
                    "--data",
                    "two-moons",
                    "--minutes",
                    "0.006",
                    "--out",
                    out,
                    "--json"
                },
                tiny));
        assertEquals(0, first.status(), first.err());
        Map<String, Object> a = first.json();
        double steps = (Double) a.get("steps");
        assertTrue(steps > 0, a.toString());
        assertEquals("budget", a.get("stop_reason"));
        assertEquals(0.36, a.get("budget_seconds"));
        assertTrue((Double) a.get("training_seconds") >= 0.36, a.toString());
        assertTrue(a.containsKey("total_steps") && a.get("total_steps") == null, "no planned steps: " + a);
        assertTrue(Double.isFinite((Double) a.get("nll_nats")), "evaluated at the end: " + a);
        assertTrue(first.err().contains(" left "), "progress shows the time left: " + first.err());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> curve = (List<Map<String, Object>>) a.get("validation_curve");
        assertFalse(curve.isEmpty(), "the validations are in the report: " + a);
        Map<String, Object> lastPoint = curve.get(curve.size() - 1);
        assertEquals(a.get("nll_nats"), lastPoint.get("nll_nats"), "the last is the run's final validation");
        assertEquals(steps, lastPoint.get("step"));
        assertTrue((Double) lastPoint.get("training_seconds") >= 0.36, lastPoint.toString());
        assertTrue(lastPoint.containsKey("bits_per_dim") && lastPoint.get("bits_per_dim") == null, "2-D data");
        String checkpoint = dir.resolve("timed").resolve("last.safetensors").toString();

        Run bySteps = assertOneLineError(2, run("train", "--resume", checkpoint, "--steps", "1000"));
        assertTrue(bySteps.err().contains("--minutes") && bySteps.err().contains("time budget"), bySteps.err());
        Run spent = assertOneLineError(2, run("train", "--resume", checkpoint, "--limit", "512"));
        assertTrue(spent.err().contains("larger --minutes") && spent.err().contains("0.006"), spent.err());
        Run more = run(concat(new String[] {"train", "--resume", checkpoint, "--minutes", "0.009", "--json"}, tiny));
        assertEquals(0, more.status(), more.err());
        Map<String, Object> b = more.json();
        assertEquals(steps, b.get("resumed_from_step"));
        assertTrue((Double) b.get("steps") > steps, b.toString());
        assertTrue((Double) b.get("training_seconds") >= 0.54, "the total across both runs: " + b);
        assertEquals("budget", b.get("stop_reason"));

        String stepRun = dir.resolve("steps").toString();
        assertEquals(
                0,
                run(concat(
                                new String[] {
                                    "train",
                                    "--model",
                                    "realnvp:2d",
                                    "--data",
                                    "two-moons",
                                    "--steps",
                                    "2",
                                    "--out",
                                    stepRun
                                },
                                tiny))
                        .status());
        Run byTime = assertOneLineError(
                2,
                run(
                        "train",
                        "--resume",
                        dir.resolve("steps").resolve("last.safetensors").toString(),
                        "--minutes",
                        "1"));
        assertTrue(byTime.err().contains("--minutes") && byTime.err().contains("--steps"), byTime.err());
        assertTrue(run("train", "--help").out().contains("--minutes"));
    }

    @Test
    void a_resume_that_changes_a_training_setting_is_a_usage_error_naming_it(@TempDir Path dir) {
        Run first = run(
                "train",
                "--model",
                "realnvp:2d",
                "--data",
                "two-moons",
                "--steps",
                "3",
                "--batch",
                "32",
                "--limit",
                "256",
                "--out",
                dir.toString(),
                "--no-plots");
        assertEquals(0, first.status(), first.err());
        String checkpoint = dir.resolve("last.safetensors").toString();
        Run optimizer = assertOneLineError(
                2, run("train", "--resume", checkpoint, "--steps", "6", "--limit", "256", "--optimizer", "sgd"));
        assertTrue(
                optimizer.err().contains("--optimizer") && optimizer.err().contains("was adam, now sgd"),
                optimizer.err());
        Run ema = assertOneLineError(
                2,
                run("train", "--resume", checkpoint, "--steps", "6", "--limit", "256", "--ema", "0.5", "--clip", "0"));
        assertTrue(ema.err().contains("--ema") && ema.err().contains("was 0.0, now 0.5"), ema.err());
        assertTrue(ema.err().contains("--clip") && ema.err().contains("was 100.0, now 0.0"), ema.err());
        Run batch = assertOneLineError(2, run("train", "--resume", checkpoint, "--steps", "6", "--batch", "16"));
        assertTrue(batch.err().contains("--batch") && batch.err().contains("was 32, now 16"), batch.err());
        Run same = run(
                "train",
                "--resume",
                checkpoint,
                "--steps",
                "5",
                "--limit",
                "256",
                "--no-plots",
                "--optimizer",
                "adam",
                "--clip",
                "100");
        assertEquals(0, same.status(), "the same settings given again are fine: " + same.err());
    }

    @Test
    void an_out_of_memory_error_behind_another_exception_is_reported_as_out_of_memory() {
        OutOfMemoryError oom = new OutOfMemoryError("Java heap space");
        // what a try-with-resources throws when its body and its close() fail with the JVM's one preallocated error
        IllegalArgumentException self = assertThrows(IllegalArgumentException.class, () -> oom.addSuppressed(oom));
        assertSame(oom, Flows4jCommand.outOfMemoryIn(self));
        assertSame(oom, Flows4jCommand.outOfMemoryIn(new IllegalStateException("worker", self)));
        assertSame(oom, Flows4jCommand.outOfMemoryIn(oom));
        assertNull(Flows4jCommand.outOfMemoryIn(new IllegalStateException("no", new RuntimeException("cause"))));
        RuntimeException loop = new RuntimeException("a");
        RuntimeException other = new RuntimeException("b", loop);
        loop.initCause(other);
        assertNull(Flows4jCommand.outOfMemoryIn(loop), "a cycle of causes ends");
        String line = Flows4jCommand.outOfMemory(new String[] {"train", "--model", "glow:fmnist"}, oom);
        assertTrue(line.contains("train ran out of memory") && line.contains("--batch"), line);
    }

    @Test
    void learning_rate_factors_are_recorded_kept_on_resume_and_checked(@TempDir Path dir) {
        Run first = trainFactors(dir, "--lr-factor", "*.bias=2", "--json");
        assertEquals(0, first.status(), first.err());
        assertEquals(Map.of("*.bias", 2.0), first.json().get("lr_factors"));
        String checkpoint = dir.resolve("last.safetensors").toString();
        Run changed = assertOneLineError(2, resumeFactors(checkpoint, "--lr-factor", "*.bias=3"));
        assertTrue(
                changed.err().contains("--lr-factor *.bias") && changed.err().contains("was 2.0, now 3.0"),
                changed.err());
        Run dropped = assertOneLineError(2, resumeFactors(checkpoint, "--lr-factor", "none"));
        assertTrue(dropped.err().contains("--lr-factor *.bias"), dropped.err());
        Run kept = resumeFactors(checkpoint, "--json");
        assertEquals(0, kept.status(), kept.err());
        assertEquals(Map.of("*.bias", 2.0), kept.json().get("lr_factors"), "a resume keeps the checkpoint's factors");

        Path other = dir.resolve("other");
        Run typo = assertOneLineError(2, trainFactors(other, "--lr-factor", "*.logscale=10"));
        assertTrue(typo.err().contains("--lr-factor") && typo.err().contains("matches no parameter"), typo.err());
        Run malformed = assertOneLineError(2, trainFactors(other, "--lr-factor", "*.bias"));
        assertTrue(
                malformed.err().contains("--lr-factor") && malformed.err().contains("PATTERN=FACTOR"), malformed.err());
        assertFalse(Files.exists(other.resolve("last.safetensors")), "nothing trained");
        Run none = trainFactors(other, "--lr-factor", "none", "--json");
        assertEquals(0, none.status(), none.err());
        assertEquals(Map.of(), none.json().get("lr_factors"));
    }

    @Test
    void a_resume_refuses_the_checkpoints_factors_in_another_order(@TempDir Path dir) {
        // '*.bias' and '*' overlap: the biases get 2 only while '*.bias' comes first
        Run first = trainFactors(dir, "--lr-factor", "*.bias=2", "--lr-factor", "*=3");
        assertEquals(0, first.status(), first.err());
        String checkpoint = dir.resolve("last.safetensors").toString();
        Run reordered =
                assertOneLineError(2, resumeFactors(checkpoint, "--lr-factor", "*=3", "--lr-factor", "*.bias=2"));
        assertTrue(
                reordered.err().contains("--lr-factor") && reordered.err().contains("in the order *.bias, *"),
                reordered.err());
        Run same = resumeFactors(checkpoint, "--lr-factor", "*.bias=2", "--lr-factor", "*=3", "--json");
        assertEquals(0, same.status(), same.err());
        assertEquals(
                List.of("*.bias", "*"), List.copyOf(((Map<?, ?>) same.json().get("lr_factors")).keySet()));
    }

    private static final String[] FACTOR_RUN = {"--limit", "256", "--batch", "32", "--no-plots", "--threads", "1"};

    /** Three steps of realnvp:2d on two-moons into {@code out}, with {@code flags}. */
    private static Run trainFactors(Path out, String... flags) {
        String[] head = {
            "train", "--model", "realnvp:2d", "--data", "two-moons", "--steps", "3", "--out", out.toString()
        };
        return run(concat(concat(head, FACTOR_RUN), flags));
    }

    /** The run in {@code checkpoint} resumed to five steps, with {@code flags}. */
    private static Run resumeFactors(String checkpoint, String... flags) {
        return run(concat(concat(new String[] {"train", "--resume", checkpoint, "--steps", "5"}, FACTOR_RUN), flags));
    }

    @Test
    void bad_training_settings_are_usage_errors_naming_the_flag(@TempDir Path dir) {
        String out = dir.toString();
        String[][] cases = {
            {"--optimizer", "rmsprop"}, {"--lr-schedule", "linear"}, {"--clip", "-1"}, {"--ema", "1"},
            {"--ema", "-0.1"}, {"--lr", "0"}, {"--batch", "0"}, {"--warmup", "-1"}
        };
        for (String[] c : cases) {
            Run r = assertOneLineError(
                    2,
                    run(
                            "train",
                            "--model",
                            "realnvp:2d",
                            "--data",
                            "two-moons",
                            "--steps",
                            "5",
                            "--out",
                            out,
                            c[0],
                            c[1]));
            assertTrue(r.err().contains(c[0]), c[0] + " " + c[1] + ": " + r.err());
        }
        Run cosine = assertOneLineError(
                2,
                run(
                        "train",
                        "--model",
                        "realnvp:2d",
                        "--data",
                        "two-moons",
                        "--steps",
                        "5",
                        "--out",
                        out,
                        "--lr-schedule",
                        "cosine"));
        assertTrue(cosine.err().contains("--warmup") && cosine.err().contains("cosine"), cosine.err());
        assertFalse(Files.exists(dir.resolve("last.safetensors")), "nothing trained");
        Run help = run("train", "--help");
        for (String flag : new String[] {"--optimizer", "--lr-schedule", "--clip", "--ema", "--warmup"}) {
            assertTrue(help.out().contains(flag), flag + " in: " + help.out());
        }
        Run evalHelp = run("eval", "--help");
        assertTrue(evalHelp.out().contains("--raw-weights"), evalHelp.out());
        Run sampleHelp = run("sample", "--help");
        assertTrue(sampleHelp.out().contains("--raw-weights"), sampleHelp.out());
    }

    @Test
    void a_format_one_checkpoint_evaluates_but_does_not_resume(@TempDir Path dir) throws IOException {
        Path fixture = Path.of("../flow-zoo/src/test/resources/checkpoints/v1-realnvp-2d-two-moons.safetensors");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(fixture), "run from the flow-cli folder");
        Path copy = dir.resolve("v1.safetensors");
        Files.copy(fixture, copy);
        Run eval = run("eval", "--checkpoint", copy.toString(), "--json", "--limit", "300");
        assertEquals(0, eval.status(), eval.err());
        assertEquals(20.0, eval.json().get("step"));
        assertEquals("raw", eval.json().get("weights"));
        Run resume = assertOneLineError(1, run("train", "--resume", copy.toString(), "--steps", "30"));
        assertTrue(resume.err().contains("format version 1"), resume.err());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void a_nan_loss_stops_training_naming_the_step(@TempDir Path dir) {
        Run r = run(
                "train",
                "--model",
                "realnvp:2d",
                "--data",
                "two-moons",
                "--steps",
                "50",
                "--batch",
                "32",
                "--limit",
                "256",
                "--lr",
                "1e30",
                "--warmup",
                "0",
                "--out",
                dir.toString(),
                "--no-plots");
        assertEquals(1, r.status(), r.toString());
        String last = r.errLines()[r.errLines().length - 1];
        assertTrue(last.startsWith("flows4j: ") && last.contains("at step "), last);
        assertEquals("", r.out());
    }

    @Test
    void quickstart_writes_the_pictures_and_the_checkpoint(@TempDir Path dir) throws IOException {
        Run r = run("quickstart", "--steps", "20", "--out", dir.toString(), "--json");
        assertEquals(0, r.status(), r.err());
        Map<String, Object> o = r.json();
        assertEquals("realnvp:2d", o.get("model"));
        assertEquals("test", o.get("split"));
        assertTrue(Double.isFinite((Double) o.get("nll_nats")), o.toString());
        assertEquals(20.0, o.get("steps"));
        for (String name : new String[] {"density.png", "samples.png"}) {
            BufferedImage img = ImageIO.read(dir.resolve(name).toFile());
            assertTrue(
                    img.getWidth() > 500 && img.getHeight() > 250, name + " " + img.getWidth() + "x" + img.getHeight());
            assertTrue(
                    img.getRGB(img.getWidth() / 3, img.getHeight() / 2) != img.getRGB(2, 2)
                            || img.getRGB(img.getWidth() / 2, img.getHeight() / 2) != img.getRGB(2, 2),
                    name + " is not blank");
        }
        assertTrue(Files.size(dir.resolve("last.safetensors")) > 1000);
        Run human = run("quickstart", "--steps", "5", "--out", dir.toString());
        assertEquals(0, human.status(), human.err());
        assertTrue(human.out().contains("held-out NLL: ") && human.out().contains("density.png"), human.out());
    }
}
