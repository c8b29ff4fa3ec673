package org.flows4j.layers.optim;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.flows4j.api.backend.AdamStep;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.internal.TensorAccess;
import org.flows4j.api.tensor.Tensor;

/**
 * Adam (Kingma and Ba 2015) with bias correction and an optional L2 penalty. With gradient
 * {@code g}, update number {@code t = steps() + 1} and learning rate
 * {@code lr = schedule.at(steps())}:
 * <pre>
 *   g' = g + weightDecay * p
 *   m  = beta1 m + (1 - beta1) g'
 *   v  = beta2 v + (1 - beta2) g'^2
 *   p  = p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon)
 * </pre>
 * A parameter given a {@linkplain LearningRateFactors learning-rate factor} {@code f} is updated
 * with {@code f * lr}.
 * The penalty is added to the gradient (classic L2, as in PyTorch's {@code Adam}), not
 * decoupled as in AdamW; RealNVP trained with it.
 *
 * <p>Each parameter is updated by the backend's fused {@link Backend#adamUpdate} kernel,
 * which may update the parameter and both moments in place so that a step of a
 * 19-million-parameter model allocates nothing. When the kernel returns new storages
 * instead, they replace the old ones, which are freed. The moments {@code m}, {@code v} are
 * zeros of each parameter's shape and dtype, made at construction outside every memory
 * scope; so are replaced parameter values, so a step is safe inside a caller's
 * {@link org.flows4j.api.tensor.MemoryScope}:
 * <pre>{@code
 * try (MemoryScope s = MemoryScope.open()) {
 *     Tensor loss = ...;
 *     List<Tensor> g = Autodiff.grad(loss, values);
 *     adam.step(gradients);   // new values and moments survive the scope, old ones are freed
 * }
 * }</pre>
 *
 * <p>A learning rate of 0 from the schedule leaves the parameters as they are but still
 * advances the moments and the step counter, as any update would.
 *
 * <p>Made from its settings: {@code Adam.builder().learningRate(3e-3).create(flow.parameters())}.
 *
 * <p>State names: {@code m.<parameter name>} and {@code v.<parameter name>}.
 * Single-threaded, like training; do not step while an
 * {@link ExponentialMovingAverage#applied()} swap is open.
 */
public final class Adam implements Optimizer {

    private static final String WHO = "Adam";

    private final Map<String, Parameter> parameters;
    private final LearningRateSchedule schedule;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private final Map<String, Tensor> m = new LinkedHashMap<>();
    private final Map<String, Tensor> v = new LinkedHashMap<>();
    /** Each parameter's multiplier of the schedule's rate, 1 for most. */
    private final Map<String, Double> factors;

    private long steps;

