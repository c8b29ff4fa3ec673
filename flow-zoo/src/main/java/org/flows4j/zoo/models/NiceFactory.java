package org.flows4j.zoo.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.flows4j.api.Shape;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Distribution;
import org.flows4j.api.flow.Flow;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.bijectors.Chain;
import org.flows4j.layers.bijectors.Coupling;
import org.flows4j.layers.bijectors.DiagonalScaling;
import org.flows4j.layers.bijectors.Masks;
import org.flows4j.layers.bijectors.PartitionMask;
import org.flows4j.layers.bijectors.Reshape;
import org.flows4j.layers.distributions.StandardLogistic;
import org.flows4j.layers.distributions.StandardNormal;
import org.flows4j.layers.nn.Mlp;
import org.flows4j.layers.nn.WeightInit;
import org.flows4j.layers.optim.LearningRateFactors;

/**
 * NICE (Dinh, Krueger and Bengio, 2014): additive couplings over the odd and even components,
 * alternating which half is updated, each {@code m} an MLP of ReLU layers, then a diagonal
 * scaling layer, over a logistic prior. Images are flattened to vectors after scaling pixels
 * to {@code [0, 1)}.
 *
 * <ul>
 *   <li>{@code nice:paper}: 4 couplings, {@code m} with 5 hidden layers of 1000 units
 *       (19,158,352 parameters for 784 dimensions); the paper's MNIST test log-likelihood is
 *       1980.50 nats on data in {@code [0, 1]}.</li>
 *   <li>{@code nice:small}: the same with 2 hidden layers of 256.</li>
 * </ul>
 * Options: {@code couplings}, {@code width}, {@code depth}, {@code prior=logistic|gaussian}
 * ({@link Prior}), {@code scaling-init=data|identity} ({@link ScalingInit}),
 * {@code weight-init=he|pytorch} (how the coupling networks' hidden layers are drawn,
 * {@link WeightInit}; He by default, because the five ReLU layers of {@code nice:paper} pass
 * almost no signal under PyTorch's default).
 *
 * <p>The scaling layer starts from data by default ({@link DiagonalScaling#dataInitialized}): the
 * trainer's initialization batch sets each component's scale to one over its standard deviation.
 * On Fashion-MNIST that alone takes {@code nice:paper}'s validation NLL at step 0 from 1,126.6 to
 * 239.0 nats, which the identity start has to climb by Adam steps.
 */
public final class NiceFactory implements ModelFactory {

    private record Preset(int couplings, int width, int depth, String description) {}

    private static final Map<String, Preset> PRESETS = Map.of(
            "small", new Preset(4, 256, 2, "4 additive couplings, MLP 2x256, logistic prior"),
            "paper", new Preset(4, 1000, 5, "NICE's MNIST model: 4 additive couplings, MLP 5x1000, logistic prior"));

    private static final Set<String> OPTIONS =
            Set.of("couplings", "width", "depth", "prior", "scaling-init", "weight-init");

    @Override
    public String family() {
        return "nice";
    }

    @Override
    public List<String> presets() {
        return List.of("small", "paper");
    }

    @Override
    public String describe(String preset) {
        return preset(preset).description();
    }

    /** The pattern that names the diagonal scaling layer's log-scales, whatever the number of couplings. */
    public static final String SCALING_LOG_SCALE = "*.logScale";

    /**
     * How many times the base rate {@code nice:paper}'s recipe gives the scaling layer's log-scales.
     * Their best values move as the couplings learn (they are one over the spread of each output of
     * the couplings), and at the base rate they can move at most about {@code lr} per step: in a
     * 300-second run they moved 1.6 on average of a possible 1.8, all in the same direction, and a
     * 30-minute run took them 0.35 further. In the PyTorch twin, 1,315 steps of the recipe with the
     * scaling layer at 10, 30, 100 and 300 times the rate reached test NLLs of -897.7, -916.5,
     * -931.4 and -925.7 nats (docs/RESULTS.md).
     */
    public static final double SCALING_RATE_FACTOR = 100;

    /**
     * {@code nice:paper}'s recipe is the one docs/RESULTS.md measured on Fashion-MNIST: batch 256,
     * Adam at {@code 3e-3} after 50 warmup steps, then a cosine to 0 over the run, clipping at 100,
     * and the scaling layer at {@link #SCALING_RATE_FACTOR} times that rate. {@code nice:small}
     * keeps the default.
     */
    @Override
    public Recipe recipe(String preset) {
        preset(preset);
        return preset.equals("paper") ? PAPER_RECIPE : Recipe.DEFAULT;
    }

    private static final Recipe PAPER_RECIPE = new Recipe(
            256,
            3e-3,
            Recipe.Schedule.COSINE,
            50,
            100,
            0,
            LearningRateFactors.of(Map.of(SCALING_LOG_SCALE, SCALING_RATE_FACTOR)));

