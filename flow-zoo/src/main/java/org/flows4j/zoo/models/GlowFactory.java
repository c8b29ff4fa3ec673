package org.flows4j.zoo.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.flows4j.api.Shape;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Flow;
import org.flows4j.api.random.RandomSource;
import org.flows4j.layers.bijectors.ActNorm;
import org.flows4j.layers.bijectors.Chain;
import org.flows4j.layers.bijectors.Coupling;
import org.flows4j.layers.bijectors.CouplingTransform;
import org.flows4j.layers.bijectors.ElementwiseAffine;
import org.flows4j.layers.bijectors.InvertibleConv1x1;
import org.flows4j.layers.bijectors.Masks;
import org.flows4j.layers.bijectors.MultiScale;
import org.flows4j.layers.bijectors.Permutation;
import org.flows4j.layers.bijectors.SplitPrior;
import org.flows4j.layers.bijectors.Squeeze;
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
 *   <li>{@code glow:paper}: the published CIFAR-10 configuration, L=3, K=32, 512 channels.</li>
 * </ul>
 * Options: {@code levels}, {@code steps}, {@code hidden}, {@code coupling=affine|additive},
 * {@code permutation=lu|plain|shuffle|reverse}.
 */
public final class GlowFactory implements ModelFactory {

    private record Preset(int levels, int steps, int hidden, String description) {
    }

    private static final Map<String, Preset> PRESETS = Map.of(
            "small", new Preset(2, 8, 64, "L=2 levels of K=8 steps, 64 hidden channels, for 28x28 images"),
            "paper", new Preset(3, 32, 512, "Glow's CIFAR-10 model: L=3, K=32, 512 hidden channels"));

    private static final Set<String> OPTIONS = Set.of("levels", "steps", "hidden", "coupling", "permutation");

    @Override
    public String family() {
        return "glow";
    }

    @Override
    public List<String> presets() {
        return List.of("small", "paper");
    }

    @Override
    public String describe(String preset) {
        return preset(preset).description();
    }

    private Preset preset(String name) {
        Preset p = PRESETS.get(name);
        if (p == null) {
            throw new IllegalArgumentException("unknown preset 'glow:" + name + "'; glow has: small, paper");
        }
        return p;
    }

    private record Config(int levels, int steps, int hidden, boolean additive, String permutation) {
    }

    private Config config(String name, Shape eventShape, Dataset.Kind kind, Map<String, String> options) {
        Preset p = preset(name);
        if (kind != Dataset.Kind.IMAGE_8BIT || eventShape.rank() != 3) {
            throw new IllegalArgumentException("glow models images [c, h, w] of 8-bit pixels; for vectors use "
                    + "realnvp:2d or nice");
        }
        Options o = new Options("glow:" + name, options, OPTIONS);
        Config c = new Config(o.integer("levels", p.levels(), 1), o.integer("steps", p.steps(), 1),
                o.integer("hidden", p.hidden(), 1),
                o.choice("coupling", "affine", "affine", "additive").equals("additive"),
                o.choice("permutation", "lu", "lu", "plain", "shuffle", "reverse"));
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

    @Override
    public long parameterCount(String preset, Shape eventShape, Dataset.Kind kind) {
        Config c = config(preset, eventShape, kind, Map.of());
        long n = 0;
        int ch = eventShape.dim(0);
        int h = eventShape.dim(1);
        int w = eventShape.dim(2);
        for (int l = 0; l < c.levels(); l++) {
            ch *= 4;
            h /= 2;
            w /= 2;
            long perStep = 2L * ch; // actnorm
            perStep += switch (c.permutation()) {
                case "lu" -> (long) ch * ch * 2 + ch;   // strictly lower and upper (stored full) and log|s|
                case "plain" -> (long) ch * ch;
                default -> 0;
            };
            int half = ch / 2;
            perStep += GlowNet.parameterCount(ch - half, c.hidden(), (c.additive() ? 1 : 2) * half);
            n += c.steps() * perStep;
            if (l < c.levels() - 1) {
                n += Conv2dZeros.parameterCount(ch - half, 2 * half, 3);
                ch = ch - half;
            } else {
                n += 2L * ch * h * w; // the learned top prior
            }
        }
        return n;
    }

    @Override
    public ZooModel build(ModelRequest r) {
        Config c = config(r.preset(), r.eventShape(), r.kind(), r.options());
        RandomSource random = r.random();
        List<MultiScale.Level> levels = new ArrayList<>();
        Shape shape = r.eventShape();
        for (int l = 0; l < c.levels(); l++) {
            boolean last = l == c.levels() - 1;
            int ch = 4 * shape.dim(0);
            Shape out = Shape.of(ch, shape.dim(1) / 2, shape.dim(2) / 2);
            List<Bijector> steps = new ArrayList<>();
            steps.add(new Squeeze());
            for (int k = 0; k < c.steps(); k++) {
                steps.add(new ActNorm(r.backend(), r.dtype(), ch, 4));
                steps.add(permutation(r, c, ch, random));
                int half = ch / 2;
                steps.add(new Coupling(Masks.channelWise(ch, false),
                        new GlowNet(r.backend(), r.dtype(), ch - half, c.hidden(), (c.additive() ? 1 : 2) * half,
                                random.split()),
                        c.additive() ? new CouplingTransform.Additive()
                                : new CouplingTransform.Affine(CouplingTransform.Scale.SIGMOID)));
            }
            SplitPrior prior = null;
            if (last) {
                steps.add(new ElementwiseAffine(r.backend(), r.dtype(), out));
            } else {
                int half = ch / 2;
                prior = new SplitPrior(new Conv2dZeros(r.backend(), r.dtype(), ch - half, 2 * half, 3));
            }
            levels.add(new MultiScale.Level(new Chain(steps), out, prior));
            shape = Shape.of(ch - ch / 2, out.dim(1), out.dim(2));
        }
        List<Bijector> parts = new ArrayList<>(Preprocessing.forData(r.kind(), 0));
        parts.add(new MultiScale(r.eventShape(), levels));
        Flow flow = new Flow(new Chain(parts), new StandardNormal(r.backend(), r.dtype(),
                Shape.of(r.eventShape().size())));
        return new ZooModel(new ModelSpec(family(), r.preset()), flow, r.eventShape(), r.kind(), r.backend(), r.dtype(),
                r.options());
    }

    private static Bijector permutation(ModelRequest r, Config c, int ch, RandomSource random) {
        return switch (c.permutation()) {
            case "lu" -> InvertibleConv1x1.lu(r.backend(), r.dtype(), ch, random.split());
            case "plain" -> InvertibleConv1x1.plain(r.backend(), r.dtype(), ch, random.split());
            case "shuffle" -> Permutation.random(ch, random.split());
            default -> Permutation.reverse(ch);
        };
    }
}
