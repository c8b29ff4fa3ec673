package org.flows4j.cli.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.flows4j.api.Shape;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageGridTest {

    private static final Shape MNIST = Shape.of(1, 28, 28);

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    /** An image whose pixel (y, x) is {@code (y * 28 + x) % 256 + 0.5}: every level appears, at bin centres. */
    private static double[] ramp() {
        double[] v = new double[28 * 28];
        for (int i = 0; i < v.length; i++) {
            v[i] = i % 256 + 0.5;
        }
        return v;
    }

    @Test
    void tiles_are_upscaled_three_times_and_floored_pixel_for_pixel() {
        ImageGrid grid = new ImageGrid(2, 3, MNIST);
        assertEquals(3, grid.scale(), "28x28 tiles are shown at 84x84");
        double[] two = new double[2 * 784];
        System.arraycopy(ramp(), 0, two, 784, 784);
        grid.tile(1, 2, two, 784);
        BufferedImage img = grid.render();
        Rectangle a = grid.tileArea(1, 2);
        assertEquals(new Rectangle(a.x, a.y, 84, 84), a);
        assertEquals(img.getWidth(), a.x + a.width + ImageGrid.MARGIN, "the last column ends at the margin");
        assertEquals(img.getHeight(), a.y + a.height + ImageGrid.MARGIN, "the last row ends at the margin");
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                int level = (y * 28 + x) % 256;
                for (int k = 0; k < 9; k++) {
                    int rgb = img.getRGB(a.x + 3 * x + k % 3, a.y + 3 * y + k / 3) & 0xffffff;
                    assertEquals(level * 0x010101, rgb, "pixel (" + y + ", " + x + ") is grey level " + level);
                }
            }
        }
        assertEquals(10 + 3 * 84 + 2 * 3 + 10, img.getWidth(), "margins, three tiles and two gaps across");
        assertEquals(10 + 2 * 84 + 3 + 10, img.getHeight(), "margins, two tiles and a gap down");
        Rectangle empty = grid.tileArea(0, 0);
        assertEquals(0xffffff, img.getRGB(empty.x + 5, empty.y + 5) & 0xffffff, "a tile not filled stays white");
    }

    @Test
    void values_are_clamped_to_the_pixel_range_and_nan_and_missing_pixels_have_their_colours() {
        ImageGrid grid = new ImageGrid(1, 2, Shape.of(1, 2, 2));
        grid.tile(0, 0, new double[] {-40, 255.7, 1e9, Double.NaN}, 0);
        grid.tile(0, 1, new double[] {10, 20, 30, 40}, 0, new double[] {1, 0, 1, 0});
        BufferedImage img = grid.render();
        assertEquals(ImageGrid.MAX_SCALE, grid.scale(), "tiny images are enlarged at most twelve times");
        Rectangle a = grid.tileArea(0, 0);
        int s = grid.scale();
        assertEquals(0x000000, img.getRGB(a.x, a.y) & 0xffffff);
        assertEquals(0xffffff, img.getRGB(a.x + s, a.y) & 0xffffff);
        assertEquals(0xffffff, img.getRGB(a.x, a.y + s) & 0xffffff);
        assertEquals(ImageGrid.NAN_COLOUR, img.getRGB(a.x + s, a.y + s) & 0xffffff);
        Rectangle b = grid.tileArea(0, 1);
        assertEquals(10 * 0x010101, img.getRGB(b.x, b.y) & 0xffffff);
        assertEquals(ImageGrid.MISSING_COLOUR, img.getRGB(b.x + s, b.y) & 0xffffff);
        assertEquals(ImageGrid.MISSING_COLOUR, img.getRGB(b.x + s, b.y + s) & 0xffffff);
    }

    @Test
    void rgb_tiles_take_channel_planes() {
        ImageGrid grid = new ImageGrid(1, 1, Shape.of(3, 1, 1)).scale(4);
        grid.tile(0, 0, new double[] {200.5, 100.2, 50.9}, 0);
        Rectangle a = grid.tileArea(0, 0);
        assertEquals(4, a.width);
        assertEquals(0xc86432, grid.render().getRGB(a.x + 1, a.y + 1) & 0xffffff);
    }

    @Test
    void labels_make_room_and_are_drawn(@TempDir Path dir) throws IOException {
        ImageGrid plain = new ImageGrid(2, 2, MNIST);
        ImageGrid labelled = new ImageGrid(2, 2, MNIST)
                .rowLabels(List.of("T = 0.25", "T = 1"))
                .columnLabels(List.of("t = 0", "t = 1"))
                .title("a title");
        Rectangle p = plain.tileArea(0, 0);
        Rectangle l = labelled.tileArea(0, 0);
        assertTrue(l.x > p.x + 20, "row labels push the tiles right: " + l.x + " vs " + p.x);
        assertTrue(l.y > p.y + 30, "a title and column labels push them down: " + l.y + " vs " + p.y);
        labelled.writePng(dir.resolve("sub/grid.png"));
        BufferedImage img = labelled.render();
        assertEquals(img.getWidth(), labelled.width());
        assertEquals(img.getHeight(), labelled.height());
        BufferedImage back = ImageIO.read(dir.resolve("sub/grid.png").toFile());
        assertEquals(img.getWidth(), back.getWidth());
        assertEquals(img.getHeight(), back.getHeight());
        int ink = 0;
        for (int y = 0; y < l.y; y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                ink += (img.getRGB(x, y) & 0xffffff) != 0xffffff ? 1 : 0;
            }
        }
        assertTrue(ink > 50, "text above the tiles: " + ink + " inked pixels");
    }

    @Test
    void a_title_wider_than_the_grid_centres_the_grid_under_it() {
        ImageGrid grid = new ImageGrid(1, 1, MNIST).title("a title much wider than one tile of eighty-four pixels");
        BufferedImage img = grid.render();
        Rectangle a = grid.tileArea(0, 0);
        assertTrue(img.getWidth() > 200, "widened for the title: " + img.getWidth());
        int leftSpace = a.x;
        int rightSpace = img.getWidth() - a.x - a.width;
        assertTrue(Math.abs(leftSpace - rightSpace) <= 1, leftSpace + " left, " + rightSpace + " right");
    }

    @Test
    void bad_shapes_and_indices_fail_clearly() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new ImageGrid(1, 1, Shape.of(2, 4, 4)));
        assertTrue(e.getMessage().contains("[3, h, w]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ImageGrid(0, 1, MNIST));
        ImageGrid g = new ImageGrid(1, 1, MNIST);
        assertThrows(IndexOutOfBoundsException.class, () -> g.tile(1, 0, new double[784], 0));
        assertThrows(IllegalArgumentException.class, () -> g.tile(0, 0, new double[783], 0));
    }

    @Test
    void number_labels_are_compact() {
        assertEquals(
                List.of("T = 0", "T = 0.25", "T = 1", "T = -0.5", "T = 0.143"),
                ImageGrid.numberLabels("T = ", new double[] {0, 0.25, 1.0, -0.5, 1.0 / 7}));
        assertEquals("0", ImageGrid.compact(-0.0));
    }
}
