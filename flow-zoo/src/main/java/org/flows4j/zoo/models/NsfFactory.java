package org.flows4j.zoo.models;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.flows4j.api.Shape;
import org.flows4j.api.flow.Bijector;
import org.flows4j.api.flow.Flow;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.bijectors.Chain;
import org.flows4j.layers.bijectors.Coupling;
import org.flows4j.layers.bijectors.Maf;
import org.flows4j.layers.bijectors.Masks;
import org.flows4j.layers.bijectors.RationalQuadraticSpline;
import org.flows4j.layers.distributions.StandardNormal;
import org.flows4j.layers.nn.Made;
import org.flows4j.layers.nn.Mlp;

/**
 * Neural spline flows (Durkan, Bekasov, Murray and Papamakarios, 2019): monotonic
 * rational-quadratic splines of {@code K} bins on {@code [-B, B]} with linear tails
 * ({@link RationalQuadraticSpline}), in coupling layers (NSF-C: masks alternating between the
 * two halves of the features, conditioners MLPs) or in masked autoregressive layers (NSF-AR:
 * MADEs, orderings reversed between layers), over a standard normal.
 *
 * <ul>
 *   <li>{@code nsf:2d}: 4 spline couplings, K = 8 on [-5, 5], MLP 2x82: 35,516 parameters
 *       (realnvp:2d has 35,344).</li>
 *   <li>{@code nsf:2d-ar}: 4 autoregressive spline layers, K = 8 on [-5, 5], MADE 2x73:
 *       36,100 parameters.</li>
 *   <li>{@code nsf:tabular}: 5 spline couplings, K = 8 on [-3, 3] (standardized columns),
 *       MLPs of 2 hidden layers of {@code min(512, max(64, 8 D))}; {@code nsf:tabular-ar}: the
 *       same with MADEs.</li>
 *   <li>{@code nsf:2d-cond}: conditional {@code nsf:2d}, each conditioner seeing the context.</li>
 * </ul>
 * Options: {@code transforms}, {@code width}, {@code depth}, {@code bins}, {@code bound}.
 */
public final class NsfFactory implements ModelFactory {

    private record Preset(
            Autoregressive.Data data,
            boolean autoregressive,
            boolean conditional,
            int transforms,
            int width,
            double bound,
            String description) {}

    private static final Map<String, Preset> PRESETS = new LinkedHashMap<>();

    static {
        PRESETS.put(
                "2d",
                new Preset(
                        Autoregressive.Data.PLANE,
                        false,
                        false,
                        4,
                        82,
                        5,
                        "4 spline couplings, 8 bins on [-5, 5], MLP 2x82, for 2-D data"));
        PRESETS.put(
                "2d-ar",
                new Preset(
                        Autoregressive.Data.PLANE,
                        true,
                        false,
                        4,
                        73,
                        5,
                        "4 autoregressive spline layers, 8 bins on [-5, 5], MADE 2x73, for 2-D data"));
        PRESETS.put(
                "tabular",
                new Preset(
                        Autoregressive.Data.TABULAR,
                        false,
                        false,
                        5,
                        0,
                        3,
                        "5 spline couplings, 8 bins on [-3, 3], MLP 2 x min(512, max(64, 8 D)), for CSV data"));
        PRESETS.put(
                "tabular-ar",
                new Preset(
                        Autoregressive.Data.TABULAR,
                        true,
                        false,
                        5,
                        0,
                        3,
                        "5 autoregressive spline layers, 8 bins on [-3, 3], MADE 2 x min(512, max(64, 8 D))"));
        PRESETS.put(
                "2d-cond",
                new Preset(
                        Autoregressive.Data.PLANE,
                        false,
                        true,
                        4,
                        82,
                        5,
                        "conditional nsf:2d, each conditioner seeing the context (--condition)"));
    }

    private static final Set<String> OPTIONS = Set.of("transforms", "width", "depth", "bins", "bound");

    @Override
    public String family() {
        return "nsf";
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
                    "unknown preset 'nsf:" + name + "'; nsf has: " + String.join(", ", PRESETS.keySet()));
        }
        return p;
    }

    /** Builds the model: each conditioner from its own {@code split()} of the request's context, in order. */
    @Override
    public ZooModel build(ModelRequest r) {
        String name = "nsf:" + r.preset();
        Preset p = preset(r.preset());
        Autoregressive.checkData(name, p.data(), r.eventShape(), r.kind());
        Autoregressive.checkConditioning(name, p.conditional(), r.conditioning());
        Options o = new Options(name, r.options(), OPTIONS);
        int d = r.eventShape().size();
        if (!p.autoregressive() && d < 2) {
            throw new IllegalArgumentException(name + " couples halves of the features and needs at least 2; "
                    + "the data has 1 (use nsf:tabular-ar)");
        }
        int width = o.integer("width", p.width() > 0 ? p.width() : Autoregressive.tabularWidth(d), 1);
        int depth = o.integer("depth", 2, 0);
        int transforms = o.integer("transforms", p.transforms(), 1);
        RationalQuadraticSpline spline = RationalQuadraticSpline.builder()
                .bins(o.integer("bins", 8, 2))
                .bound(o.number("bound", p.bound(), 0))
                .build();
        int[] hidden = Preprocessing.repeated(width, depth);
        int context = r.conditioning().size();
        BuildContext ctx = r.context();
        Bijector body;
        if (p.autoregressive()) {
            body = Maf.features(d)
                    .transforms(transforms)
                    .network(Made.hidden(hidden))
                    .transform(spline)
                    .context(context)
                    .bijector(ctx);
        } else {
            List<Bijector> couplings = new ArrayList<>();
            for (int i = 0; i < transforms; i++) {
                couplings.add(
                        Coupling.of(ctx.split(), Masks.halves(d, i % 2 == 1), spline, Mlp.hidden(hidden), context));
            }
            body = new Chain(couplings);
        }
        Flow flow = new Flow(body, new StandardNormal(ctx, Shape.of(d)));
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
