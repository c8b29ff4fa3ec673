package org.flows4j.layers.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Component;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.optim.ExponentialMovingAverage;
import org.flows4j.layers.optim.Optimizer;

/**
 * Moves a checkpoint's tensors into a model and an optimizer all or nothing: every name,
 * shape and dtype is checked against the header first, then every new value is made on the
 * backend of the value it replaces, then the optimizer takes its state (it checks again),
 * and the moving average its averages, and only then are the model's slots set, which cannot
 * fail any more. A failure at any step before the last frees what was made and leaves model,
 * optimizer and average as they were.
 *
 * <p>With {@code averaged}, each trainable parameter is set from its average
 * ({@code ema.<name>}) instead of its trained value; state slots come from {@code model.<name>}
 * as always.
 */
final class Restorer {

    /** How many names a message lists before it only counts the rest. */
    private static final int LISTED_NAMES = 10;

    /** Where the data comes from: the file itself, or a checkpoint already in memory. */
    interface Source {
        /** A new tensor holding the stored tensor {@code name} on {@code backend}, owned by the caller. */
        Tensor read(String name, Backend backend) throws IOException;
    }

    private Restorer() {}

    static void restore(CheckpointInfo info, Source source, Component model, Optimizer optimizer) {
        restore(info, source, model, optimizer, null, false);
    }

    static void restore(
            CheckpointInfo info,
            Source source,
            Component model,
            Optimizer optimizer,
            ExponentialMovingAverage ema,
            boolean averaged) {
        Map<String, Parameter> variables = model.variables();
        // Copies of the optimizer's state, for their names, shapes and backends: freed on the way out.
        Map<String, Tensor> optimizerState = optimizer == null ? Map.of() : optimizer.state();
        try {
            check(info, variables, optimizer, optimizerState, ema, averaged);
            restoreChecked(info, source, variables, optimizer, optimizerState, ema, averaged);
        } finally {
            optimizerState.values().forEach(t -> {
                if (!t.isFreed()) {
                    t.free();
                }
            });
        }
    }

    private static void restoreChecked(
            CheckpointInfo info,
            Source source,
            Map<String, Parameter> variables,
            Optimizer optimizer,
            Map<String, Tensor> optimizerState,
            ExponentialMovingAverage ema,
            boolean averaged) {
        Path file = info.file();

        List<Tensor> made = new ArrayList<>();
        List<Parameter> slots = new ArrayList<>();
        List<Tensor> values = new ArrayList<>();
        String reading = null;
        try {
            for (Map.Entry<String, Parameter> e : variables.entrySet()) {
                String averageName = Checkpoints.AVERAGES_PREFIX + e.getKey();
                reading = averaged && e.getValue().trainable() && info.tensors().containsKey(averageName)
                        ? averageName
                        : Checkpoints.MODEL_PREFIX + e.getKey();
                Tensor t = source.read(reading, e.getValue().value().backend());
                made.add(t);
                slots.add(e.getValue());
                values.add(t);
            }
            if (optimizer != null) {
                Map<String, Tensor> state = new LinkedHashMap<>();
                for (Map.Entry<String, Tensor> e : optimizerState.entrySet()) {
                    reading = Checkpoints.OPTIMIZER_PREFIX + e.getKey();
                    // The optimizer keeps these: out of every scope, so a caller's scope cannot free them.
                    Tensor t = source.read(reading, e.getValue().backend()).unscoped();
                    made.add(t);
                    state.put(e.getKey(), t);
                }
                reading = null;
                try {
                    optimizer.loadState(state, info.optimizerSteps().orElseThrow());
                } catch (IllegalArgumentException rejected) {
                    throw new CheckpointException(
                            file,
                            "the optimizer rejected the stored state (nothing was loaded): " + rejected.getMessage(),
                            rejected);
                }
            }
            if (ema != null) {
                Map<String, Tensor> averages = new LinkedHashMap<>();
                for (Map.Entry<String, Parameter> e : ema.parameters().entrySet()) {
                    reading = Checkpoints.AVERAGES_PREFIX + e.getKey();
                    Tensor t =
                            source.read(reading, e.getValue().value().backend()).unscoped();
                    made.add(t);
                    averages.put(e.getKey(), t);
                }
                reading = null;
                try {
                    ema.loadAverages(averages, info.emaUpdates().orElseThrow());
                } catch (IllegalArgumentException | IllegalStateException rejected) {
                    throw new CheckpointException(
                            file,
                            "the moving average rejected the stored averages (nothing " + "was loaded): "
                                    + rejected.getMessage(),
                            rejected);
                }
                // loadAverages keeps copies
                averages.values().forEach(Tensor::free);
            }
        } catch (IOException | RuntimeException e) {
            made.forEach(t -> {
                if (!t.isFreed()) {
                    t.free();
                }
            });
            if (e instanceof CheckpointException c) {
                throw c;
            }
            throw new CheckpointException(
                    file,
                    "cannot read " + (reading == null ? "the data" : "tensor '" + reading + "'")
                            + " (nothing was loaded): " + e.getMessage(),
                    e);
        }
        for (int i = 0; i < slots.size(); i++) {
            slots.get(i).set(values.get(i));
            values.get(i).free(); // the slot holds its own reference to the storage
        }
    }

