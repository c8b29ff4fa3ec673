package org.flows4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.flows4j.zoo.train.EvalResult;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

    @Test
    void a_pipe_gets_whole_lines_the_first_and_the_last_step() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            ProgressBar bar = new ProgressBar(new Terminal(System.out, err, false), false);
            for (int s = 1; s <= 100; s++) {
                bar.onStep(s / 50 + 1, s, 100, 3.0, 4.5, 20);
            }
            bar.onEpoch(2, 100, new EvalResult(10, 1.25, 3.5));
            bar.finish();
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        String[] lines = out.lines().toArray(String[]::new);
        assertEquals(2, lines.length, out);
        assertFalse(out.contains("\r"), "no carriage returns into a pipe");
        assertTrue(lines[0].startsWith("epoch 1  step 1/100 ["), lines[0]);
        assertTrue(lines[1].contains("step 100/100 [========================] 100%"), lines[1]);
        assertTrue(
                lines[1].contains("loss 3.0000")
                        && lines[1].contains("4.500 bits/dim")
                        && lines[1].contains("20 steps/s")
                        && lines[1].contains("ETA 0:00"),
                lines[1]);
    }

    @Test
    void a_terminal_gets_one_line_redrawn_in_place() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            ProgressBar bar = new ProgressBar(new Terminal(System.out, err, true), false);
            bar.onStep(1, 1, 10, 2.0, Double.NaN, 5);
            bar.onStep(1, 10, 10, 2.0, Double.NaN, 5);
            bar.finish();
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("\repoch 1  step 1/10"), out);
        assertTrue(out.contains("\repoch 1  step 10/10"), out);
        assertTrue(out.endsWith("\n"), "finish() ends the line");
        assertFalse(out.contains("bits/dim"), "no bits/dim for continuous data");
    }

    @Test
    void durations_read_as_clock_times() {
        assertEquals("0:05", ProgressBar.duration(4.6));
        assertEquals("2:05", ProgressBar.duration(125));
        assertEquals("1:00:01", ProgressBar.duration(3601));
        assertEquals("?", ProgressBar.duration(Double.POSITIVE_INFINITY));
    }
}
