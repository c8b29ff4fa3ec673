package org.flows4j.zoo.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.flows4j.api.Shape;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Distribution;
import org.flows4j.api.flow.Flow;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.bijectors.ActNorm;
import org.flows4j.layers.bijectors.Chain;
import org.flows4j.layers.bijectors.Coupling;
import org.flows4j.layers.bijectors.CouplingTransform;
import org.flows4j.layers.bijectors.ElementwiseAffine;
import org.flows4j.layers.bijectors.InvertibleConv1x1;
import org.flows4j.layers.bijectors.Masks;
import org.flows4j.layers.bijectors.MultiScale;
import org.flows4j.layers.bijectors.SplitPrior;
import org.flows4j.layers.bijectors.Squeeze;
import org.flows4j.layers.distributions.ConditionalGaussian;
import org.flows4j.layers.distributions.StandardNormal;
import org.flows4j.layers.nn.Conv2dZeros;
import org.flows4j.layers.nn.GlowNet;
import org.flows4j.zoo.data.Dataset;

/**
 * Glow (Kingma and Dhariwal, 2018) for 8-bit images: pixels scaled to {@code [0, 1)}, then
 * {@code L} levels; each squeezes and applies {@code K} steps of actnorm, an invertible 1x1
 * convolution and an affine coupling (scale {@code sigmoid(h + 2)}, conditioner conv 3x3,
 * ReLU, conv 1x1, ReLU, zero-initialized conv 3x3); every level but the last factors out half
 * its channels under a learned prior conditioned on the kept half, and the last level's output
 * has a learned prior of its own (a learned per-element mean and scale).
 *
 * <ul>
 *   <li>{@code glow:small}: L=2, K=8, 64 hidden channels, for 28x28x1.</li>
 *   <li>{@code glow:fmnist}: L=2, K=16, 64 hidden channels, for 28x28x1: twice {@code glow:small}'s
 *       depth, sized for an hour of training on two cores (docs/RESULTS.md), with a recipe of its
 *       own: {@code glow:small}'s defaults with a cosine over the run ({@link #recipe}).</li>
 *   <li>{@code glow:paper}: the published CIFAR-10 configuration, L=3, K=32, 512 channels.</li>
 *   <li>{@code glow:small-cond}: {@code glow:small} with the paper's class-conditional prior on
 *       the top latent: its mean and log-scale are a learned linear map of the one-hot label
 *       ({@link ConditionalGaussian}), so {@code flows4j sample --label "ankle boot"} draws that
 *       class. Trained with {@code --condition label}.</li>
 * </ul>
 * Options: {@code levels}, {@code steps}, {@code hidden}, {@code coupling=affine|additive}
 * ({@link CouplingKind}), {@code permutation=lu|plain|shuffle|reverse} ({@link Permutation}).
 */
public final class GlowFactory implements ModelFactory {

    private record Preset(int levels, int steps, int hidden, String description) {}

    private static final Map<String, Preset> PRESETS = Map.of(
            "small", new Preset(2, 8, 64, "L=2 levels of K=8 steps, 64 hidden channels, for 28x28 images"),
            "fmnist",
                    new Preset(
                            2,
                            16,
                            64,
                            "L=2 levels of K=16 steps, 64 hidden channels, for 28x28 images: an hour's model"),
            "paper", new Preset(3, 32, 512, "Glow's CIFAR-10 model: L=3, K=32, 512 hidden channels"),
            "small-cond",
                    new Preset(
                            2,
                            8,
                            64,
                            "class-conditional glow:small: the top latent's prior mean and "
                                    + "log-scale linear in the one-hot label (--condition label)"));

    private static final Set<String> OPTIONS = Set.of("levels", "steps", "hidden", "coupling", "permutation");

    @Override
    public String family() {
        return "glow";
    }

    @Override
    public List<String> presets() {
        return List.of("small", "fmnist", "paper", "small-cond");
    }

    @Override
    public String describe(String preset) {
        return preset(preset).description();
    }