    /** Throws naming every difference between the checkpoint and the model or optimizer. */
    private static void check(
            CheckpointInfo info,
            Map<String, Parameter> variables,
            Optimizer optimizer,
            Map<String, Tensor> optimizerState,
            ExponentialMovingAverage ema,
            boolean averaged) {
        Map<String, CheckpointInfo.TensorSpec> stored = info.tensors();
        List<String> missing = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        variables.forEach((k, p) ->
                compare(Checkpoints.MODEL_PREFIX + k, p.dtype(), p.shape(), "model", stored, missing, mismatched));
        boolean withOptimizer = optimizer != null && info.optimizerSteps().isPresent();
        if (optimizer != null && !withOptimizer) {
            problems.add("it holds no optimizer state (it was saved without an optimizer); "
                    + "restore the model alone by passing no optimizer");
        }
        if (withOptimizer) {
            optimizerState.forEach((k, t) -> compare(
                    Checkpoints.OPTIMIZER_PREFIX + k, t.dtype(), t.shape(), "optimizer", stored, missing, mismatched));
        }
        boolean withAverages = ema != null && info.emaUpdates().isPresent();
        if (ema != null && !withAverages) {
            problems.add("it holds no moving averages (it was saved without them); restore without one");
        }
        if (withAverages) {
            ema.parameters()
                    .forEach((k, p) -> compare(
                            Checkpoints.AVERAGES_PREFIX + k,
                            p.dtype(),
                            p.shape(),
                            "moving average",
                            stored,
                            missing,
                            mismatched));
        }
        if (averaged) {
            if (info.emaUpdates().isEmpty()) {
                problems.add("it holds no moving averages of the weights (trained without EMA); load the raw weights");
            } else {
                variables.forEach((k, p) -> {
                    if (p.trainable()) {
                        compare(
                                Checkpoints.AVERAGES_PREFIX + k,
                                p.dtype(),
                                p.shape(),
                                "model",
                                stored,
                                missing,
                                mismatched);
                    }
                });
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String name : stored.keySet()) {
            if (name.startsWith(Checkpoints.MODEL_PREFIX)) {
                if (!variables.containsKey(name.substring(Checkpoints.MODEL_PREFIX.length()))) {
                    unexpected.add(name);
                }
            } else if (name.startsWith(Checkpoints.OPTIMIZER_PREFIX)) {
                // Without an optimizer the optimizer's state is simply not wanted (evaluation).
                if (withOptimizer
                        && !optimizerState.containsKey(name.substring(Checkpoints.OPTIMIZER_PREFIX.length()))) {
                    unexpected.add(name);
                }
            } else if (name.startsWith(Checkpoints.AVERAGES_PREFIX)) {
                String key = name.substring(Checkpoints.AVERAGES_PREFIX.length());
                // Averages are wanted only by a moving average or an averaged load.
                if ((withAverages && !ema.parameters().containsKey(key))
                        || (averaged
                                && !withAverages
                                && !(variables.containsKey(key)
                                        && variables.get(key).trainable()))) {
                    unexpected.add(name);
                }
            } else {
                unexpected.add(name);
            }
        }
        if (!missing.isEmpty()) {
            problems.add("missing " + names(missing));
        }
        if (!unexpected.isEmpty()) {
            problems.add("unexpected " + names(unexpected));
        }
        problems.addAll(mismatched.subList(0, Math.min(mismatched.size(), LISTED_NAMES)));
        if (mismatched.size() > LISTED_NAMES) {
            problems.add("and " + (mismatched.size() - LISTED_NAMES) + " more tensors differ in shape or dtype");
        }
        if (!problems.isEmpty()) {
            String what = optimizer == null ? "the model" : "the model and optimizer";
            if (ema != null) {
                what += " and moving average";
            }
            throw new CheckpointException(
                    info.file(), "does not match " + what + " (nothing was loaded): " + String.join("; ", problems));
        }
    }

    private static void compare(
            String name,
            DType dtype,
            Shape shape,
            String owner,
            Map<String, CheckpointInfo.TensorSpec> stored,
            List<String> missing,
            List<String> mismatched) {
        CheckpointInfo.TensorSpec s = stored.get(name);
        if (s == null) {
            missing.add(name);
        } else if (s.dtype() != dtype || !s.shape().equals(shape)) {
            mismatched.add(name + ": checkpoint has " + s.shape() + " "
                    + s.dtype().label() + ", " + owner + " expects " + shape + " " + dtype.label());
        }
    }

    private static String names(List<String> names) {
        String listed = String.join(", ", names.subList(0, Math.min(names.size(), LISTED_NAMES)));
        return names.size() > LISTED_NAMES ? listed + " and " + (names.size() - LISTED_NAMES) + " more" : listed;
    }
}
