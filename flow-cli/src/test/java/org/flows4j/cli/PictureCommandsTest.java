package org.flows4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Guice;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.cli.inject.ZooModule;
import org.flows4j.cli.plot.ImageGrid;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.IdxImagesFactory;
import org.flows4j.zoo.models.ZooModel;
import org.flows4j.zoo.tools.InpaintMask;
import org.flows4j.zoo.train.ZooCheckpoints;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sample}, {@code interpolate}, {@code inpaint} and {@code manipulate} in-process on a
 * tiny Glow trained for a few steps on a tiny MNIST-format set written by the test (three
 * labelled classes), and on a tiny 2-D RealNVP; {@code train}'s {@code loss.png}.
 */
class PictureCommandsTest {

    @TempDir
    static Path shared;

    private static Path data;
    private static String images;
    private static String moons;
    private static Map<String, Object> trained;

    @BeforeAll
    static void train() throws IOException {
        System.setProperty("java.awt.headless", "true");
        data = TinyIdx.write(shared.resolve("idx"), 60, 24, 1);
        Flows4jCommandTest.Run glow = Flows4jCommandTest.run(
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
                data.toString(),
                "--steps",
                "4",
                "--batch",
                "16",
                "--out",
                shared.resolve("glow").toString(),
                "--json");
        assertEquals(0, glow.status(), glow.err());
        trained = glow.json();
        images = shared.resolve("glow/last.safetensors").toString();
        Flows4jCommandTest.Run nvp = Flows4jCommandTest.run(
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
                "512",
                "--out",
                shared.resolve("moons").toString(),
                "--no-plots");
        assertEquals(0, nvp.status(), nvp.err());
        moons = shared.resolve("moons/last.safetensors").toString();
    }

    private static Flows4jCommandTest.Run run(String... args) {
        return Flows4jCommandTest.run(args);
    }

    private static Map<String, Object> ok(Flows4jCommandTest.Run r) {
        assertEquals(0, r.status(), r.err());
        return r.json();
    }

    /** The PNG the report names: it exists, and has the size the report says. */
    private static BufferedImage picture(Map<String, Object> o) throws IOException {
        BufferedImage img = ImageIO.read(Path.of((String) o.get("file")).toFile());
        assertEquals(((Double) o.get("width")).intValue(), img.getWidth());
        assertEquals(((Double) o.get("height")).intValue(), img.getHeight());
        return img;
    }

    /** The height of a grid of {@code rows} 28x28 tiles (x3) under a title and, if any, column labels. */
    private static double gridHeight(int rows, boolean columnLabels) {
        return 10 + 24 + (columnLabels ? 18 : 0) + rows * 84 + (rows - 1) * 3 + 10;
    }

    private static void assertOneLine(int status, Flows4jCommandTest.Run r, String... contains) {
        assertEquals(status, r.status(), r.toString());
        assertEquals(1, r.errLines().length, "one line: " + r.err());
        assertTrue(r.err().startsWith("flows4j: "), r.err());
        for (String c : contains) {
            assertTrue(r.err().contains(c), "'" + c + "' in: " + r.err());
        }
        assertEquals("", r.out());
    }

    @Test
    void train_writes_loss_png_beside_the_checkpoint() throws IOException {
        @SuppressWarnings("unchecked")
        Map<String, Object> files = (Map<String, Object>) trained.get("files");
        Path loss = Path.of((String) files.get("loss"));
        assertEquals(shared.resolve("glow/loss.png"), loss);
        BufferedImage img = ImageIO.read(loss.toFile());
        assertTrue(img.getWidth() >= 700 && img.getHeight() >= 400, img.getWidth() + "x" + img.getHeight());
        assertFalse(Files.exists(shared.resolve("moons/loss.png")), "--no-plots writes no loss.png");
    }

