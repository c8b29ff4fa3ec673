package org.flows4j.layers.optim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;

/** Validation and memory handling shared by the optimizers and the moving average. */
final class OptimSupport {

    private OptimSupport() {}

    /** A fixed-order, unmodifiable copy of trainable parameters. */
    static Map<String, Parameter> trainable(String who, Map<String, Parameter> parameters) {
        Objects.requireNonNull(parameters, "parameters");
        Map<String, Parameter> out = new LinkedHashMap<>();
        parameters.forEach((name, p) -> {
            Objects.requireNonNull(name, "parameter name");
            Objects.requireNonNull(p, "parameter '" + name + "'");
            if (!p.trainable()) {
                throw new IllegalArgumentException(who + ": '" + name + "' is a state slot, not a trainable parameter;"
                        + " pass module.parameters(), not variables()");
            }
            out.put(name, p);
        });
        return Collections.unmodifiableMap(out);
    }

    /** Checks that {@code gradients} has exactly the parameters' names, shapes, dtypes and backends. */
    static void checkGradients(String who, Map<String, Parameter> parameters, Map<String, Tensor> gradients) {
        Objects.requireNonNull(gradients, "gradients");
        List<String> missing = new ArrayList<>();
        for (String name : parameters.keySet()) {
            if (gradients.get(name) == null) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(who + ": no gradient for " + missing);
        }
        List<String> unexpected = new ArrayList<>();
        for (String name : gradients.keySet()) {
            if (!parameters.containsKey(name)) {
                unexpected.add(name);
            }
        }
        if (!unexpected.isEmpty()) {
            throw new IllegalArgumentException(who + ": gradients for unknown parameters " + unexpected
                    + "; expected exactly " + parameters.keySet());
        }
        parameters.forEach((name, p) -> {
            Tensor g = gradients.get(name);
            if (!g.shape().equals(p.shape()) || g.dtype() != p.dtype()) {
                throw new IllegalArgumentException(who + ": the gradient of '" + name + "' is " + g.shape() + " "
                        + g.dtype().label() + ", the parameter " + p.shape() + " "
                        + p.dtype().label());
            }
            if (g.backend() != p.value().backend()) {
                throw new IllegalArgumentException(who + ": the gradient of '" + name + "' lives on backend "
                        + g.backend().name() + ", the parameter on "
                        + p.value().backend().name());
            }
            if (g.isFreed()) {
                throw new IllegalArgumentException(who + ": the gradient of '" + name + "' was freed");
            }
        });
    }

    /** What a state tensor must look like. */
    record Slot(Shape shape, DType dtype) {}

    /** Checks that {@code state} has exactly the expected names, each of the expected shape and dtype. */
    static void checkState(String who, Map<String, Slot> expected, Map<String, Tensor> state) {
        Objects.requireNonNull(state, "state");
        List<String> missing = new ArrayList<>();
        for (String name : expected.keySet()) {
            if (state.get(name) == null) {
                missing.add(name);
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String name : state.keySet()) {
            if (!expected.containsKey(name)) {
                unexpected.add(name);
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new IllegalArgumentException(
                    who + ": state does not match: missing " + missing + ", unexpected " + unexpected);
        }
        expected.forEach((name, slot) -> {
            Tensor t = state.get(name);
            if (!t.shape().equals(slot.shape()) || t.dtype() != slot.dtype()) {
                throw new IllegalArgumentException(who + ": state '" + name + "' is " + t.shape() + " "
                        + t.dtype().label() + " but must be " + slot.shape() + " "
                        + slot.dtype().label());
            }
            if (t.isFreed()) {
                throw new IllegalArgumentException(who + ": state '" + name + "' was freed");
            }
        });
    }

    /** The learning rate of update {@code step}, checked. */
    static double learningRate(String who, LearningRateSchedule schedule, long step) {
        double lr = schedule.at(step);
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalStateException(who + ": the learning-rate schedule gave " + lr + " at step " + step
                    + "; it must be finite and >= 0");
        }
        return lr;
    }

    /** A copy of {@code t} that records no gradient, in the current memory scope. */
    static Tensor copy(Tensor t) {
        // to() always copies; with recording off the copy is a plain tensor (a detach() here would
        // add a reference to t's storage that nothing releases)
        return Autodiff.noGrad(() -> t.to(t.dtype()));
    }

    /** A copy of {@code t} on {@code backend}, outside every memory scope (for loaded state). */
    static Tensor unscopedCopyOn(Backend backend, Tensor t) {
        if (t.backend() == backend) {
            return copy(t).unscoped();
        }
        // another backend instance (a checkpoint read elsewhere): go through the host, exact for both dtypes
        return Tensor.of(backend, t.dtype(), t.toDoubleArray(), t.shape()).unscoped();
    }

    /**
     * Takes ownership of {@code t} (as {@link Optimizer#loadState} does) and returns a tensor
     * on {@code backend} outside every memory scope holding its values: a copy, after which
     * {@code t} is freed, so that a restored state leaves nothing behind.
     */
    static Tensor adopt(Backend backend, Tensor t) {
        Tensor copy = unscopedCopyOn(backend, t);
        if (!t.isFreed()) {
            t.free();
        }
        return copy;
    }

    /** Zeros of a parameter's shape and dtype, outside every memory scope. */
    static Tensor unscopedZeros(Parameter p) {
        return Tensor.full(p.value().backend(), p.dtype(), p.shape(), 0).unscoped();
    }

    /**
     * Runs {@code body} with recording off in a memory scope of its own, so every temporary it
     * makes is freed on return; what it must keep it takes out with {@link Tensor#unscoped()}.
     */
    @SuppressWarnings("try") // the scope and the guard act by being open, not by being referenced
    static void inStepScope(Runnable body) {
        try (MemoryScope scope = MemoryScope.open();
                Autodiff.NoGrad noGrad = Autodiff.noGrad()) {
            body.run();
        }
    }

    /** The {@code schedule} and {@code schedule.<key>} entries of an optimizer's description. */
    static void describeSchedule(LearningRateSchedule schedule, Map<String, String> out) {
        if (schedule instanceof ScheduleConfig named) {
            out.put("schedule", named.name());
            named.describe().forEach((k, v) -> out.put("schedule." + k, v));
        } else {
            out.put("schedule", "custom");
        }
    }

    /** Refuses a schedule that cannot be evaluated yet (a cosine decay of unset length). */
    static void checkResolved(String who, LearningRateSchedule schedule) {
        if (schedule instanceof ScheduleConfig.WarmupCosine c && !c.isResolved()) {
            throw new IllegalArgumentException(who + ": the cosine schedule's length (totalSteps) is not set;"
                    + " give it, or call forRun(totalSteps) (a Trainer does)");
        }
    }

    /** Checks a hyper-parameter, naming it. */
    static double check(String who, String name, double value, boolean ok, String range) {
        if (!ok) {
            throw new IllegalArgumentException(
                    who + ": invalid " + name + " " + value + " (" + name + " must be " + range + ")");
        }
        return value;
    }
}
