package org.flows4j.layers.optim;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.tensor.Tensor;

/**
 * Stochastic gradient descent with optional momentum (heavy ball or Nesterov) and an L2
 * penalty, in PyTorch's formulation. With gradient {@code g}, momentum {@code mu} and
 * learning rate {@code lr = schedule.at(steps())}:
 * <pre>
 *   g' = g + weightDecay * p
 *   b  = mu b + g'                         (b starts at 0, so the first b is g')
 *   d  = g' + mu b   (Nesterov)   or   b   (heavy ball)   or   g'   (mu = 0)
 *   p  = p - lr d
 * </pre>
 * A parameter given a {@linkplain LearningRateFactors learning-rate factor} {@code f} is updated
 * with {@code f * lr}.
 *
 * <p>Composed from tensor operations, so it runs on every backend; each update allocates the
 * new parameter and buffer and frees the old ones. New values live outside every memory
 * scope, so a step is safe inside a caller's scope.
 *
 * <p>Made from its settings: {@code Sgd.builder().learningRate(0.1).momentum(0.9).create(params)}.
 *
 * <p>State names: {@code momentum.<parameter name>} (none when {@code mu = 0}).
 */
public final class Sgd implements Optimizer {

    private static final String WHO = "Sgd";

    private final Map<String, Parameter> parameters;
    private final LearningRateSchedule schedule;
    private final double momentum;
    private final boolean nesterov;
    private final double weightDecay;
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    /** Each parameter's multiplier of the schedule's rate, 1 for most. */
    private final Map<String, Double> factors;

    private long steps;

    /**
     * SGD's settings: made by {@link Sgd#builder()}, validated, and turned into an optimizer by
     * {@link #create}.
     *
     * @param schedule the learning rate of each update
     * @param momentum {@code mu} in {@code [0, 1)}
     * @param nesterov use Nesterov's look-ahead (needs {@code mu > 0})
     * @param weightDecay L2 coefficient added to the gradient, finite and {@code >= 0}
     * @param learningRateFactors per-parameter multipliers of the schedule's rate ({@link LearningRateFactors#NONE}
     *     for none)
     */
    public record Config(
            LearningRateSchedule schedule,
            double momentum,
            boolean nesterov,
            double weightDecay,
            LearningRateFactors learningRateFactors)
            implements OptimizerConfig {

        /**
         * Validates, naming the setting at fault.
         *
         * @param schedule the learning rate of each update
         * @param momentum {@code mu} in {@code [0, 1)}
         * @param nesterov use Nesterov's look-ahead (needs {@code mu > 0})
         * @param weightDecay L2 coefficient added to the gradient, finite and {@code >= 0}
         * @param learningRateFactors per-parameter multipliers of the schedule's rate
         * @throws NullPointerException if {@code schedule} or {@code learningRateFactors} is null
         * @throws IllegalArgumentException naming the setting that is out of range
         */
        public Config {
            Objects.requireNonNull(schedule, "Sgd: schedule");
            Objects.requireNonNull(learningRateFactors, "Sgd: learningRateFactors");
            OptimSupport.check(WHO, "momentum", momentum, momentum >= 0 && momentum < 1, "in [0, 1)");
            OptimSupport.check(
                    WHO,
                    "weightDecay",
                    weightDecay,
                    weightDecay >= 0 && weightDecay < Double.POSITIVE_INFINITY,
                    "finite and >= 0");
            if (nesterov && momentum == 0) {
                throw new IllegalArgumentException(WHO + ": nesterov momentum needs momentum > 0");
            }
        }

        /**
         * Settings without learning-rate factors: every parameter at the schedule's rate.
         *
         * @param schedule the learning rate of each update
         * @param momentum {@code mu} in {@code [0, 1)}
         * @param nesterov use Nesterov's look-ahead (needs {@code mu > 0})
         * @param weightDecay L2 coefficient added to the gradient, finite and {@code >= 0}
         * @throws NullPointerException if {@code schedule} is null
         * @throws IllegalArgumentException naming the setting that is out of range
         */
        public Config(LearningRateSchedule schedule, double momentum, boolean nesterov, double weightDecay) {
            this(schedule, momentum, nesterov, weightDecay, LearningRateFactors.NONE);
        }

        @Override
        public String name() {
            return "sgd";
        }

        @Override
        public Config withSchedule(LearningRateSchedule newSchedule) {
            return new Config(newSchedule, momentum, nesterov, weightDecay, learningRateFactors);
        }

        @Override
        public Config withLearningRateFactors(LearningRateFactors factors) {
            return new Config(schedule, momentum, nesterov, weightDecay, factors);
        }

        @Override
        public Sgd create(Map<String, Parameter> parameters) {
            return new Sgd(parameters, this);
        }

        @Override
        public Map<String, String> describe() {
            Map<String, String> out = new LinkedHashMap<>();
            out.put("optimizer", name());
            out.put("momentum", Double.toString(momentum));
            out.put("nesterov", Boolean.toString(nesterov));
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
                    .momentum(momentum)
                    .nesterov(nesterov)
                    .weightDecay(weightDecay)
                    .learningRateFactors(learningRateFactors);
        }
    }

