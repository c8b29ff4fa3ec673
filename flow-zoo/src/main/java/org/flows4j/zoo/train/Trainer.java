package org.flows4j.zoo.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.bijectors.Dequantization;
import org.flows4j.layers.io.CheckpointException;
import org.flows4j.layers.io.CheckpointInfo;
import org.flows4j.layers.io.Checkpoints;
import org.flows4j.layers.optim.Adam;
import org.flows4j.layers.optim.GradientClipping;
import org.flows4j.layers.optim.LearningRateSchedule;
import org.flows4j.layers.optim.Optimizer;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.ZooModel;

/**
 * Minibatch maximum-likelihood training of a zoo model with Adam, linear warmup and gradient
 * clipping; validation after every epoch; a checkpoint ({@code outDir/last.safetensors}) after
 * every epoch, at the end and when stopped on request.
 *
 * <p><b>Determinism.</b> The batch order of epoch {@code e} is a permutation drawn from a source
 * derived from the seed and {@code e} alone, and dequantization noise comes from one source
 * whose state every checkpoint stores. A run resumed from a checkpoint therefore takes exactly
 * the steps the uninterrupted run would have taken.
 *
 * <p><b>Failure.</b> A NaN or infinite loss or gradient norm stops training with a
 * {@link TrainingException} naming the step; nothing is written then, so the last good
 * checkpoint stays.
 *
 * <p>Single-threaded: call {@link #train()} or {@link #resume} once, on one thread;
 * {@link #requestStop()} may come from any thread (a shutdown hook).
 */
@SuppressWarnings("try") // memory scopes are opened for their close()
public final class Trainer {

    /** The checkpoint file name inside the output directory. */
    public static final String CHECKPOINT = "last.safetensors";
    /** At most this many validation samples are evaluated per epoch. */
    static final int MAX_VALIDATION = 10_000;

    private final ZooModel model;
    private final Dataset data;
    private final TrainConfig config;
    private final ProgressListener listener;
    private final Map<String, Parameter> parameters;
    private final Adam optimizer;
    private final int stepsPerEpoch;
    private final long totalSteps;
    private final Path checkpoint;
    private final boolean images;
    private final int dims;
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean stopRequested;
    private RandomSource noise;

    /** A trainer of {@code model} on {@code data}; nothing runs until {@link #train()} or {@link #resume}. */
    public Trainer(ZooModel model, Dataset data, TrainConfig config, ProgressListener listener) {
        if (!model.eventShape().equals(data.eventShape())) {
            throw new IllegalArgumentException("the model " + model.spec() + " was built for samples of shape "
                    + model.eventShape() + " but " + data.name() + " has samples of shape " + data.eventShape());
        }
        if (data.train().size() == 0) {
            throw new IllegalArgumentException("the training split of " + data.name() + " is empty");
        }
        this.model = model;
        this.data = data;
        this.config = config;
        this.listener = listener;
        this.parameters = model.flow().parameters();
        this.stepsPerEpoch = Math.max(1, data.train().size() / config.batchSize());
        this.totalSteps = config.steps() > 0 ? config.steps() : (long) config.epochs() * stepsPerEpoch;
        this.optimizer = new Adam(parameters, LearningRateSchedule.linearWarmup(config.learningRate(),
                Math.max(1, config.warmupSteps())));
        this.checkpoint = config.outDir().resolve(CHECKPOINT);
        this.images = model.kind() == Dataset.Kind.IMAGE_8BIT;
        this.dims = model.eventShape().size();
    }

    /** The planned number of optimizer steps. */
    public long totalSteps() {
        return totalSteps;
    }

    /** Steps per epoch: whole batches of the training split. */
    public int stepsPerEpoch() {
        return stepsPerEpoch;
    }

    /** Trains a fresh model: data-dependent initialization on the first batch, then every step. */
    public TrainResult train() {
        noise = RandomSource.seeded(config.seed()).split();
        if (!model.flow().isInitialized()) {
            int n = Math.min(data.train().size(), Math.max(config.batchSize(), 256));
            try (MemoryScope scope = MemoryScope.open()) {
                model.flow().initialize(batch(epochOrder(1), 0, n));
            }
        }
        return run(0);
    }

    /**
     * Restores parameters, optimizer state, the step and the noise state from a checkpoint
     * this trainer's model wrote, then continues to {@link #totalSteps()}.
     */
    public TrainResult resume(Path from) {
        CheckpointInfo info = Checkpoints.load(from, model.flow(), optimizer);
        noise = info.metadata().randomSource().orElseThrow(() -> new CheckpointException(from,
                "it stores no random state, so training cannot continue exactly"));
        long step = info.metadata().step();
        if (optimizer.steps() != step) {
            throw new CheckpointException(from, "its optimizer has done " + optimizer.steps() + " steps but it says step "
                    + step);
        }
        listener.onMessage("resuming from " + from + " at step " + step + " of " + totalSteps);
        return run(step);
    }

