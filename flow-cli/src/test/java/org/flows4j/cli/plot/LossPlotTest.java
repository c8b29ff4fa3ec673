package org.flows4j.cli.plot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.flows4j.zoo.train.EvalResult;
import org.flows4j.zoo.train.ProgressListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LossPlotTest {

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    /** A decaying loss with minibatch noise, validated every 100 steps. */
    private static LossHistory run(int steps) {
        LossHistory h = new LossHistory(ProgressListener.SILENT);
        java.util.Random r = new java.util.Random(1);
        for (int s = 1; s <= steps; s++) {
            double loss = 2 + 8 * Math.exp(-s / 200.0) + 0.3 * r.nextGaussian();
            h.onStep(1 + s / 100, s, steps, loss, Double.NaN, 10);
            if (s % 100 == 0) {
                h.onEpoch(s / 100, s, new EvalResult(100, 2.1 + 8 * Math.exp(-s / 200.0), Double.NaN));
            }
        }
        return h;
    }

    @Test
    void the_history_records_and_forwards_every_event() {
        List<String> seen = new ArrayList<>();
        LossHistory h = new LossHistory(new ProgressListener() {
            @Override
            public void onStep(int epoch, long step, long totalSteps, double loss, double bitsPerDim, double rate) {
                seen.add("step " + step);
            }

            @Override
            public void onEpoch(int epoch, long step, EvalResult validation) {
                seen.add("epoch " + epoch);
            }

            @Override
            public void onCheckpoint(Path file, long step) {
                seen.add("checkpoint " + step);
            }

            @Override
            public void onMessage(String message) {
                seen.add(message);
            }
        });
        for (int s = 1; s <= 300; s++) {
            h.onStep(1, s, 300, s, Double.NaN, 1);
        }
        h.onEpoch(1, 300, new EvalResult(10, 4.5, Double.NaN));
        h.onCheckpoint(Path.of("x"), 300);
        h.onMessage("hello");
        assertEquals(300, h.steps().length);
        assertEquals(300.0, h.losses()[299]);
        assertArrayEquals(new long[] {300}, h.validationSteps());
        assertArrayEquals(new double[] {4.5}, h.validationLosses());
        assertEquals(
                List.of("step 299", "step 300", "epoch 1", "checkpoint 300", "hello"),
                seen.subList(seen.size() - 5, seen.size()));
    }

    @Test
    void the_moving_average_is_centred_and_narrows_at_the_ends() {
        double[] v = {0, 0, 3, 0, 0};
        assertArrayEquals(new double[] {0, 1, 1, 1, 0}, LossPlot.movingAverage(v, 3), 1e-12);
        assertArrayEquals(
                new double[] {2, 3, 4},
                LossPlot.movingAverage(new double[] {2, Double.NaN, 4}, 3),
                1e-12,
                "a non-finite loss is skipped, not spread");
        assertEquals(1, LossPlot.window(30));
        assertEquals(51, LossPlot.window(2000));
        assertEquals(201, LossPlot.window(1_000_000));
    }

    @Test
    void the_range_ignores_the_first_steps_and_includes_validation() {
        LossHistory h = run(1000);
        Bounds b = LossPlot.bounds(
                h.steps(),
                LossPlot.movingAverage(h.losses(), LossPlot.window(1000)),
                h.validationSteps(),
                h.validationLosses());
        assertEquals(0, b.xMin(), "a run from the start begins at step 0");
        assertEquals(1000, b.xMax());
        assertTrue(b.yMax() < 10, "the first steps' losses near 10 are clipped: " + b);
        assertTrue(b.yMin() < 2.2, b.toString());
    }

    @Test
    void the_picture_has_axes_a_training_curve_and_validation_points(@TempDir Path dir) throws Exception {
        LossHistory h = run(1000);
        BufferedImage img = LossPlot.render(h, "a run", "NLL, nats", LossPlot.SecondaryAxis.bitsPerDim(784));
        assertTrue(img.getWidth() >= 700 && img.getHeight() >= 400, img.getWidth() + "x" + img.getHeight());
        int blue = 0;
        int orange = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y) & 0xffffff;
                if (rgb == (LossPlot.TRAIN_COLOUR.getRGB() & 0xffffff)) {
                    blue++;
                } else if (rgb == (LossPlot.VALIDATION_COLOUR.getRGB() & 0xffffff)) {
                    orange++;
                }
            }
        }
        assertTrue(blue > 300, "the smoothed training curve: " + blue);
        assertTrue(orange > 50, "the validation points: " + orange);
        LossPlot.write(h, dir.resolve("loss.png"), "a run", "NLL, nats", null);
        assertTrue(java.nio.file.Files.size(dir.resolve("loss.png")) > 2000);
    }

    @Test
    void a_single_step_still_draws_and_an_empty_history_is_refused() {
        LossHistory one = new LossHistory(ProgressListener.SILENT);
        one.recordStep(1, 3.0);
        assertTrue(LossPlot.render(one, "t", "y", null).getWidth() > 0);
        LossHistory none = new LossHistory(ProgressListener.SILENT);
        assertThrows(IllegalArgumentException.class, () -> LossPlot.render(none, "t", "y", null));
        assertThrows(IllegalArgumentException.class, () -> new LossPlot.SecondaryAxis(0, 1, "x"));
        assertEquals(8.0, LossPlot.SecondaryAxis.bitsPerDim(784).apply(0), 1e-12, "nats 0 of [0,1] data is 8 bits/dim");
    }
}