    /**
     * {@code glow:fmnist} anneals: batch 64, Adam at {@code 1e-3} after 200 warmup steps, then a
     * cosine to 0 over the run (its steps, or the {@code --minutes} budget), clipping at 100. At
     * the default's constant rate, {@code glow:small}'s hour-long validation curve moved by up to
     * 0.05 bits/dim between evaluations; the cosine ends the run on a settled model. The other
     * presets keep the default.
     */
    @Override
    public Recipe recipe(String preset) {
        preset(preset);
        return preset.equals("fmnist") ? FMNIST_RECIPE : Recipe.DEFAULT;
    }

    private static final Recipe FMNIST_RECIPE = Recipe.DEFAULT.withSchedule(Recipe.Schedule.COSINE);

    private Preset preset(String name) {
        Preset p = PRESETS.get(name);
        if (p == null) {
            throw new IllegalArgumentException(
                    "unknown preset 'glow:" + name + "'; glow has: " + String.join(", ", presets()));
        }
        return p;
    }

    /**
     * How each flow step mixes the channels before its coupling: the {@code permutation}
     * option. The constants are listed default first, as an unknown option value lists them.
     */
    public enum Permutation {
        /** An invertible 1x1 convolution in Glow's LU form, the default: {@code permutation=lu}. */
        LU_1X1("lu"),
        /** An invertible 1x1 convolution with a plain weight matrix: {@code permutation=plain}. */
        PLAIN_1X1("plain"),
        /** A random permutation, drawn once and fixed: {@code permutation=shuffle}. */
        SHUFFLE("shuffle"),
        /** Reverse the channel order (RealNVP's fixed reversal): {@code permutation=reverse}. */
        REVERSE("reverse");

        private final String option;

        Permutation(String option) {
            this.option = option;
        }

        /**
         * The option value that selects it ({@code permutation=<value>}).
         *
         * @return the lower-case value of the {@code permutation} option
         */
        public String option() {
            return option;
        }

        /**
         * The permutation named by an option value, case-insensitively.
         *
         * @param value the option's value; surrounding blanks and case are ignored
         * @return the constant whose {@link #option()} it is
         * @throws IllegalArgumentException for any other value, listing the valid ones
         */
        public static Permutation parse(String value) {
            return Options.parse("glow option permutation", value, values(), Permutation::option);
        }
    }

    /** The element transform of Glow's couplings: the {@code coupling} option, default first. */
    public enum CouplingKind {
        /** Glow's {@code y = x sigmoid(h + 2) + t}, the default: {@code coupling=affine}. */
        AFFINE("affine"),
        /** NICE's {@code y = x + t}, volume-preserving: {@code coupling=additive}. */
        ADDITIVE("additive");

        private final String option;

        CouplingKind(String option) {
            this.option = option;
        }

        /**
         * The option value that selects it ({@code coupling=<value>}).
         *
         * @return the lower-case value of the {@code coupling} option
         */
        public String option() {
            return option;
        }

        /**
         * The coupling kind named by an option value, case-insensitively.
         *
         * @param value the option's value; surrounding blanks and case are ignored
         * @return the constant whose {@link #option()} it is
         * @throws IllegalArgumentException for any other value, listing the valid ones
         */
        public static CouplingKind parse(String value) {
            return Options.parse("glow option coupling", value, values(), CouplingKind::option);
        }
    }

    /** The settings read from the options; {@code options} holds every one with the value it took. */
    private record Config(
            int levels,
            int steps,
            int hidden,
            CouplingKind coupling,
            Permutation permutation,
            Map<String, String> options) {}

    private Config config(String name, Shape eventShape, Dataset.Kind kind, Map<String, String> options) {
        Preset p = preset(name);
        if (kind != Dataset.Kind.IMAGE_8BIT || eventShape.rank() != 3) {
            throw new IllegalArgumentException(
                    "glow models images [c, h, w] of 8-bit pixels; for vectors use " + "realnvp:2d or nice");
        }
        Options o = new Options("glow:" + name, options, OPTIONS);
        int levels = o.integer("levels", p.levels(), 1);
        int steps = o.integer("steps", p.steps(), 1);
        int hidden = o.integer("hidden", p.hidden(), 1);
        CouplingKind coupling = o.choice("coupling", CouplingKind.AFFINE, CouplingKind.values(), CouplingKind::option);
        Permutation permutation =
                o.choice("permutation", Permutation.LU_1X1, Permutation.values(), Permutation::option);
        Config c = new Config(levels, steps, hidden, coupling, permutation, o.resolved());
        int h = eventShape.dim(1);
        int w = eventShape.dim(2);
        for (int i = 0; i < c.levels(); i++) {
            if (h % 2 != 0 || w % 2 != 0) {
                throw new IllegalArgumentException("glow with " + c.levels() + " levels squeezes " + c.levels()
                        + " times, which needs images whose sides halve that often; " + eventShape + " does not");
            }
            h /= 2;
            w /= 2;
        }
        return c;
    }

