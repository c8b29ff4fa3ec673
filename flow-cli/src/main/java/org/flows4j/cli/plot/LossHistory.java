package org.flows4j.cli.plot;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.flows4j.zoo.train.EvalResult;
import org.flows4j.zoo.train.ProgressListener;

/**
 * Records a training run's losses for {@link LossPlot}: every step's training loss and every
 * validation, in the trainer's units (nats per example; for images, of the data scaled to
 * {@code [0, 1]}), and passes every event on to another listener (the progress bar), so the two
 * compose. Safe to read from another thread while training writes.
 */
public final class LossHistory implements ProgressListener {

    private final ProgressListener next;
    private long[] steps = new long[256];
    private double[] losses = new double[256];
    private int count;
    private long[] validationSteps = new long[16];
    private double[] validationLosses = new double[16];
    private int validationCount;
    private final List<Evaluation> evaluations = new ArrayList<>();

    /**
     * One validation as the trainer reported it, for machine-readable curves.
     *
     * @param step the updates done when it ran
     * @param trainingTime the training time used by then (null for an end-of-epoch validation of a run
     *     without a time budget or evaluation interval)
     * @param result the sample count, NLL and (images) bits per dimension
     */
    public record Evaluation(long step, Duration trainingTime, EvalResult result) {}

    /** A recorder that forwards every event to {@code next} (use {@link ProgressListener#SILENT} for none). */
    public LossHistory(ProgressListener next) {
        this.next = next;
    }

    @Override
    public void onStep(int epoch, long step, long totalSteps, double loss, double bitsPerDim, double stepsPerSecond) {
        recordStep(step, loss);
        next.onStep(epoch, step, totalSteps, loss, bitsPerDim, stepsPerSecond);
    }

    @Override
    public void onEpoch(int epoch, long step, EvalResult validation) {
        recordValidation(step, validation.nllNats());
        record(new Evaluation(step, null, validation));
        next.onEpoch(epoch, step, validation);
    }

    @Override
    public void onEvaluation(long step, Duration trainingTime, EvalResult validation) {
        recordValidation(step, validation.nllNats());
        record(new Evaluation(step, trainingTime, validation));
        next.onEvaluation(step, trainingTime, validation);
    }

    @Override
    public void onTrainingTime(Duration used, Duration budget) {
        next.onTrainingTime(used, budget);
    }

    @Override
    public void onCheckpoint(Path file, long step) {
        next.onCheckpoint(file, step);
    }

    @Override
    public void onMessage(String message) {
        next.onMessage(message);
    }

    private synchronized void record(Evaluation e) {
        evaluations.add(e);
    }

    /**
     * The validations the trainer reported during the run, in order (without one a command adds at the end).
     *
     * @return a copy of the list
     */
    public synchronized List<Evaluation> evaluations() {
        return List.copyOf(evaluations);
    }

    /** Records the training loss of {@code step}. */
    public synchronized void recordStep(long step, double loss) {
        if (count == steps.length) {
            steps = Arrays.copyOf(steps, 2 * count);
            losses = Arrays.copyOf(losses, 2 * count);
        }
        steps[count] = step;
        losses[count] = loss;
        count++;
    }

    /**
     * Records a held-out NLL after {@code step} (the trainer's per-epoch validation, or a
     * command's evaluation after a run too short to end an epoch).
     */
    public synchronized void recordValidation(long step, double nll) {
        if (validationCount == validationSteps.length) {
            validationSteps = Arrays.copyOf(validationSteps, 2 * validationCount);
            validationLosses = Arrays.copyOf(validationLosses, 2 * validationCount);
        }
        validationSteps[validationCount] = step;
        validationLosses[validationCount] = nll;
        validationCount++;
    }

    /** The recorded steps, in order. */
    public synchronized long[] steps() {
        return Arrays.copyOf(steps, count);
    }

    /** The training loss at each of {@link #steps()}. */
    public synchronized double[] losses() {
        return Arrays.copyOf(losses, count);
    }

    /** The steps after which a validation was recorded. */
    public synchronized long[] validationSteps() {
        return Arrays.copyOf(validationSteps, validationCount);
    }

    /** The validation NLL at each of {@link #validationSteps()}. */
    public synchronized double[] validationLosses() {
        return Arrays.copyOf(validationLosses, validationCount);
    }

    /** Whether no step was recorded. */
    public synchronized boolean isEmpty() {
        return count == 0;
    }
}
