package org.flows4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code flows4j eval --per-sample FILE}: one line per sample, whose mean is the reported NLL. */
class EvalPerSampleTest {

    @Test
    void per_sample_scores_average_to_the_reported_nll(@TempDir Path dir) throws IOException {
        Flows4jCommandTest.Run train = Flows4jCommandTest.run(
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
                "--json",
                "--no-plots",
                "--threads",
                "1");
        assertEquals(0, train.status(), train.err());
        Path file = dir.resolve("rows/scores.csv");
        Flows4jCommandTest.Run eval = Flows4jCommandTest.run(
                "eval",
                "--checkpoint",
                dir.resolve("last.safetensors").toString(),
                "--limit",
                "100",
                "--batch",
                "32",
                "--per-sample",
                file.toString(),
                "--json",
                "--threads",
                "1");
        assertEquals(0, eval.status(), eval.err());
        Map<String, Object> report = eval.json();
        assertEquals(file.toString(), report.get("per_sample"));

        List<String> lines = Files.readAllLines(file);
        assertEquals("index,log_prob,x0,x1", lines.get(0), "continuous data: no bits/dim column");
        assertEquals(101, lines.size(), "a header and one line per sample");
        double sum = 0;
        for (int i = 1; i < lines.size(); i++) {
            String[] cells = lines.get(i).split(",", -1);
            assertEquals(4, cells.length, lines.get(i));
            assertEquals(i - 1, Integer.parseInt(cells[0]));
            sum += Double.parseDouble(cells[1]);
        }
        // Continuous data needs no noise: the rows are the evaluator's, batch for batch, so their
        // mean is its NLL up to float32 rounding of the evaluator's per-batch sums (FLOAT32's rtol).
        double nll = (Double) report.get("nll_nats");
        double mean = -sum / 100;
        assertTrue(Math.abs(mean - nll) <= 1e-6 + 1e-4 * Math.abs(nll), mean + " vs " + nll);
    }
}
