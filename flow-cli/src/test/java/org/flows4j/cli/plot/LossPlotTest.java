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
    void the_moving_median_is_centred_narrows_at_the_ends_and_ignores_one_step() {
        double[] v = {0, 0, 3, 0, 0};
        assertArrayEquals(new double[] {0, 0, 0, 0, 0}, LossPlot.movingMedian(v, 3), 1e-12, "one step moves nothing");
        assertArrayEquals(
                new double[] {1.5, 2, 3, 4, 4.5},
                LossPlot.movingMedian(new double[] {1, 2, 3, 4, 5}, 3),
                1e-12,
                "a trend is followed; two values at an end give their mean");
        assertArrayEquals(
                new double[] {2, 3, 4},
                LossPlot.movingMedian(new double[] {2, Double.NaN, 4}, 3),
                1e-12,
                "a non-finite loss is skipped, not spread");
        double[] noisy = new double[500];
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < noisy.length; i++) {
            noisy[i] = r.nextInt(7) - 3 + (i % 97 == 0 ? Double.NaN : 0);
        }
        double[] m = LossPlot.movingMedian(noisy, 21);
        for (int i = 0; i < noisy.length; i++) {
            double[] w = java.util.Arrays.stream(noisy, Math.max(0, i - 10), Math.min(noisy.length, i + 11))
                    .filter(Double::isFinite)
                    .sorted()
                    .toArray();
            double expected = w.length % 2 == 1 ? w[w.length / 2] : (w[w.length / 2 - 1] + w[w.length / 2]) / 2;
            assertEquals(expected, m[i], 1e-12, "the sliding window, with ties, at " + i);
        }
        assertEquals(1, LossPlot.window(30));
        assertEquals(51, LossPlot.window(2000));
        assertEquals(201, LossPlot.window(1_000_000));
    }

    @Test
    void the_range_ignores_the_first_steps_and_includes_validation() {
        LossHistory h = run(1000);
        Bounds b = LossPlot.bounds(
                h.steps(),
                LossPlot.movingMedian(h.losses(), LossPlot.window(1000)),
                h.validationSteps(),
                h.validationLosses());
        assertEquals(0, b.xMin(), "a run from the start begins at step 0");
        assertEquals(1000, b.xMax());
        assertTrue(b.yMax() < 10, "the first steps' losses near 10 are clipped: " + b);
        assertTrue(b.yMin() < 2.2, b.toString());
    }

    @Test
    void one_batch_scored_far_off_neither_lifts_the_curve_nor_the_range() {
        LossHistory h = run(1000);
        LossHistory spiked = new LossHistory(ProgressListener.SILENT);
        for (int i = 0; i < h.steps().length; i++) {
            spiked.recordStep(h.steps()[i], i == 600 ? 1.4e16 : h.losses()[i]);
        }
        double[] smooth = LossPlot.movingMedian(spiked.losses(), LossPlot.window(1000));
        Bounds b = LossPlot.bounds(spiked.steps(), smooth, h.validationSteps(), h.validationLosses());
        assertTrue(b.yMax() < 10, "the range is the run's, not the one step's: " + b);
        assertTrue(smooth[600] < 10, "the curve at the step: " + smooth[600]);
        assertEquals(1.4e16, LossPlot.offScale(spiked.losses(), b), "the legend reports the step");
        Bounds plain = LossPlot.bounds(
                h.steps(),
                LossPlot.movingMedian(h.losses(), LossPlot.window(1000)),
                h.validationSteps(),
                h.validationLosses());
        assertTrue(
                Double.isNaN(LossPlot.offScale(h.losses(), plain)),
                "the first steps, above the frame by design, are not reported");
        BufferedImage img = LossPlot.render(spiked, "a run", "NLL, nats", LossPlot.SecondaryAxis.bitsPerDim(784));
        assertTrue(img.getWidth() > 0);
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