    /**
     * Adam's settings: made by {@link Adam#builder()}, validated, and turned into an optimizer by
     * {@link #create}.
     *
     * @param schedule the learning rate of each update
     * @param beta1 first-moment decay in {@code [0, 1)}
     * @param beta2 second-moment decay in {@code [0, 1)}
     * @param epsilon added to the root of the second moment, finite and {@code > 0}
     * @param weightDecay L2 coefficient added to the gradient, finite and {@code >= 0}
     * @param learningRateFactors per-parameter multipliers of the schedule's rate ({@link LearningRateFactors#NONE}
     *     for none)
     */
    public record Config(
            LearningRateSchedule schedule,
            double beta1,
            double beta2,
            double epsilon,
            double weightDecay,
            LearningRateFactors learningRateFactors)
            implements OptimizerConfig {

        /**
         * Validates, naming the setting at fault.
         *
         * @param schedule the learning rate of each update
         * @param beta1 first-moment decay in {@code [0, 1)}
         * @param beta2 second-moment decay in {@code [0, 1)}
         * @param epsilon added to the root of the second moment, finite and {@code > 0}
         * @param weightDecay L2 coefficient added to the gradient, finite and {@code >= 0}
         * @param learningRateFactors per-parameter multipliers of the schedule's rate
         * @throws NullPointerException if {@code schedule} or {@code learningRateFactors} is null
         * @throws IllegalArgumentException naming the setting that is out of range
         */
        public Config {
            Objects.requireNonNull(schedule, "Adam: schedule");
            Objects.requireNonNull(learningRateFactors, "Adam: learningRateFactors");
            OptimSupport.check(WHO, "beta1", beta1, beta1 >= 0 && beta1 < 1, "in [0, 1)");
            OptimSupport.check(WHO, "beta2", beta2, beta2 >= 0 && beta2 < 1, "in [0, 1)");
            OptimSupport.check(
                    WHO, "epsilon", epsilon, epsilon > 0 && epsilon < Double.POSITIVE_INFINITY, "finite and > 0");
            OptimSupport.check(
                    WHO,
                    "weightDecay",
                    weightDecay,
                    weightDecay >= 0 && weightDecay < Double.POSITIVE_INFINITY,
                    "finite and >= 0");
        }

        /**
         * Settings without learning-rate factors: every parameter at the schedule's rate.
         *
         * @param schedule the learning rate of each update
         * @param beta1 first-moment decay in {@code [0, 1)}
         * @param beta2 second-moment decay in {@code [0, 1)}
         * @param epsilon added to the root of the second moment, finite and {@code > 0}
         * @param weightDecay L2 coefficient added to the gradient, finite and {@code >= 0}
         * @throws NullPointerException if {@code schedule} is null
         * @throws IllegalArgumentException naming the setting that is out of range
         */
        public Config(LearningRateSchedule schedule, double beta1, double beta2, double epsilon, double weightDecay) {
            this(schedule, beta1, beta2, epsilon, weightDecay, LearningRateFactors.NONE);
        }

        @Override
        public String name() {
            return "adam";
        }

        @Override
        public Config withSchedule(LearningRateSchedule newSchedule) {
            return new Config(newSchedule, beta1, beta2, epsilon, weightDecay, learningRateFactors);
        }

        @Override
        public Config withLearningRateFactors(LearningRateFactors factors) {
            return new Config(schedule, beta1, beta2, epsilon, weightDecay, factors);
        }

        @Override
        public Adam create(Map<String, Parameter> parameters) {
            return new Adam(parameters, this);
        }

        @Override
        public Map<String, String> describe() {
            Map<String, String> out = new LinkedHashMap<>();
            out.put("optimizer", name());
            out.put("beta1", Double.toString(beta1));
            out.put("beta2", Double.toString(beta2));
            out.put("epsilon", Double.toString(epsilon));
            out.put("weight_decay", Double.toString(weightDecay));
            learningRateFactors.describe(out);
            OptimSupport.describeSchedule(schedule, out);
            return Collections.unmodifiableMap(out);
        }

        /**
         * A builder starting from these settings.
         *
         * @return a new builder holding every setting of this record
         */
        public Builder toBuilder() {
            return new Builder()
                    .schedule(schedule)
                    .betas(beta1, beta2)
                    .epsilon(epsilon)
                    .weightDecay(weightDecay)
                    .learningRateFactors(learningRateFactors);
        }
    }

    /**
     * Builds an {@link Config}: every setting has the usual default ({@code lr = 1e-3} constant,
     * {@code beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8}, no penalty); {@link #build()} validates.
     */
    public static final class Builder {

        private LearningRateSchedule schedule = LearningRateSchedule.constant(1e-3);
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double epsilon = 1e-8;
        private double weightDecay;
        private LearningRateFactors learningRateFactors = LearningRateFactors.NONE;

        private Builder() {}

        /**
         * A constant learning rate.
         *
         * @param lr the learning rate of every update, finite and {@code > 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code lr} is not finite and positive (checked at once)
         */
        public Builder learningRate(double lr) {
            this.schedule = LearningRateSchedule.constant(lr);
            return this;
        }

        /**
         * The learning rate of each update.
         *
         * @param s the schedule, replacing any learning rate set before
         * @return this builder
         * @throws NullPointerException if {@code s} is null
         */
        public Builder schedule(LearningRateSchedule s) {
            this.schedule = Objects.requireNonNull(s, "Adam: schedule");
            return this;
        }