    /** Asks a running {@link #train()} to stop after the current step and write its checkpoint. */
    public void requestStop() {
        stopRequested = true;
    }

    /** Waits until training has finished (or failed), at most {@code timeout}; for shutdown hooks. */
    public boolean awaitFinish(long timeout, TimeUnit unit) throws InterruptedException {
        return finished.await(timeout, unit);
    }

    private TrainResult run(long startStep) {
        try {
            Files.createDirectories(config.outDir());
            EvalResult validation = null;
            int[] order = null;
            int orderEpoch = -1;
            long step = startStep;
            long started = System.nanoTime();
            boolean stopped = false;
            while (step < totalSteps) {
                int epoch = (int) (step / stepsPerEpoch) + 1;
                int within = (int) (step % stepsPerEpoch);
                if (epoch != orderEpoch) {
                    order = epochOrder(epoch);
                    orderEpoch = epoch;
                }
                double loss = step(order, within, step + 1);
                step++;
                double rate = (step - startStep) / Math.max(1e-9, (System.nanoTime() - started) / 1e9);
                listener.onStep(epoch, step, totalSteps, reportedLoss(loss), bitsPerDim(loss), rate);
                boolean epochEnd = step % stepsPerEpoch == 0;
                if (epochEnd) {
                    validation = validate();
                    listener.onEpoch(epoch, step, validation);
                }
                if (epochEnd || step == totalSteps) {
                    save(step, epoch);
                } else if (stopRequested) {
                    save(step, epoch);
                }
                if (stopRequested && step < totalSteps) {
                    listener.onMessage("stopped at step " + step + "; " + checkpoint + " holds it");
                    stopped = true;
                    break;
                }
            }
            if (step == startStep) {
                save(step, (int) (step / stepsPerEpoch));
            }
            return new TrainResult(step, (int) (step / stepsPerEpoch), validation, checkpoint, stopped);
        } catch (java.io.IOException e) {
            throw new CheckpointException(checkpoint, "cannot create the output directory: " + e.getMessage(), e);
        } finally {
            finished.countDown();
        }
    }

    /** One optimizer step; returns the batch's mean negative log-likelihood in the flow's units. */
    private double step(int[] order, int within, long globalStep) {
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor x = batch(order, within * config.batchSize(), config.batchSize());
            Tensor loss = model.flow().logProb(x).mean().neg();
            double value = loss.item();
            if (!Double.isFinite(value)) {
                throw new TrainingException("the loss became " + value + " at step " + globalStep
                        + "; training stopped, and " + checkpoint + " keeps the last good state");
            }
            Map<String, Tensor> byName = Optimizer.gradients(loss, parameters);
            if (config.clipNorm() > 0) {
                GradientClipping.Clipped clipped = GradientClipping.clipByGlobalNorm(byName, config.clipNorm());
                if (!clipped.isFinite()) {
                    throw new TrainingException("the gradient norm became " + clipped.norm() + " at step " + globalStep
                            + "; training stopped, and " + checkpoint + " keeps the last good state");
                }
                byName = clipped.gradients();
            }
            optimizer.step(byName);
            return value;
        }
    }

    /** Samples {@code order[from .. from+n)} of the training split, dequantized for images. */
    private Tensor batch(int[] order, int from, int n) {
        int[] idx = new int[n];
        System.arraycopy(order, from, idx, 0, n);
        Tensor x = data.train().batch(model.backend(), model.dtype(), idx);
        return images ? Dequantization.apply(x, noise) : x;
    }

    /** The batch order of an epoch: a function of the seed and the epoch alone. */
    private int[] epochOrder(int epoch) {
        return RandomSource.seeded(config.seed() * 0x9E3779B97F4A7C15L + epoch).permutation(data.train().size());
    }

    private EvalResult validate() {
        DataSplit split = data.validation().size() > 0 ? data.validation() : data.train();
        return Evaluator.evaluate(model, split.head(MAX_VALIDATION), config.evalBatchSize(),
                RandomSource.seeded(config.seed() + 1));
    }

    private double reportedLoss(double loss) {
        return images ? loss - dims * Math.log(256) : loss;
    }

    private double bitsPerDim(double loss) {
        return images ? loss / (dims * Math.log(2)) : Double.NaN;
    }

    private void save(long step, int epoch) {
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put(ZooCheckpoints.dataKey(), data.name());
        extra.put("epoch", Integer.toString(epoch));
        extra.put("seed", Long.toString(config.seed()));
        ZooCheckpoints.save(checkpoint, model, optimizer, step, noise, extra);
        listener.onCheckpoint(checkpoint, step);
    }
}
