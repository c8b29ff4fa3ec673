package org.flows4j.cli.plot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotsTest {

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    /** A standard normal's log-density on a grid over bounds, bottom row first. */
    private static double[] gaussianGrid(Bounds b, int cols, int rows) {
        double[] v = new double[cols * rows];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double x = b.xMin() + (c + 0.5) * (b.xMax() - b.xMin()) / cols;
                double y = b.yMin() + (r + 0.5) * (b.yMax() - b.yMin()) / rows;
                v[r * cols + c] = -0.5 * (x * x + y * y) - Math.log(2 * Math.PI);
            }
        }
        return v;
    }

    private static float[] ring(int n) {
        float[] xy = new float[2 * n];
        for (int i = 0; i < n; i++) {
            xy[2 * i] = (float) (2 * Math.cos(2 * Math.PI * i / n));
            xy[2 * i + 1] = (float) Math.sin(2 * Math.PI * i / n);
        }
        return xy;
    }

    private static int colours(BufferedImage img) {
        Set<Integer> seen = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                seen.add(img.getRGB(x, y));
            }
        }
        return seen.size();
    }

    @Test
    void density_is_a_labelled_heat_map_with_the_density_peak_brightest(@TempDir Path dir) throws IOException {
        Bounds b = new Bounds(-4, 4, -3, 3);
        BufferedImage img = Plots.density(gaussianGrid(b, 80, 60), 80, 60, b, ring(300), "standard normal");
        // The plot area keeps the data's 4:3 aspect: 520 x 390 plus margins and the colour bar.
        assertEquals(78 + 520 + 118, img.getWidth());
        assertEquals(42 + 390 + 62, img.getHeight());
        assertTrue(colours(img) > 100, "a heat map, not a blank picture: " + colours(img) + " colours");
        int centre = img.getRGB(78 + 260, 42 + 195);
        int corner = img.getRGB(78 + 3, 42 + 3);
        assertTrue(brightness(centre) > brightness(corner) + 200, "the mode is bright, the tail dark");
        assertEquals(0xffffff, img.getRGB(2, 2) & 0xffffff, "white margin");

        Path file = dir.resolve("sub/density.png");
        Plots.writePng(img, file);
        BufferedImage back = ImageIO.read(file.toFile());
        assertEquals(img.getWidth(), back.getWidth());
        assertEquals(img.getHeight(), back.getHeight());
        try (var files = Files.list(file.getParent())) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void samples_are_two_panels_with_points_in_each() {
        Bounds b = Bounds.around(ring(500), 0.1);
        BufferedImage img = Plots.samples(ring(500), ring(400), b, "data", "samples");
        assertTrue(img.getWidth() > 2 * img.getHeight(), "two panels side by side");
        int blue = 0;
        int orange = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y) & 0xffffff;
                int r = rgb >> 16;
                int bl = rgb & 0xff;
                if (bl > r + 40) {
                    blue += x < img.getWidth() / 2 ? 1 : -1000;
                } else if (r > bl + 40) {
                    orange += x >= img.getWidth() / 2 ? 1 : -1000;
                }
            }
        }
        assertTrue(blue > 500, "data dots on the left only: " + blue);
        assertTrue(orange > 500, "sample dots on the right only: " + orange);
    }

    @Test
    void bounds_pad_the_data_and_keep_the_aspect_within_two() {
        Bounds b = Bounds.around(new float[] {0, 0, 10, 1}, 0.1);
        assertEquals(12.0, b.xMax() - b.xMin(), 1e-9);
        assertEquals(6.0, b.yMax() - b.yMin(), 1e-9, "widened to half the width");
        assertEquals(0.5, (b.yMax() + b.yMin()) / 2, 1e-9, "centred on the data");
        Bounds none = Bounds.around(new float[] {Float.NaN, 1}, 0.1);
        assertEquals(new Bounds(-1, 1, -1, 1), none);
    }

    @Test
    void ticks_are_round_numbers_inside_the_range() {
        assertArrayEquals(new double[] {-4, -2, 0, 2, 4}, Chart.ticks(-4.5, 4.4, 5), 1e-12);
        assertArrayEquals(new double[] {0.2, 0.4, 0.6}, Chart.ticks(0.15, 0.7, 3), 1e-12);
        assertEquals("0.5", Chart.format(0.5, new double[] {0, 0.5}));
        assertEquals("0", Chart.format(-0.0, new double[] {0, 2}));
        assertEquals("-10", Chart.format(-10, new double[] {-10, 0}));
    }

    private static int brightness(int rgb) {
        return ((rgb >> 16) & 0xff) + ((rgb >> 8) & 0xff) + (rgb & 0xff);
    }
}
