package org.flows4j.zoo.train;

import java.nio.file.Path;

/**
 * How to train: minibatch maximum likelihood with Adam, linear warmup, clipping by global
 * norm, evaluation on the validation split after every epoch and a checkpoint
 * ({@code outDir/last.safetensors}) after every epoch and when stopped.
 *
 * @param seed seeds shuffling, dequantization noise and (for a new model) initialization
 * @param batchSize samples per step
 * @param epochs passes over the training split (used when {@code steps == 0})
 * @param steps total optimizer steps, crossing epochs as needed (0: use {@code epochs})
 * @param learningRate Adam's peak learning rate
 * @param warmupSteps steps of linear warmup to the peak
 * @param clipNorm the global gradient norm is clipped to this (0 or less: no clipping)
 * @param evalBatchSize samples per evaluation batch
 * @param outDir where checkpoints go
 */
public record TrainConfig(long seed, int batchSize, int epochs, long steps, double learningRate, int warmupSteps,
                          double clipNorm, int evalBatchSize, Path outDir) {

    /** Validates. */
    public TrainConfig {
        if (batchSize < 1 || epochs < 0 || steps < 0 || (epochs == 0 && steps == 0)) {
            throw new IllegalArgumentException("training needs batch >= 1 and a positive number of epochs or steps; got batch "
                    + batchSize + ", epochs " + epochs + ", steps " + steps);
        }
        if (!(learningRate > 0) || warmupSteps < 0 || evalBatchSize < 1) {
            throw new IllegalArgumentException("training needs lr > 0, warmup >= 0, eval batch >= 1; got " + learningRate
                    + ", " + warmupSteps + ", " + evalBatchSize);
        }
        if (outDir == null) {
            throw new IllegalArgumentException("training needs an output directory");
        }
    }

    /** Sensible defaults: batch 64, 1 epoch, lr 1e-3 with 200 warmup steps, clip at 100, eval batch 256. */
    public static TrainConfig defaults(Path outDir) {
        return new TrainConfig(0, 64, 1, 0, 1e-3, 200, 100, 256, outDir);
    }

    /** With another seed. */
    public TrainConfig withSeed(long s) {
        return new TrainConfig(s, batchSize, epochs, steps, learningRate, warmupSteps, clipNorm, evalBatchSize, outDir);
    }

    /** With another batch size. */
    public TrainConfig withBatchSize(int b) {
        return new TrainConfig(seed, b, epochs, steps, learningRate, warmupSteps, clipNorm, evalBatchSize, outDir);
    }

    /** Training for a number of epochs. */
    public TrainConfig withEpochs(int e) {
        return new TrainConfig(seed, batchSize, e, 0, learningRate, warmupSteps, clipNorm, evalBatchSize, outDir);
    }

    /** Training for a number of steps. */
    public TrainConfig withSteps(long s) {
        return new TrainConfig(seed, batchSize, Math.max(epochs, 1), s, learningRate, warmupSteps, clipNorm,
                evalBatchSize, outDir);
    }

    /** With another peak learning rate. */
    public TrainConfig withLearningRate(double lr) {
        return new TrainConfig(seed, batchSize, epochs, steps, lr, warmupSteps, clipNorm, evalBatchSize, outDir);
    }

    /** With another warmup. */
    public TrainConfig withWarmupSteps(int w) {
        return new TrainConfig(seed, batchSize, epochs, steps, learningRate, w, clipNorm, evalBatchSize, outDir);
    }

    /** With another clipping norm. */
    public TrainConfig withClipNorm(double c) {
        return new TrainConfig(seed, batchSize, epochs, steps, learningRate, warmupSteps, c, evalBatchSize, outDir);
    }

    /** With another output directory. */
    public TrainConfig withOutDir(Path dir) {
        return new TrainConfig(seed, batchSize, epochs, steps, learningRate, warmupSteps, clipNorm, evalBatchSize, dir);
    }
}