    @Test
    void sample_draws_a_grid_and_rows_by_temperature(@TempDir Path dir) throws IOException {
        Map<String, Object> grid = ok(run(
                "sample",
                "--checkpoint",
                images,
                "--n",
                "10",
                "--seed",
                "3",
                "--out",
                dir.resolve("grid.png").toString(),
                "--json"));
        assertEquals(10.0, grid.get("n"));
        assertEquals(3.0, grid.get("rows"), "10 samples: 4 columns, 3 rows");
        assertEquals(4.0, grid.get("columns"));
        assertEquals(List.of(1.0), grid.get("temperatures"));
        assertEquals("mnist", grid.get("data"));
        BufferedImage img = picture(grid);
        assertTrue(img.getWidth() >= 4 * 84 + 3 * 3 + 20, "4 tiles of 84 pixels across: " + img.getWidth());
        assertEquals(gridHeight(3, false), img.getHeight(), "3 rows of 84 pixels under the title");

        Map<String, Object> rows = ok(run(
                "sample",
                "--checkpoint",
                images,
                "--n",
                "5",
                "--temperatures",
                "0,0.5,1",
                "--out",
                dir.resolve("rows.png").toString(),
                "--json"));
        assertEquals(3.0, rows.get("rows"));
        assertEquals(5.0, rows.get("columns"));
        assertEquals(List.of(0.0, 0.5, 1.0), rows.get("temperatures"));
        assertEquals(gridHeight(3, false), picture(rows).getHeight());

        Flows4jCommandTest.Run human = run(
                "sample",
                "--checkpoint",
                images,
                "--n",
                "4",
                "--out",
                dir.resolve("h.png").toString());
        assertEquals(0, human.status(), human.err());
        assertTrue(
                human.out().contains("4 samples of glow:small") && human.out().contains("h.png"), human.out());
    }

    @Test
    void rows_by_temperature_share_their_latent_noise() {
        Zoo zoo = Guice.createInjector(new ZooModule()).getInstance(Zoo.class);
        try (Backend backend = Backends.create("cpu")) {
            ZooModel model = ZooCheckpoints.load(Path.of(images), zoo, backend);
            model.flow().setTraining(false);
            double[][] rows = SampleCommand.sampleRows(model.flow(), 3, 7, new double[] {0, 0.5, 1});
            double[][] z = new double[3][];
            for (int t = 0; t < 3; t++) {
                Tensor x = Tensor.of(backend, DType.FLOAT32, rows[t], Shape.of(3, 1, 28, 28));
                z[t] = Autodiff.noGrad(() -> model.flow().encode(x).toDoubleArray());
            }
            // z_T = mu + T sigma eps with the same eps: the middle row's latent is the mean of the others'.
            double worst = 0;
            for (int k = 0; k < z[0].length; k++) {
                worst = Math.max(worst, Math.abs(z[1][k] - (z[0][k] + z[2][k]) / 2));
            }
            assertTrue(worst < 2e-3, "latents of T = 0.5 halfway between T = 0 and T = 1: off by " + worst);
            int per = model.eventShape().size();
            for (int k = 0; k < per; k++) {
                assertEquals(rows[0][k], rows[0][per + k], 0.0, "at T = 0 every sample is the same");
            }
        }
    }

    @Test
    void sample_on_a_2d_model_writes_a_scatter(@TempDir Path dir) throws IOException {
        Map<String, Object> o = ok(run(
                "sample",
                "--checkpoint",
                moons,
                "--n",
                "300",
                "--temperature",
                "0.8",
                "--out",
                dir.resolve("s.png").toString(),
                "--json"));
        assertEquals(300.0, o.get("n"));
        assertEquals(List.of(0.8), o.get("temperatures"));
        BufferedImage img = ImageIO.read(dir.resolve("s.png").toFile());
        assertTrue(img.getWidth() > 2 * img.getHeight(), "data beside samples");
        assertOneLine(
                2,
                run(
                        "sample",
                        "--checkpoint",
                        moons,
                        "--temperatures",
                        "0.5,1",
                        "--out",
                        dir.resolve("t.png").toString()),
                "--temperatures");
    }

    @Test
    void interpolation_endpoints_reproduce_the_inputs(@TempDir Path dir) throws IOException {
        Map<String, Object> o = ok(run(
                "interpolate",
                "--checkpoint",
                images,
                "--data-dir",
                data.toString(),
                "--pairs",
                "3",
                "--steps",
                "5",
                "--out",
                dir.resolve("strip.png").toString(),
                "--json"));
        assertEquals(true, o.get("endpoints_reproduced"), o.toString());
        assertTrue((Double) o.get("endpoint_max_error") < 0.05, "float32 round trip: " + o.get("endpoint_max_error"));
        assertEquals(3.0, o.get("pairs"));
        assertEquals(5.0, o.get("steps"));
        assertEquals("test", o.get("split"));
        assertEquals(3, ((List<?>) o.get("images")).size());
        BufferedImage img = picture(o);
        assertTrue(img.getWidth() >= 5 * 84 + 4 * 3 + 20, img.getWidth() + "x" + img.getHeight());
        assertEquals(gridHeight(3, true), img.getHeight(), "a row per pair, under the title and the t labels");
    }

