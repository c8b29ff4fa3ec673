package org.flows4j.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Conditional models end to end through the real launcher: a class-conditional Glow trained
 * with {@code --condition label} and drawn, interpolated, inpainted and manipulated by class; a
 * conditional 2-D MAF trained on context columns, its pictures, and its samples given a context.
 */
@EnabledOnOs(
        value = {OS.LINUX, OS.MAC},
        disabledReason = "the launcher is a bash script")
class ConditionalEndToEndTest {

    // The reference backend, as in LauncherEndToEndTest: the models are tiny.
    private static Launcher flows4j;

    @BeforeAll
    static void locate() {
        flows4j = new Launcher("cpu");
    }

    private static Launcher.Run run(Path dir, String... args) throws IOException, InterruptedException {
        return flows4j.run(dir, args);
    }

    /** Exit status 2 with one line on stderr that contains {@code text}. */
    private static void assertUsageError(Launcher.Run r, String text) {
        assertEquals(2, r.status(), r.out() + r.err());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains(text), "'" + text + "' in: " + r.err());
    }

    private static void assertPng(Path file) throws IOException {
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(file.toFile());
        assertTrue(img != null && img.getWidth() > 100 && img.getHeight() > 100, file + " is a picture");
    }

    @Test
    void a_class_conditional_glow_trains_on_labels_and_draws_a_chosen_class(@TempDir Path dir) throws Exception {
        String data = Launcher.tinyIdx(dir.resolve("idx")).toString();
        Launcher.Run train = run(
                dir,
                "train",
                "--model",
                "glow:small-cond",
                "-O",
                "steps=1",
                "-O",
                "hidden=8",
                "--data",
                "mnist",
                "--data-dir",
                data,
                "--condition",
                "label",
                "--limit",
                "30",
                "--steps",
                "3",
                "--batch",
                "10",
                "--out",
                "run",
                "--json");
        assertEquals(0, train.status(), train.err());
        assertEquals("glow:small-cond", Launcher.field(Launcher.oneJsonObject(train), "model"));
        String ckpt = "run/last.safetensors";

        Launcher.Run sample =
                run(dir, "sample", "--checkpoint", ckpt, "--label", "1", "--n", "4", "--out", "pics/one.png", "--json");
        assertEquals(0, sample.status(), sample.err());
        String s = Launcher.oneJsonObject(sample);
        assertEquals("1", Launcher.field(s, "label"));
        assertEquals("0", Launcher.field(s, "nan_pixels"));
        assertPng(dir.resolve("pics/one.png"));

        assertUsageError(run(dir, "sample", "--checkpoint", ckpt), "give --label, one of 0, 1, 2");
        assertUsageError(run(dir, "sample", "--checkpoint", ckpt, "--label", "cat"), "'cat' is not one of");
        assertUsageError(run(dir, "sample", "--checkpoint", ckpt, "--context", "1"), "give --label");

        // Each image encoded and decoded given its own label: the endpoints still reproduce.
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
        String i = Launcher.oneJsonObject(strip);
        assertEquals("true", Launcher.field(i, "endpoints_reproduced"));
        assertEquals("each image's own label", Launcher.field(i, "context"));
        Launcher.Run asTwo = run(
                dir,
                "interpolate",
                "--checkpoint",
                ckpt,
                "--data-dir",
                data,
                "--pairs",
                "1",
                "--label",
                "2",
                "--out",
                "pics/strip2.png",
                "--json");
        assertEquals(0, asTwo.status(), asTwo.err());
        assertEquals("label 2", Launcher.field(Launcher.oneJsonObject(asTwo), "context"));
        assertUsageError(
                run(dir, "interpolate", "--checkpoint", ckpt, "--data-dir", data, "--label", "cat"),
                "'cat' is not one of");

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
                "5",
                "--n",
                "2",
                "--out",
                "pics/inpaint.png",
                "--json");
        assertEquals(0, inpaint.status(), inpaint.err());
        String p = Launcher.oneJsonObject(inpaint);
        assertEquals("0", Launcher.field(p, "known_pixels_changed"));
        assertTrue(
                Double.parseDouble(Launcher.field(p, "mean_log_p_after"))
                        >= Double.parseDouble(Launcher.field(p, "mean_log_p_before")),
                p);

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
                "0,1",
                "--n",
                "2",
                "--out",
                "pics/manip.png",
                "--json");
        assertEquals(0, manip.status(), manip.err());
        assertEquals("0", Launcher.field(Launcher.oneJsonObject(manip), "nan_pixels"));
        assertPng(dir.resolve("pics/manip.png"));
    }

    @Test
    void a_conditional_2d_model_writes_its_pictures_and_samples_given_a_context(@TempDir Path dir) throws Exception {
        // Two well-separated modes, (-2, 0) for c = 0 and (2, 0) for c = 1.
        java.util.Random r = new java.util.Random(3);
        StringBuilder csv = new StringBuilder("x,y,c\n");
        for (int k = 0; k < 600; k++) {
            int c = k % 2;
            csv.append(String.format(
                    Locale.ROOT, "%.4f,%.4f,%d%n", -2 + 4 * c + 0.3 * r.nextGaussian(), 0.3 * r.nextGaussian(), c));
        }
        Files.writeString(dir.resolve("modes.csv"), csv);
        String data = "csv:modes.csv;context=c";
        Launcher.Run train = run(
                dir,
                "train",
                "--model",
                "maf:2d-cond",
                "--data",
                data,
                "--condition",
                "context",
                "--steps",
                "300",
                "--batch",
                "128",
                "--out",
                "run",
                "--json");
        assertEquals(0, train.status(), train.err());
        for (String f : new String[] {"density.png", "samples.png"}) {
            assertPng(dir.resolve("run").resolve(f));
        }
        String ckpt = "run/last.safetensors";

        double[] at0 = sampleMean(dir, ckpt, "0");
        double[] at1 = sampleMean(dir, ckpt, "1");
        assertTrue(
                Math.abs(at0[0] + 2) < 0.5 && Math.abs(at0[1]) < 0.5,
                "c = 0 draws around (-2, 0): " + at0[0] + ", " + at0[1]);
        assertTrue(
                Math.abs(at1[0] - 2) < 0.5 && Math.abs(at1[1]) < 0.5,
                "c = 1 draws around (2, 0): " + at1[0] + ", " + at1[1]);

        Launcher.Run marginal = run(dir, "sample", "--checkpoint", ckpt, "--out", "pics/all.png", "--json");
        assertEquals(0, marginal.status(), marginal.err());
        assertEquals("marginal over test contexts", Launcher.field(Launcher.oneJsonObject(marginal), "context"));
        assertPng(dir.resolve("pics/all.png"));

        assertUsageError(run(dir, "sample", "--checkpoint", ckpt, "--context", "1,2"), "takes 1 value (c), got 2");
        assertUsageError(run(dir, "sample", "--checkpoint", ckpt, "--label", "1"), "give --context");
        assertUsageError(run(dir, "sample", "--checkpoint", ckpt, "--label", "1", "--context", "1"), "not both");
        assertUsageError(run(dir, "interpolate", "--checkpoint", ckpt), "works on image models");
    }

    /** The mean of 1000 samples given {@code context}, from the report. */
    private static double[] sampleMean(Path dir, String ckpt, String context) throws Exception {
        Launcher.Run s = run(
                dir,
                "sample",
                "--checkpoint",
                ckpt,
                "--context",
                context,
                "--n",
                "1000",
                "--out",
                "pics/c" + context + ".png",
                "--json");
        assertEquals(0, s.status(), s.err());
        String json = Launcher.oneJsonObject(s);
        assertEquals("given c = " + context, Launcher.field(json, "context"));
        Matcher m = Pattern.compile("\"sample_mean\":\\[([^,\\]]+),([^\\]]+)]").matcher(json);
        assertTrue(m.find(), json);
        return new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))};
    }
}