        /**
         * The first- and second-moment decays, each in {@code [0, 1)}.
         *
         * @param b1 the first-moment decay {@code beta1}, in {@code [0, 1)} (checked by {@link #build()})
         * @param b2 the second-moment decay {@code beta2}, in {@code [0, 1)} (checked by {@link #build()})
         * @return this builder
         */
        public Builder betas(double b1, double b2) {
            this.beta1 = b1;
            this.beta2 = b2;
            return this;
        }

        /**
         * The term added to the root of the second moment, {@code > 0}.
         *
         * @param e {@code epsilon}, finite and {@code > 0} (checked by {@link #build()})
         * @return this builder
         */
        public Builder epsilon(double e) {
            this.epsilon = e;
            return this;
        }

        /**
         * The L2 coefficient added to the gradient, {@code >= 0}.
         *
         * @param w the coefficient, finite and {@code >= 0} (0: no penalty; checked by {@link #build()})
         * @return this builder
         */
        public Builder weightDecay(double w) {
            this.weightDecay = w;
            return this;
        }

        /**
         * Per-parameter multipliers of the schedule's rate.
         *
         * @param factors the factors by parameter-name pattern; {@link LearningRateFactors#NONE} for none
         * @return this builder
         * @throws NullPointerException if {@code factors} is null
         */
        public Builder learningRateFactors(LearningRateFactors factors) {
            this.learningRateFactors = Objects.requireNonNull(factors, "Adam: learningRateFactors");
            return this;
        }

        /**
         * The validated settings.
         *
         * @return the settings, immutable; the builder can be reused
         * @throws IllegalArgumentException naming the setting at fault
         */
        public Config build() {
            return new Config(schedule, beta1, beta2, epsilon, weightDecay, learningRateFactors);
        }

        /**
         * Short for {@code build().create(parameters)}.
         *
         * @param parameters the trainable parameters to update, by name
         * @return a new optimizer at step 0
         * @throws IllegalArgumentException naming the setting at fault, or if a parameter is a state slot
         */
        public Adam create(Map<String, Parameter> parameters) {
            return build().create(parameters);
        }
    }

    /**
     * A builder of Adam's settings, with the usual defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    private final Config config;

    private Adam(Map<String, Parameter> parameters, Config config) {
        OptimSupport.checkResolved(WHO, config.schedule());
        this.config = config;
        this.schedule = config.schedule();
        this.beta1 = config.beta1();
        this.beta2 = config.beta2();
        this.epsilon = config.epsilon();
        this.weightDecay = config.weightDecay();
        this.parameters = OptimSupport.trainable(WHO, parameters);
        this.factors = config.learningRateFactors().resolve(WHO, this.parameters.keySet());
        this.parameters.forEach((name, p) -> {
            m.put(name, OptimSupport.unscopedZeros(p));
            v.put(name, OptimSupport.unscopedZeros(p));
        });
    }

    /**
     * The settings it was made with.
     *
     * @return the validated settings
     */
    public Config config() {
        return config;
    }

    @Override
    public Map<String, Parameter> parameters() {
        return parameters;
    }

    /**
     * The learning-rate schedule.
     *
     * @return the schedule, evaluated at {@link #steps()} for the next update
     */
    public LearningRateSchedule schedule() {
        return schedule;
    }

    /**
     * The first-moment decay.
     *
     * @return {@code beta1}, in {@code [0, 1)}
     */
    public double beta1() {
        return beta1;
    }

    /**
     * The second-moment decay.
     *
     * @return {@code beta2}, in {@code [0, 1)}
     */
    public double beta2() {
        return beta2;
    }

    /**
     * The term added to the root of the second moment.
     *
     * @return {@code epsilon}, finite and {@code > 0}
     */
    public double epsilon() {
        return epsilon;
    }

    /**
     * The L2 coefficient added to the gradient.
     *
     * @return the coefficient, {@code >= 0} (0: no penalty)
     */
    public double weightDecay() {
        return weightDecay;
    }