    @Test
    void inpainting_raises_log_p_and_keeps_every_known_pixel(@TempDir Path dir) throws IOException {
        for (String mask : new String[] {"top", "random75", "middle-v"}) {
            Map<String, Object> o = ok(run(
                    "inpaint",
                    "--checkpoint",
                    images,
                    "--data-dir",
                    data.toString(),
                    "--mask",
                    mask,
                    "--iterations",
                    "15",
                    "--n",
                    "3",
                    "--out",
                    dir.resolve(mask + ".png").toString(),
                    "--json"));
            assertEquals(mask, o.get("mask"));
            assertEquals(0.0, o.get("known_pixels_changed"), mask);
            assertTrue((Double) o.get("mean_log_p_after") > (Double) o.get("mean_log_p_before"), o.toString());
            List<?> rows = (List<?>) o.get("images");
            assertEquals(3, rows.size());
            for (Object row : rows) {
                Map<?, ?> r = (Map<?, ?>) row;
                assertTrue((Double) r.get("log_p_after") > (Double) r.get("log_p_before"), mask + ": " + r);
                assertTrue((Double) r.get("bits_per_dim_after") < (Double) r.get("bits_per_dim_before"), r.toString());
            }
            BufferedImage img = picture(o);
            assertEquals(gridHeight(3, true), img.getHeight(), "a row per image");
            int missing = 0;
            for (int y = 0; y < img.getHeight(); y++) {
                for (int x = 0; x < img.getWidth(); x++) {
                    missing += (img.getRGB(x, y) & 0xffffff) == ImageGrid.MISSING_COLOUR ? 1 : 0;
                }
            }
            double fraction = (Double) o.get("missing_fraction");
            assertEquals(3 * 84 * 84 * fraction, missing, 1.0, mask + ": the masked column shows the missing pixels");
        }
    }

    @Test
    void manipulation_moves_images_of_one_label_by_each_alpha(@TempDir Path dir) throws IOException {
        Map<String, Object> o = ok(run(
                "manipulate",
                "--checkpoint",
                images,
                "--data-dir",
                data.toString(),
                "--from-label",
                "0",
                "--to-label",
                "2",
                "--alphas",
                "-1,0,0.5,1",
                "--n",
                "2",
                "--out",
                dir.resolve("m.png").toString(),
                "--json"));
        assertEquals(Map.of("index", 0.0, "name", "0"), o.get("from_label"));
        assertEquals(List.of(-1.0, 0.0, 0.5, 1.0), o.get("alphas"));
        assertEquals(2.0, o.get("n"));
        assertEquals(8.0, o.get("examples_from"), "24 test images, every third of label 0");
        assertTrue((Double) o.get("direction_norm") > 0);
        BufferedImage img = picture(o);
        assertTrue(img.getWidth() >= 4 * 84 + 3 * 3 + 20, "a column per alpha: " + img.getWidth());
        assertEquals(gridHeight(2, true), img.getHeight(), "a row per image");
        for (Object i : (List<?>) o.get("indices")) {
            assertEquals(0, ((Double) i).intValue() % 3, "images of the from-label");
        }
    }

    @Test
    void labels_are_indices_or_names_in_any_case() {
        List<String> fashion = IdxImagesFactory.FASHION_MNIST_CLASSES;
        assertEquals(7, ManipulateCommand.label("sneaker", fashion, "fashion-mnist"));
        assertEquals(7, ManipulateCommand.label("7", fashion, "fashion-mnist"));
        assertEquals(9, ManipulateCommand.label("ANKLE BOOT", fashion, "fashion-mnist"));
        assertEquals(9, ManipulateCommand.label("ankle-boot", fashion, "fashion-mnist"));
        assertEquals(0, ManipulateCommand.label("t-shirt", fashion, "fashion-mnist"));
        assertEquals(0, ManipulateCommand.label("T-shirt/top", fashion, "fashion-mnist"));
        assertEquals(3, ManipulateCommand.label(" 3 ", IdxImagesFactory.MNIST_CLASSES, "mnist"));
        UsageException e =
                assertThrows(UsageException.class, () -> ManipulateCommand.label("boot", fashion, "fashion-mnist"));
        assertTrue(
                e.getMessage().contains("unknown label 'boot'")
                        && e.getMessage().contains("7 Sneaker")
                        && e.getMessage().contains("9 Ankle boot"),
                e.getMessage());
        assertThrows(UsageException.class, () -> ManipulateCommand.label("10", fashion, "fashion-mnist"));
    }