    /**
     * Builds an {@link Config}: by default plain gradient descent ({@code lr = 0.01} constant, no
     * momentum, no penalty); {@link #build()} validates.
     */
    public static final class Builder {

        private LearningRateSchedule schedule = LearningRateSchedule.constant(0.01);
        private double momentum;
        private boolean nesterov;
        private LearningRateFactors learningRateFactors = LearningRateFactors.NONE;
        private double weightDecay;

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
            this.schedule = Objects.requireNonNull(s, "Sgd: schedule");
            return this;
        }

        /**
         * The momentum coefficient {@code mu} in {@code [0, 1)} (0: none).
         *
         * @param mu the coefficient, in {@code [0, 1)} (checked by {@link #build()})
         * @return this builder
         */
        public Builder momentum(double mu) {
            this.momentum = mu;
            return this;
        }

        /**
         * Whether the momentum is Nesterov's (needs {@code momentum > 0}).
         *
         * @param on {@code true} for Nesterov's look-ahead; {@link #build()} rejects it without momentum
         * @return this builder
         */
        public Builder nesterov(boolean on) {
            this.nesterov = on;
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
            this.learningRateFactors = Objects.requireNonNull(factors, "Sgd: learningRateFactors");
            return this;
        }

        /**
         * The validated settings.
         *
         * @return the settings, immutable; the builder can be reused
         * @throws IllegalArgumentException naming the setting at fault
         */
        public Config build() {
            return new Config(schedule, momentum, nesterov, weightDecay, learningRateFactors);
        }

        /**
         * Short for {@code build().create(parameters)}.
         *
         * @param parameters the trainable parameters to update, by name
         * @return a new optimizer at step 0
         * @throws IllegalArgumentException naming the setting at fault, or if a parameter is a state slot
         */
        public Sgd create(Map<String, Parameter> parameters) {
            return build().create(parameters);
        }
    }

    /**
     * A builder of SGD's settings: plain gradient descent at 0.01 unless told otherwise.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    private final Config config;

    private Sgd(Map<String, Parameter> parameters, Config config) {
        OptimSupport.checkResolved(WHO, config.schedule());
        this.config = config;
        this.schedule = config.schedule();
        this.momentum = config.momentum();
        this.nesterov = config.nesterov();
        this.weightDecay = config.weightDecay();
        this.parameters = OptimSupport.trainable(WHO, parameters);
        this.factors = config.learningRateFactors().resolve(WHO, this.parameters.keySet());
        if (momentum > 0) {
            this.parameters.forEach((name, p) -> buffers.put(name, OptimSupport.unscopedZeros(p)));
        }
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
     * The momentum coefficient {@code mu}.
     *
     * @return {@code mu}, in {@code [0, 1)} (0: no momentum)
     */
    public double momentum() {
        return momentum;
    }

    /**
     * Whether the momentum is Nesterov's.
     *
     * @return {@code true} for Nesterov's look-ahead
     */
    public boolean nesterov() {
        return nesterov;
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
        OptimSupport.checkGradients(WHO, parameters, gradients);
        double lr = OptimSupport.learningRate(WHO, schedule, steps);
        parameters.forEach((name, p) -> OptimSupport.inStepScope(() -> {
            Tensor value = p.value();
            Tensor g = gradients.get(name);
            if (weightDecay != 0) {
                g = g.add(value.mul(weightDecay));
            }
            Tensor direction = g;
            if (momentum > 0) {
                Tensor old = buffers.get(name);
                Tensor b = old.mul(momentum).add(g).unscoped();
                buffers.put(name, b);
                old.free();
                direction = nesterov ? g.add(b.mul(momentum)) : b;
            }
            // the new value stays in this step's scope; the parameter keeps its own reference
            p.set(value.sub(direction.mul(lr * factors.get(name))));
        }));
        steps++;
    }

    @Override
    public long steps() {
        return steps;
    }

    @Override
    public double learningRate() {
        return schedule.at(steps);
    }

    /** Copies of {@code momentum.<name>} for every parameter (empty without momentum), in the caller's memory scope. */
    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        buffers.forEach((name, t) -> out.put("momentum." + name, OptimSupport.copy(t)));
        return Collections.unmodifiableMap(out);
    }

    @Override
    public void loadState(Map<String, Tensor> state, long steps) {
        if (steps < 0) {
            throw new IllegalArgumentException(WHO + ": steps must be >= 0, got " + steps);
        }
        Map<String, OptimSupport.Slot> expected = new LinkedHashMap<>();
        if (momentum > 0) {
            parameters.forEach(
                    (name, p) -> expected.put("momentum." + name, new OptimSupport.Slot(p.shape(), p.dtype())));
        }
        OptimSupport.checkState(WHO, expected, state);
        buffers.replaceAll((name, old) -> {
            Backend backend = parameters.get(name).value().backend();
            Tensor next = OptimSupport.adopt(backend, state.get("momentum." + name));
            old.free();
            return next;
        });
        this.steps = steps;
    }

    @Override
    public String toString() {
        return "Sgd(" + parameters.size() + " parameters, momentum " + momentum + (nesterov ? " Nesterov" : "")
                + ", weightDecay " + weightDecay + ", step " + steps + ")";
    }
}
