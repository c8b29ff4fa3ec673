package org.flows4j.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every backend through the real launcher: all three are discovered and available, and each
 * runs every subcommand (quickstart, train, resume, eval, and the picture commands on a tiny
 * image model) when chosen with {@code --backend}. Runs are short:
 * the point is that the command works on the backend, not what it learns.
 */
@EnabledOnOs(
        value = {OS.LINUX, OS.MAC},
        disabledReason = "the launcher is a bash script")
class EveryBackendEndToEndTest {

    @Test
    void cpuNd4jAndDjlAreAllAvailable(@TempDir Path dir) throws Exception {
        Launcher.Run r = new Launcher(null).run(dir, "backends", "--json");
        assertEquals(0, r.status(), r.err());
        String json = Launcher.oneJsonObject(r);
        for (String name : new String[] {"cpu", "nd4j", "djl"}) {
            assertTrue(
                    json.matches(".*\\{\"name\":\"" + name + "\",\"priority\":\\d+,\"available\":true.*"),
                    name + " is available: " + json);
        }
    }

    @ParameterizedTest(name = "--backend {0}")
    @ValueSource(strings = {"cpu", "nd4j", "djl"})
    void everyCommandRunsOnTheBackend(String backend, @TempDir Path dir) throws Exception {
        Launcher flows4j = new Launcher(null);
        Launcher.Run quick =
                flows4j.run(dir, "quickstart", "--backend", backend, "--steps", "20", "--out", "quick", "--json");
        assertEquals(0, quick.status(), quick.err());
        assertEquals(backend, Launcher.field(Launcher.oneJsonObject(quick), "backend"));
        assertTrue(Files.exists(dir.resolve("quick/density.png")) && Files.exists(dir.resolve("quick/samples.png")));

        Launcher.Run train = flows4j.run(
                dir,
                "train",
                "--backend",
                backend,
                "--model",
                "realnvp:2d",
                "--data",
                "two-moons",
                "--limit",
                "512",
                "--batch",
                "64",
                "--steps",
                "6",
                "--out",
                "run",
                "--json");
        assertEquals(0, train.status(), train.err());
        Launcher.Run resume = flows4j.run(
                dir,
                "train",
                "--backend",
                backend,
                "--model",
                "realnvp:2d",
                "--data",
                "two-moons",
                "--limit",
                "512",
                "--batch",
                "64",
                "--steps",
                "12",
                "--out",
                "run",
                "--resume",
                "--json");
        assertEquals(0, resume.status(), resume.err());
        assertEquals("6", Launcher.field(Launcher.oneJsonObject(resume), "resumed_from_step"));

        Launcher.Run eval =
                flows4j.run(dir, "eval", "--backend", backend, "--checkpoint", "run/last.safetensors", "--json");
        assertEquals(0, eval.status(), eval.err());
        String json = Launcher.oneJsonObject(eval);
        assertEquals(backend, Launcher.field(json, "backend"));
        assertEquals("12", Launcher.field(json, "step"));
        assertTrue(Double.isFinite(Double.parseDouble(Launcher.field(json, "nll_nats"))), json);
    }

    @ParameterizedTest(name = "--backend {0}")
    @ValueSource(strings = {"cpu", "nd4j", "djl"})
    void everyPictureCommandRunsOnTheBackend(String backend, @TempDir Path dir) throws Exception {
        Launcher flows4j = new Launcher(null);
        String data = Launcher.tinyIdx(dir.resolve("idx")).toString();
        Launcher.Run train = flows4j.run(
                dir,
                "train",
                "--backend",
                backend,
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
                "3",
                "--batch",
                "16",
                "--out",
                "run",
                "--json");
        assertEquals(0, train.status(), train.err());
        String ckpt = "run/last.safetensors";
        String[][] commands = {
            {"sample", "--checkpoint", ckpt, "--temperatures", "0,1", "--n", "2", "--out", "sample.png"},
            {
                "interpolate",
                "--checkpoint",
                ckpt,
                "--data-dir",
                data,
                "--pairs",
                "1",
                "--steps",
                "3",
                "--out",
                "strip.png"
            },
            {
                "inpaint",
                "--checkpoint",
                ckpt,
                "--data-dir",
                data,
                "--mask",
                "left",
                "--iterations",
                "3",
                "--n",
                "1",
                "--out",
                "inpaint.png"
            },
            {
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
                "0,1",
                "--n",
                "1",
                "--out",
                "manip.png"
            }
        };
        for (String[] command : commands) {
            String[] args = java.util.stream.Stream.concat(
                            java.util.Arrays.stream(command),
                            java.util.stream.Stream.of("--backend", backend, "--json"))
                    .toArray(String[]::new);
            Launcher.Run r = flows4j.run(dir, args);
            assertEquals(0, r.status(), command[0] + ": " + r.err());
            assertEquals(backend, Launcher.field(Launcher.oneJsonObject(r), "backend"), command[0]);
            assertTrue(Files.size(dir.resolve(command[command.length - 1])) > 500, command[0] + " wrote its picture");
        }
    }
}
