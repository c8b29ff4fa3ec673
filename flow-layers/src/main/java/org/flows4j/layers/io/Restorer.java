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
import org.flows4j.layers.optim.Optimizer;

/**
 * Moves a checkpoint's tensors into a model and an optimizer all or nothing: every name,
 * shape and dtype is checked against the header first, then every new value is made on the
 * backend of the value it replaces, then the optimizer takes its state (it checks again),
 * and only then are the model's slots set, which cannot fail any more. A failure at any step
 * before the last frees what was made and leaves model and optimizer as they were.
 */
final class Restorer {

    /** How many names a message lists before it only counts the rest. */
    private static final int LISTED_NAMES = 10;

    /** Where the data comes from: the file itself, or a checkpoint already in memory. */
    interface Source {
        /** A new tensor holding the stored tensor {@code name} on {@code backend}, owned by the caller. */
        Tensor read(String name, Backend backend) throws IOException;
    }

    private Restorer() {
    }

    static void restore(CheckpointInfo info, Source source, Component model, Optimizer optimizer) {
        Path file = info.file();
        Map<String, Parameter> variables = model.variables();
        Map<String, Tensor> optimizerState = optimizer == null ? Map.of() : optimizer.state();
        check(info, variables, optimizer, optimizerState);

        List<Tensor> made = new ArrayList<>();
        List<Parameter> slots = new ArrayList<>();
        List<Tensor> values = new ArrayList<>();
        String reading = null;
        try {
            for (Map.Entry<String, Parameter> e : variables.entrySet()) {
                reading = Checkpoints.MODEL_PREFIX + e.getKey();
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
                    throw new CheckpointException(file, "the optimizer rejected the stored state (nothing was loaded): "
                            + rejected.getMessage(), rejected);
                }
            }
        } catch (IOException | RuntimeException e) {
            made.forEach(Tensor::free);
            if (e instanceof CheckpointException c) {
                throw c;
            }
            throw new CheckpointException(file, "cannot read " + (reading == null ? "the data" : "tensor '" + reading + "'")
                    + " (nothing was loaded): " + e.getMessage(), e);
        }
        for (int i = 0; i < slots.size(); i++) {
            slots.get(i).set(values.get(i));
            values.get(i).free(); // the slot holds its own reference to the storage
        }
    }

    /** Throws naming every difference between the checkpoint and the model or optimizer. */
    private static void check(CheckpointInfo info, Map<String, Parameter> variables, Optimizer optimizer,
                              Map<String, Tensor> optimizerState) {
        Map<String, CheckpointInfo.TensorSpec> stored = info.tensors();
        List<String> missing = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        variables.forEach((k, p) -> compare(Checkpoints.MODEL_PREFIX + k, p.dtype(), p.shape(), "model",
                stored, missing, mismatched));
        boolean withOptimizer = optimizer != null && info.optimizerSteps().isPresent();
        if (optimizer != null && !withOptimizer) {
            problems.add("it holds no optimizer state (it was saved without an optimizer); "
                    + "restore the model alone by passing no optimizer");
        }
        if (withOptimizer) {
            optimizerState.forEach((k, t) -> compare(Checkpoints.OPTIMIZER_PREFIX + k, t.dtype(), t.shape(),
                    "optimizer", stored, missing, mismatched));
        }
        List<String> unexpected = new ArrayList<>();
        for (String name : stored.keySet()) {
            if (name.startsWith(Checkpoints.MODEL_PREFIX)) {
                if (!variables.containsKey(name.substring(Checkpoints.MODEL_PREFIX.length()))) {
                    unexpected.add(name);
                }
            } else if (name.startsWith(Checkpoints.OPTIMIZER_PREFIX)) {
                // Without an optimizer the optimizer's state is simply not wanted (evaluation).
                if (withOptimizer && !optimizerState.containsKey(name.substring(Checkpoints.OPTIMIZER_PREFIX.length()))) {
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
            throw new CheckpointException(info.file(), "does not match " + (optimizer == null ? "the model" : "the model and optimizer")
                    + " (nothing was loaded): " + String.join("; ", problems));
        }
    }

    private static void compare(String name, DType dtype, Shape shape, String owner,
                                Map<String, CheckpointInfo.TensorSpec> stored, List<String> missing,
                                List<String> mismatched) {
        CheckpointInfo.TensorSpec s = stored.get(name);
        if (s == null) {
            missing.add(name);
        } else if (s.dtype() != dtype || !s.shape().equals(shape)) {
            mismatched.add(name + ": checkpoint has " + s.shape() + " " + s.dtype().label() + ", " + owner
                    + " expects " + shape + " " + dtype.label());
        }
    }

    private static String names(List<String> names) {
        String listed = String.join(", ", names.subList(0, Math.min(names.size(), LISTED_NAMES)));
        return names.size() > LISTED_NAMES ? listed + " and " + (names.size() - LISTED_NAMES) + " more" : listed;
    }
}