    @Test
    void wrong_arguments_are_one_clear_line(@TempDir Path dir) throws IOException {
        String out = dir.resolve("x.png").toString();
        String d = data.toString();
        assertOneLine(
                2,
                run("inpaint", "-c", images, "--data-dir", d, "--mask", "diagonal", "--out", out),
                "unknown mask 'diagonal'",
                String.join(", ", InpaintMask.labels()));
        assertOneLine(
                2,
                run(
                        "manipulate",
                        "-c",
                        images,
                        "--data-dir",
                        d,
                        "--from-label",
                        "cat",
                        "--to-label",
                        "1",
                        "--out",
                        out),
                "unknown label 'cat'",
                "mnist's labels: 0, 1, 2, 3");
        assertOneLine(
                2,
                run("manipulate", "-c", images, "--data-dir", d, "--from-label", "1", "--to-label", "1", "--out", out),
                "both label 1");
        assertOneLine(
                2,
                run("manipulate", "-c", images, "--data-dir", d, "--from-label", "1", "--to-label", "7", "--out", out),
                "has no image of label 7");
        assertOneLine(
                1,
                run("sample", "-c", dir.resolve("none.safetensors").toString(), "--out", out),
                "none.safetensors: no such file");
        assertOneLine(
                1, run("interpolate", "-c", dir.resolve("none.safetensors").toString(), "--out", out), "no such file");
        assertOneLine(2, run("interpolate", "-c", moons, "--out", out), "works on image models", "realnvp:2d");
        assertOneLine(2, run("inpaint", "-c", moons, "--mask", "top", "--out", out), "works on image models");
        assertOneLine(
                2,
                run("manipulate", "-c", moons, "--from-label", "0", "--to-label", "1", "--out", out),
                "works on image models");
        assertOneLine(
                2,
                run("interpolate", "-c", images, "--data-dir", d, "--steps", "1", "--out", out),
                "--steps must be at least 2");
        assertOneLine(2, run("sample", "-c", images, "--n", "0", "--out", out), "--n must be at least 1");
        assertOneLine(
                2,
                run("inpaint", "-c", images, "--data-dir", d, "--mask", "top", "--n", "0", "--out", out),
                "--n must be at least 1");
        assertOneLine(2, run("sample", "-c", images, "--temperature", "-1", "--out", out), ">= 0");
        assertOneLine(
                2,
                run("sample", "-c", images, "--temperature", "1", "--temperatures", "0,1", "--out", out),
                "not both");
        assertOneLine(2, run("sample", "-c", images, "--out", dir.toString()), "is a directory");
        assertOneLine(
                2, run("sample", "-c", images, "--out", dir.resolve("x.jpg").toString()), ".png");
        assertOneLine(
                2,
                run("interpolate", "-c", images, "--data-dir", d, "--pairs", "20", "--out", out),
                "has 24 images; --pairs 20 needs 40");
        assertOneLine(
                1,
                run(
                        "interpolate",
                        "-c",
                        images,
                        "--data-dir",
                        dir.resolve("nowhere").toString(),
                        "--out",
                        out),
                "nowhere");
        assertOneLine(2, run("interpolate", "-c", images, "--data", "two-moons", "--out", out), "[2]");
        assertOneLine(2, run("sample", "--out", out), "--checkpoint");
        Path file = Files.writeString(dir.resolve("file"), "not a directory");
        assertOneLine(
                1, run("sample", "-c", images, "--out", file.resolve("x.png").toString()), "not a directory");
        assertFalse(Files.exists(Path.of(out)), "no picture written by a failed command");
        Flows4jCommandTest.Run json = run("inpaint", "-c", images, "--data-dir", d, "--mask", "nope", "--json");
        assertEquals(2, json.status());
        assertEquals(2.0, json.json().get("exit_status"));
    }

    @Test
    void help_lists_the_picture_commands() {
        Flows4jCommandTest.Run help = run("--help");
        for (String c : new String[] {"sample", "interpolate", "inpaint", "manipulate"}) {
            assertTrue(help.out().contains(c), c + " in " + help.out());
            Flows4jCommandTest.Run sub = run(c, "--help");
            assertEquals(0, sub.status(), sub.err());
            assertTrue(
                    sub.out().contains("--checkpoint")
                            && sub.out().contains("--data-dir")
                            && sub.out().contains("--backend")
                            && sub.out().contains("--json"),
                    sub.out());
        }
    }
}
