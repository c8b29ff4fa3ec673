package org.flows4j.zoo.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.flows4j.api.Shape;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Flow;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.bijectors.Chain;
import org.flows4j.layers.bijectors.Coupling;
import org.flows4j.layers.bijectors.CouplingTransform;
import org.flows4j.layers.bijectors.Masks;
import org.flows4j.layers.bijectors.MultiScale;
import org.flows4j.layers.bijectors.Squeeze;
import org.flows4j.layers.distributions.StandardNormal;
import org.flows4j.layers.nn.Mlp;
import org.flows4j.layers.nn.ResNet;
import org.flows4j.zoo.data.Dataset;

/**
 * RealNVP (Dinh, Sohl-Dickstein and Bengio, 2016): affine couplings {@code y = x exp(s) + t},
 * {@code s} bounded by tanh, over a standard normal.
 *
 * <ul>
 *   <li>{@code realnvp:2d}, for 2-D and tabular data: 8 couplings alternating which half is
 *       updated, {@code s} and {@code t} from one MLP with 2 hidden ReLU layers of 64.</li>
 *   <li>{@code realnvp:small} and {@code realnvp:paper}, for 8-bit images: pixels scaled to
 *       {@code [0, 1)} and passed through the logit with {@code alpha = 0.05}; then the
 *       multi-scale architecture: each scale applies 3 checkerboard couplings, a squeeze and 3
 *       channel-wise couplings and factors out half the channels; the last scale applies 4
 *       checkerboard couplings. {@code s} and {@code t} come from one ResNet. {@code paper}
 *       has the CIFAR-10 model's 8 residual blocks of 64 feature maps and one downscaling
 *       (2 scales); {@code small} has 2 blocks of 32. The paper's ResNets also use batch
 *       normalization and weight normalization, which these leave out.</li>
 * </ul>
 * Options: {@code couplings} (2d), {@code width}, {@code depth} (2d), {@code blocks} and
 * {@code scales} (images).
 */
public final class RealNvpFactory implements ModelFactory {

    /** RealNVP's logit margin. */
    static final double ALPHA = 0.05;

    /** RealNVP's stabilized log-scale, {@code s = tanh(h)}. */
    private static final CouplingTransform.Scale SCALE = CouplingTransform.Scale.TANH;

    private record Preset(
            boolean images, int couplings, int width, int depth, int blocks, int scales, String description) {}

    private static final Map<String, Preset> PRESETS = Map.of(
            "2d", new Preset(false, 8, 64, 2, 0, 0, "8 affine couplings with MLP 2x64, for 2-D and tabular data"),
            "small", new Preset(true, 0, 32, 0, 2, 2, "multi-scale, 2 scales, ResNet 2 blocks x 32, for images"),
            "paper", new Preset(true, 0, 64, 0, 8, 2, "RealNVP's CIFAR-10 model: 2 scales, ResNet 8 blocks x 64"));

    private static final Set<String> VECTOR_OPTIONS = Set.of("couplings", "width", "depth");
    private static final Set<String> IMAGE_OPTIONS = Set.of("width", "blocks", "scales");

    @Override
    public String family() {
        return "realnvp";
    }

    @Override
    public List<String> presets() {
        return List.of("2d", "small", "paper");
    }

    @Override
    public String describe(String preset) {
        return preset(preset).description();
    }

    private Preset preset(String name) {
        Preset p = PRESETS.get(name);
        if (p == null) {
            throw new IllegalArgumentException("unknown preset 'realnvp:" + name + "'; realnvp has: 2d, small, paper");
        }
        return p;
    }

    /** The settings read from the options; {@code options} holds every one with the value it took. */
    private record Config(
            Preset preset, int couplings, int width, int depth, int blocks, int scales, Map<String, String> options) {}