    /**
     * Builds the model. Per step: actnorm, the permutation (a random one or a 1x1 convolution
     * drawn from its own {@code split()} of the request's context), and a channel-wise
     * coupling whose {@code GlowNet} is sized by {@link Coupling#of(BuildContext,
     * org.flows4j.layers.bijectors.Mask, CouplingTransform, org.flows4j.layers.nn.NetworkFactory)}
     * and built from the next split.
     */
    @Override
    public ZooModel build(ModelRequest r) {
        Config c = config(r.preset(), r.eventShape(), r.kind(), r.options());
        boolean conditional = r.preset().endsWith("-cond");
        if (conditional != r.conditioning().isConditional()) {
            throw new IllegalArgumentException(
                    conditional
                            ? "glow:" + r.preset() + " is class-conditional: train it with --condition label"
                            : "glow:" + r.preset() + " is unconditional; for --condition use glow:small-cond");
        }
        BuildContext ctx = r.context();
        int top = 0;
        GlowNet.Spec network = GlowNet.hidden(c.hidden());
        CouplingTransform transform = c.coupling() == CouplingKind.ADDITIVE
                ? CouplingTransform.additive()
                : CouplingTransform.affine(CouplingTransform.Scale.SIGMOID);
        List<MultiScale.Level> levels = new ArrayList<>();
        Shape shape = r.eventShape();
        for (int l = 0; l < c.levels(); l++) {
            boolean last = l == c.levels() - 1;
            int ch = 4 * shape.dim(0);
            Shape out = Shape.of(ch, shape.dim(1) / 2, shape.dim(2) / 2);
            List<Bijector> steps = new ArrayList<>();
            steps.add(new Squeeze());
            for (int k = 0; k < c.steps(); k++) {
                steps.add(new ActNorm(ctx, ch, 4));
                steps.add(permutation(ctx, c.permutation(), ch));
                steps.add(Coupling.of(ctx.split(), Masks.channelWise(ch, false), transform, network));
            }
            SplitPrior prior = null;
            if (last) {
                steps.add(new ElementwiseAffine(ctx, out));
                top = out.size();
            } else {
                int half = ch / 2;
                prior = new SplitPrior(new Conv2dZeros(ctx, ch - half, 2 * half, 3));
            }
            levels.add(new MultiScale.Level(new Chain(steps), out, prior));
            shape = Shape.of(ch - ch / 2, out.dim(1), out.dim(2));
        }
        List<Bijector> parts = new ArrayList<>(Preprocessing.forData(r.kind(), 0));
        parts.add(new MultiScale(r.eventShape(), levels));
        int d = r.eventShape().size();
        Distribution base = conditional
                ? ConditionalGaussian.linear(ctx, d, r.conditioning().size(), top)
                : new StandardNormal(ctx, Shape.of(d));
        Flow flow = new Flow(new Chain(parts), base);
        return new ZooModel(
                new ModelSpec(family(), r.preset()),
                flow,
                r.eventShape(),
                r.kind(),
                ctx.backend(),
                ctx.dtype(),
                c.options(),
                r.conditioning());
    }

    private static Bijector permutation(BuildContext ctx, Permutation p, int ch) {
        return switch (p) {
            case LU_1X1 -> InvertibleConv1x1.lu(ctx.split(), ch);
            case PLAIN_1X1 -> InvertibleConv1x1.plain(ctx.split(), ch);
            case SHUFFLE -> org.flows4j.layers.bijectors.Permutation.random(ctx.split(), ch);
            case REVERSE -> org.flows4j.layers.bijectors.Permutation.reverse(ch);
        };
    }
}
