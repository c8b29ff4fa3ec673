package org.flows4j.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.flows4j.zoo.train.EvalResult;
import org.flows4j.zoo.train.ProgressListener;

/**
 * Training progress on stderr: epoch, step, a bar, the loss, bits per dimension (images), the
 * rate and the time left (for a run with a time budget, the training time left of it, the
 * bar filled by the budget used). On a terminal the line is redrawn in place up to ten times a
 * second; into a file or pipe a whole line is written every {@value #LINE_SECONDS} seconds and
 * at the end, so logs stay short. The loss shown is an exponential moving average over about
 * the last fifty steps, since single minibatch losses are too noisy to read.
 */
final class ProgressBar implements ProgressListener {

    static final int LINE_SECONDS = 10;
    private static final int WIDTH = 24;
    private static final double SMOOTHING = 0.04;
    private static final int WARM_STEPS = 5;

    private final PrintStream err;
    private final boolean interactive;
    private final boolean verbose;
    private final long intervalNanos;
    private long lastDraw = Long.MIN_VALUE;
    private double loss = Double.NaN;
    private double bits = Double.NaN;
    private EvalResult validation;
    private int drawnLength;
    private boolean lineOpen;
    private String lastLine;
    private Duration used;
    private Duration budget;

    ProgressBar(Terminal terminal, boolean verbose) {
        this.err = terminal.err();
        this.interactive = terminal.interactive();
        this.verbose = verbose;
        this.intervalNanos = interactive ? 100_000_000L : LINE_SECONDS * 1_000_000_000L;
    }

    @Override
    public synchronized void onStep(
            int epoch, long step, long totalSteps, double stepLoss, double bitsPerDim, double stepsPerSecond) {
        loss = Double.isNaN(loss) || !Double.isFinite(stepLoss) ? stepLoss : loss + SMOOTHING * (stepLoss - loss);
        bits = Double.isNaN(bits) || !Double.isFinite(bitsPerDim) ? bitsPerDim : bits + SMOOTHING * (bitsPerDim - bits);
        long now = System.nanoTime();
        boolean last = budget != null ? used.compareTo(budget) >= 0 : step >= totalSteps;
        if (last || lastDraw == Long.MIN_VALUE || now - lastDraw >= intervalNanos) {
            lastDraw = now;
            draw(line(epoch, step, totalSteps, stepsPerSecond));
        }
    }

    @Override
    public synchronized void onEpoch(int epoch, long step, EvalResult result) {
        validation = result;
        if (verbose) {
            message(String.format(Locale.ROOT, "epoch %d (step %d): validation NLL %s", epoch, step, describe(result)));
        }
    }

    @Override
    public synchronized void onTrainingTime(Duration trainingTime, Duration runBudget) {
        used = trainingTime;
        budget = runBudget;
    }

    @Override
    public synchronized void onEvaluation(long step, Duration trainingTime, EvalResult result) {
        validation = result;
        if (verbose) {
            message(String.format(
                    Locale.ROOT,
                    "step %d (%s of training): validation NLL %s",
                    step,
                    duration(trainingTime.toMillis() / 1e3),
                    describe(result)));
        }
    }

    @Override
    public synchronized void onCheckpoint(Path file, long step) {
        if (verbose) {
            message("checkpoint " + file + " at step " + step);
        }
    }

    @Override
    public synchronized void onMessage(String message) {
        message(message);
    }

    /** Ends the bar's line, so what follows starts on a fresh one. */
    synchronized void finish() {
        if (lineOpen) {
            err.println();
            lineOpen = false;
            drawnLength = 0;
        }
        err.flush();
    }

    /** The last progress line drawn, or null (for tests). */
    synchronized String lastLine() {
        return lastLine;
    }

    static String describe(EvalResult r) {
        String s = String.format(Locale.ROOT, "%.4f nats (n=%d)", r.nllNats(), r.n());
        return r.hasBitsPerDim() ? s + String.format(Locale.ROOT, ", %.4f bits/dim", r.bitsPerDim()) : s;
    }

    private String line(int epoch, long step, long total, double rate) {
        boolean timed = budget != null;
        double f = timed
                ? Math.min(1, (double) used.toNanos() / budget.toNanos())
                : total > 0 ? Math.min(1, (double) step / total) : 0;
        int filled = (int) Math.round(f * WIDTH);
        StringBuilder b = new StringBuilder();
        b.append(
                timed
                        ? String.format(Locale.ROOT, "epoch %d  step %d [", epoch, step)
                        : String.format(Locale.ROOT, "epoch %d  step %d/%d [", epoch, step, total));
        b.append("=".repeat(Math.max(0, filled - 1))).append(filled > 0 ? (filled == WIDTH ? "=" : ">") : "");
        b.append(" ".repeat(WIDTH - filled)).append(String.format(Locale.ROOT, "] %3d%%", Math.round(100 * f)));
        b.append(String.format(Locale.ROOT, "  loss %.4f", loss));
        if (Double.isFinite(bits)) {
            b.append(String.format(Locale.ROOT, "  %.3f bits/dim", bits));
        }
        // The first steps include class loading and JIT compilation: their rate says nothing.
        if (step >= WARM_STEPS && rate > 0 && Double.isFinite(rate)) {
            b.append(
                    rate >= 10
                            ? String.format(Locale.ROOT, "  %.0f steps/s", rate)
                            : String.format(Locale.ROOT, "  %.2f steps/s", rate));
            if (!timed) {
                b.append("  ETA ").append(duration((total - step) / rate));
            }
        }
        if (timed) {
            b.append("  left ").append(duration(Math.max(0, budget.minus(used).toMillis()) / 1e3));
        }
        if (validation != null) {
            b.append(
                    validation.hasBitsPerDim()
                            ? String.format(Locale.ROOT, "  val %.3f bits/dim", validation.bitsPerDim())
                            : String.format(Locale.ROOT, "  val NLL %.4f", validation.nllNats()));
        }
        return b.toString();
    }

    /** {@code m:ss} or {@code h:mm:ss}. */
    static String duration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) {
            return "?";
        }
        long s = Math.round(seconds);
        return s >= 3600
                ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    private void draw(String line) {
        lastLine = line;
        if (interactive) {
            // Pad with spaces over what the previous, longer line left behind.
            err.print("\r" + line + " ".repeat(Math.max(0, drawnLength - line.length())));
            drawnLength = line.length();
            lineOpen = true;
        } else {
            err.println(line);
        }
        err.flush();
    }

    private void message(String m) {
        finish();
        err.println(m);
        err.flush();
    }
}
