package org.flows4j.zoo.models;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.flows4j.api.Shape;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Flow;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.bijectors.Chain;
import org.flows4j.layers.bijectors.CouplingTransform;
import org.flows4j.layers.bijectors.LocationScale;
import org.flows4j.layers.bijectors.Maf;
import org.flows4j.layers.bijectors.Reshape;
import org.flows4j.layers.distributions.StandardNormal;
import org.flows4j.layers.nn.Made;

/**
 * MAF (Papamakarios, Pavlakou and Murray, 2017): a stack of Gaussian MADEs
 * {@code z_i = (x_i - mu_i(x_<i)) exp(-alpha_i(x_<i))}, orderings reversed between layers, over a
 * standard normal ({@link Maf}). The density is one pass; sampling takes {@code D} passes per
 * layer.
 *
 * <ul>
 *   <li>{@code maf:2d}, for 2-D data: 5 MADEs of 2 hidden ReLU layers of 80, 35,220 parameters
 *       (realnvp:2d has 35,344).</li>
 *   <li>{@code maf:tabular}, for CSV data of {@code D} columns: 5 MADEs of 2 hidden layers of
 *       width {@code min(512, max(64, 8 D))}.</li>
 *   <li>{@code maf:images}, for 8-bit images in logit space (Fashion-MNIST): pixels scaled to
 *       {@code [0, 1)}, the logit with {@code alpha = 0.05}, flattened; 5 MADEs of one hidden layer
 *       of 1024 (the paper's MNIST model), each with Glow's bounded scale: {@code alpha =
 *       max(ln sigmoid(h + 2), -10)}, so the density direction can stretch a pixel by up to
 *       {@code e^10} and sampling, {@code x = z exp(alpha) + mu}, never stretches. With MAF's
 *       unbounded {@code exp}, samples at {@code T = 1} overflowed to NaN after five minutes of
 *       training on Fashion-MNIST (docs/RESULTS.md).</li>
 *   <li>{@code maf:2d-iaf}: the inverse autoregressive flow of {@code maf:2d}, the same layers run
 *       the other way round (sampling one pass, density {@code D}).</li>
 *   <li>{@code maf:2d-cond}, {@code maf:tabular-cond}: conditional, every MADE seeing the
 *       context ({@code flows4j train --condition label|context}).</li>
 * </ul>
 * Options: {@code transforms}, {@code width}, {@code depth}, {@code batchnorm=true|false}
 * (batch normalization between the MADEs, as in the paper; off by default),
 * {@code scale=exp|tanh|sigmoid} (how a MADE's output {@code h} becomes the log-scale
 * {@code alpha}: MAF's {@code alpha = h}, the default but for {@code maf:images};
 * {@code tanh(h)}; or Glow's bounded {@code max(ln sigmoid(h + 2), -10)}, {@code maf:images}'s).
 */
public final class MafFactory implements ModelFactory {

    private record Preset(
            Autoregressive.Data data,
            boolean conditional,
            boolean iaf,
            int transforms,
            int width,
            int depth,
            CouplingTransform.Scale scale,
            String description) {}

    private static final Map<String, Preset> PRESETS = new LinkedHashMap<>();

    static {
        PRESETS.put(
                "2d",
                new Preset(
                        Autoregressive.Data.PLANE,
                        false,
                        false,
                        5,
                        80,
                        2,
                        CouplingTransform.Scale.EXP,
                        "5 Gaussian MADEs 2x80, orderings reversed between them, for 2-D data"));
        PRESETS.put(
                "tabular",
                new Preset(
                        Autoregressive.Data.TABULAR,
                        false,
                        false,
                        5,
                        0,
                        2,
                        CouplingTransform.Scale.EXP,
                        "5 Gaussian MADEs of 2 hidden layers of min(512, max(64, 8 D)), for CSV data"));
        PRESETS.put(
                "images",
                new Preset(
                        Autoregressive.Data.IMAGES,
                        false,
                        false,
                        5,
                        1024,
                        1,
                        CouplingTransform.Scale.SIGMOID,
                        "5 MADEs of 1x1024, bounded scale, on logit pixels, for images (Fashion-MNIST)"));
        PRESETS.put(
                "2d-iaf",
                new Preset(
                        Autoregressive.Data.PLANE,
                        false,
                        true,
                        5,
                        80,
                        2,
                        CouplingTransform.Scale.EXP,
                        "IAF: maf:2d run backwards (sampling one pass, density D passes)"));
        PRESETS.put(
                "2d-cond",
                new Preset(
                        Autoregressive.Data.PLANE,
                        true,
                        false,
                        5,
                        80,
                        2,
                        CouplingTransform.Scale.EXP,
                        "conditional maf:2d, every MADE seeing the context (--condition)"));
        PRESETS.put(
                "tabular-cond",
                new Preset(
                        Autoregressive.Data.TABULAR,
                        true,
                        false,
                        5,
                        0,
                        2,
                        CouplingTransform.Scale.EXP,
                        "conditional maf:tabular, every MADE seeing the context (--condition)"));
    }