    @Override
    public void step(Map<String, Tensor> gradients) {
        step(gradients, 1);
    }

    /**
     * One update with the gradients multiplied by {@code gradScale} inside the fused kernel
     * ({@link AdamStep#gradScale()}): a clipping by global norm costs no pass over the gradients
     * and no new tensors, and gives the same bits as scaling them first.
     */
    @Override
    public void step(Map<String, Tensor> gradients, double gradScale) {
        double lr = OptimSupport.learningRate(WHO, schedule, steps);
        long t = steps + 1;
        // validates the scale (finite and > 0) before anything is touched
        AdamStep step = new AdamStep(lr, beta1, beta2, epsilon, weightDecay, t, gradScale);
        OptimSupport.checkGradients(WHO, parameters, gradients);
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            String name = e.getKey();
            double f = factors.get(name);
            AdamStep own = f == 1 ? step : new AdamStep(lr * f, beta1, beta2, epsilon, weightDecay, t, gradScale);
            fused(name, e.getValue(), gradients.get(name), own);
        }
        steps = t;
    }

    private void fused(String name, Parameter p, Tensor g, AdamStep step) {
        Tensor value = p.value();
        Backend backend = value.backend();
        Tensor oldM = m.get(name);
        Tensor oldV = v.get(name);
        Storage ps = TensorAccess.storage(value);
        Storage ms = TensorAccess.storage(oldM);
        Storage vs = TensorAccess.storage(oldV);
        Storage[] out = backend.adamUpdate(ps, TensorAccess.storage(g), ms, vs, step);
        if (out == null || out.length != 3) {
            throw new IllegalStateException("backend " + backend.name() + ": adamUpdate must return 3 storages");
        }
        // A storage returned as is was updated in place: the tensors that own it stay.
        if (out[1] != ms) {
            m.put(name, TensorAccess.wrap(backend, out[1]).unscoped());
            oldM.free();
        }
        if (out[2] != vs) {
            v.put(name, TensorAccess.wrap(backend, out[2]).unscoped());
            oldV.free();
        }
        if (out[0] != ps) {
            Tensor next = TensorAccess.wrap(backend, out[0]);
            p.set(next); // the parameter keeps its own reference and frees the old value
            next.free();
        }
    }

    @Override
    public long steps() {
        return steps;
    }

    @Override
    public double learningRate() {
        return schedule.at(steps);
    }

    /** Copies of {@code m.<name>} and {@code v.<name>} for every parameter, in the caller's memory scope. */
    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        m.forEach((name, t) -> out.put("m." + name, OptimSupport.copy(t)));
        v.forEach((name, t) -> out.put("v." + name, OptimSupport.copy(t)));
        return Collections.unmodifiableMap(out);
    }

    @Override
    public void loadState(Map<String, Tensor> state, long steps) {
        if (steps < 0) {
            throw new IllegalArgumentException(WHO + ": steps must be >= 0, got " + steps);
        }
        Map<String, OptimSupport.Slot> expected = new LinkedHashMap<>();
        parameters.forEach((name, p) -> {
            expected.put("m." + name, new OptimSupport.Slot(p.shape(), p.dtype()));
            expected.put("v." + name, new OptimSupport.Slot(p.shape(), p.dtype()));
        });
        OptimSupport.checkState(WHO, expected, state);
        parameters.forEach((name, p) -> {
            Backend backend = p.value().backend();
            replace(m, name, OptimSupport.adopt(backend, state.get("m." + name)));
            replace(v, name, OptimSupport.adopt(backend, state.get("v." + name)));
        });
        this.steps = steps;
    }

    private static void replace(Map<String, Tensor> moments, String name, Tensor next) {
        Tensor old = moments.put(name, next);
        if (old != null) {
            old.free();
        }
    }

    @Override
    public String toString() {
        return "Adam(" + parameters.size() + " parameters, beta1 " + beta1 + ", beta2 " + beta2 + ", epsilon " + epsilon
                + ", weightDecay " + weightDecay + ", step " + steps + ")";
    }
}