    private Config config(String name, Shape eventShape, Dataset.Kind kind, Map<String, String> options) {
        Preset p = preset(name);
        boolean imageData = kind == Dataset.Kind.IMAGE_8BIT && eventShape.rank() == 3;
        if (p.images() != imageData) {
            throw new IllegalArgumentException(
                    p.images()
                            ? "realnvp:" + name + " models images [c, h, w] of 8-bit pixels; for vectors use realnvp:2d"
                            : "realnvp:2d models vectors; for images use realnvp:small or realnvp:paper");
        }
        Options o = new Options("realnvp:" + name, options, p.images() ? IMAGE_OPTIONS : VECTOR_OPTIONS);
        int couplings = o.integer("couplings", p.couplings(), 1);
        int width = o.integer("width", p.width(), 1);
        int depth = o.integer("depth", p.depth(), 0);
        int blocks = o.integer("blocks", p.blocks(), 0);
        int scales = o.integer("scales", p.scales(), 1);
        Config c = new Config(p, couplings, width, depth, blocks, scales, o.resolved());
        if (p.images()) {
            checkScales(eventShape, c.scales());
        } else if (eventShape.size() < 2) {
            throw new IllegalArgumentException(
                    "realnvp:2d needs at least 2 dimensions to split, the data has " + eventShape.size());
        }
        return c;
    }

    private static void checkScales(Shape s, int scales) {
        int h = s.dim(1);
        int w = s.dim(2);
        for (int i = 0; i < scales - 1; i++) {
            if (h % 2 != 0 || w % 2 != 0) {
                throw new IllegalArgumentException("realnvp with " + scales + " scales needs images whose sides halve "
                        + (scales - 1) + " times; " + s + " does not");
            }
            h /= 2;
            w /= 2;
        }
    }

    /**
     * Builds the model. Every coupling's conditioner (an MLP for vectors, a ResNet for images)
     * is sized by {@link Coupling#affine} from its mask and built from its own {@code split()}
     * of the request's context, in order.
     */
    @Override
    public ZooModel build(ModelRequest r) {
        Config c = config(r.preset(), r.eventShape(), r.kind(), r.options());
        BuildContext ctx = r.context();
        List<Bijector> parts = new ArrayList<>(Preprocessing.forData(r.kind(), ALPHA));
        Shape latent;
        if (!c.preset().images()) {
            int d = r.eventShape().size();
            Mlp.Spec network = Mlp.hidden(Preprocessing.repeated(c.width(), c.depth()));
            for (int i = 0; i < c.couplings(); i++) {
                parts.add(Coupling.affine(ctx.split(), Masks.halves(d, i % 2 == 1), network, SCALE));
            }
            latent = r.eventShape();
        } else {
            parts.add(multiScale(r, c));
            latent = Shape.of(r.eventShape().size());
        }
        Flow flow = new Flow(new Chain(parts), new StandardNormal(ctx, latent));
        return new ZooModel(
                new ModelSpec(family(), r.preset()),
                flow,
                r.eventShape(),
                r.kind(),
                ctx.backend(),
                ctx.dtype(),
                c.options());
    }

    private static MultiScale multiScale(ModelRequest r, Config c) {
        BuildContext ctx = r.context();
        ResNet.Spec network = ResNet.width(c.width()).blocks(c.blocks());
        List<MultiScale.Level> levels = new ArrayList<>();
        Shape shape = r.eventShape();
        for (int s = 0; s < c.scales(); s++) {
            boolean last = s == c.scales() - 1;
            int ch = shape.dim(0);
            List<Bijector> steps = new ArrayList<>();
            for (int i = 0; i < (last ? 4 : 3); i++) {
                steps.add(Coupling.affine(ctx.split(), Masks.checkerboard(shape, i % 2 == 1), network, SCALE));
            }
            Shape out = shape;
            if (!last) {
                steps.add(new Squeeze());
                out = Shape.of(4 * ch, shape.dim(1) / 2, shape.dim(2) / 2);
                for (int i = 0; i < 3; i++) {
                    steps.add(Coupling.affine(ctx.split(), Masks.channelWise(4 * ch, i % 2 == 1), network, SCALE));
                }
            }
            levels.add(new MultiScale.Level(new Chain(steps), out, null));
            shape = Shape.of(out.dim(0) / 2, out.dim(1), out.dim(2));
        }
        return new MultiScale(r.eventShape(), levels);
    }
}