    private static final Set<String> OPTIONS = Set.of("transforms", "width", "depth", "batchnorm", "scale");

    /**
     * {@code maf:images} trains more gently than the default: batch 64, Adam at {@code 3e-4}
     * after 200 warmup steps, then a cosine to 0 over the run (its steps, or the
     * {@code --minutes} budget), clipping at 100. With MAF's unbounded scale, the default's
     * constant {@code 1e-3} made the loss NaN after 1,164 steps on Fashion-MNIST, where this
     * recipe trained to 4.01 bits/dim in five minutes (docs/RESULTS.md). The other presets keep
     * the default.
     */
    @Override
    public Recipe recipe(String preset) {
        preset(preset);
        return preset.equals("images") ? IMAGES_RECIPE : Recipe.DEFAULT;
    }

    private static final Recipe IMAGES_RECIPE = new Recipe(64, 3e-4, Recipe.Schedule.COSINE, 200, 100, 0);

    /** The {@code scale} option's value for a log-scale function: its name in lower case. */
    private static String scaleOption(CouplingTransform.Scale scale) {
        return scale.name().toLowerCase(Locale.ROOT);
    }

    /** MAF's logit margin for images. */
    static final double ALPHA = 0.05;

    @Override
    public String family() {
        return "maf";
    }

    @Override
    public List<String> presets() {
        return List.copyOf(PRESETS.keySet());
    }

    @Override
    public String describe(String preset) {
        return preset(preset).description();
    }

    private Preset preset(String name) {
        Preset p = PRESETS.get(name);
        if (p == null) {
            throw new IllegalArgumentException(
                    "unknown preset 'maf:" + name + "'; maf has: " + String.join(", ", PRESETS.keySet()));
        }
        return p;
    }

    /**
     * Builds the model: each MADE from its own {@code split()} of the request's context, in order
     * ({@link Maf#bijector}).
     */
    @Override
    public ZooModel build(ModelRequest r) {
        String name = "maf:" + r.preset();
        Preset p = preset(r.preset());
        Autoregressive.checkData(name, p.data(), r.eventShape(), r.kind());
        Autoregressive.checkConditioning(name, p.conditional(), r.conditioning());
        Options o = new Options(name, r.options(), OPTIONS);
        int d = r.eventShape().size();
        int width = o.integer("width", p.width() > 0 ? p.width() : Autoregressive.tabularWidth(d), 1);
        int depth = o.integer("depth", p.depth(), 0);
        Maf spec = (p.iaf() ? Maf.iaf(d) : Maf.features(d))
                .transforms(o.integer("transforms", p.transforms(), 1))
                .network(Made.hidden(Preprocessing.repeated(width, depth)))
                .transform(LocationScale.of(
                        o.choice("scale", p.scale(), CouplingTransform.Scale.values(), MafFactory::scaleOption)))
                .batchNorm(o.flag("batchnorm", false))
                .context(r.conditioning().size());
        BuildContext ctx = r.context();
        List<Bijector> parts = new ArrayList<>(Preprocessing.forData(r.kind(), ALPHA));
        if (p.data() == Autoregressive.Data.IMAGES) {
            parts.add(new Reshape(r.eventShape(), Shape.of(d)));
        }
        parts.add(spec.bijector(ctx));
        Flow flow = new Flow(new Chain(parts), new StandardNormal(ctx, Shape.of(d)));
        return new ZooModel(
                new ModelSpec(family(), r.preset()),
                flow,
                r.eventShape(),
                r.kind(),
                ctx.backend(),
                ctx.dtype(),
                o.resolved(),
                r.conditioning());
    }
}