    private Preset preset(String name) {
        Preset p = PRESETS.get(name);
        if (p == null) {
            throw new IllegalArgumentException("unknown preset 'nice:" + name + "'; nice has: small, paper");
        }
        return p;
    }

    /** The base distribution of NICE, the {@code prior} option. */
    public enum Prior {
        /** The standard logistic, NICE's choice: {@code prior=logistic}, the default. */
        LOGISTIC("logistic"),
        /** The standard normal: {@code prior=gaussian}. */
        GAUSSIAN("gaussian");

        private final String option;

        Prior(String option) {
            this.option = option;
        }

        /**
         * The option value that selects it ({@code prior=<value>}).
         *
         * @return the lower-case value of the {@code prior} option
         */
        public String option() {
            return option;
        }

        /**
         * The prior named by an option value, case-insensitively.
         *
         * @param value the option's value; surrounding blanks and case are ignored
         * @return the constant whose {@link #option()} it is
         * @throws IllegalArgumentException for any other value, listing the valid ones
         */
        public static Prior parse(String value) {
            return Options.parse("nice option prior", value, values(), Prior::option);
        }
    }

    /** How the diagonal scaling layer starts, the {@code scaling-init} option. */
    public enum ScalingInit {
        /**
         * From data, {@code scaling-init=data}, the default: {@code s_d = -ln(std_d)} over the
         * initialization batch ({@link DiagonalScaling#dataInitialized}).
         */
        DATA("data"),
        /** At the identity, {@code scaling-init=identity}: {@code s = 0}, the paper's start. */
        IDENTITY("identity");

        private final String option;

        ScalingInit(String option) {
            this.option = option;
        }

        /**
         * The option value that selects it ({@code scaling-init=<value>}).
         *
         * @return the lower-case value of the {@code scaling-init} option
         */
        public String option() {
            return option;
        }
    }

    /** The settings read from the options; {@code options} holds every one with the value it took. */
    private record Config(
            int couplings,
            int width,
            int depth,
            Prior prior,
            ScalingInit scalingInit,
            WeightInit weightInit,
            Map<String, String> options) {}

    private Config config(String preset, Map<String, String> options) {
        Preset p = preset(preset);
        Options o = new Options("nice", options, OPTIONS);
        int couplings = o.integer("couplings", p.couplings(), 1);
        int width = o.integer("width", p.width(), 1);
        int depth = o.integer("depth", p.depth(), 0);
        Prior prior = o.choice("prior", Prior.LOGISTIC, Prior.values(), Prior::option);
        ScalingInit scalingInit = o.choice("scaling-init", ScalingInit.DATA, ScalingInit.values(), ScalingInit::option);
        WeightInit weightInit = o.choice(
                "weight-init", WeightInit.HE, WeightInit.values(), w -> w.name().toLowerCase(Locale.ROOT));
        return new Config(couplings, width, depth, prior, scalingInit, weightInit, o.resolved());
    }

    private static PartitionMask mask(int d, int i) {
        if (d < 2) {
            throw new IllegalArgumentException("nice needs at least 2 dimensions to split, the data has " + d);
        }
        return Masks.oddEven(d, i % 2 == 1);
    }

    /**
     * Builds the model: per coupling an MLP of {@code depth} hidden ReLU layers of
     * {@code width} with a zero-initialized output, sized by {@link Coupling#additive}, each
     * from its own {@code split()} of the request's context.
     */
    @Override
    public ZooModel build(ModelRequest r) {
        Config c = config(r.preset(), r.options());
        BuildContext ctx = r.context();
        int d = r.eventShape().size();
        Shape flat = Shape.of(d);
        List<Bijector> parts = new ArrayList<>(Preprocessing.forData(r.kind(), 0));
        if (!r.eventShape().equals(flat)) {
            parts.add(new Reshape(r.eventShape(), flat));
        }
        Mlp.Spec network =
                Mlp.hidden(Preprocessing.repeated(c.width(), c.depth())).init(c.weightInit());
        for (int i = 0; i < c.couplings(); i++) {
            parts.add(Coupling.additive(ctx.split(), mask(d, i), network));
        }
        parts.add(
                c.scalingInit() == ScalingInit.DATA
                        ? DiagonalScaling.dataInitialized(ctx, flat)
                        : new DiagonalScaling(ctx, flat));
        Distribution base =
                c.prior() == Prior.GAUSSIAN ? new StandardNormal(ctx, flat) : new StandardLogistic(ctx, flat);
        return new ZooModel(
                new ModelSpec(family(), r.preset()),
                new Flow(new Chain(parts), base),
                r.eventShape(),
                r.kind(),
                ctx.backend(),
                ctx.dtype(),
                c.options());
    }
}
