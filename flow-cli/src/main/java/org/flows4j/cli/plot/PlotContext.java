package org.flows4j.cli.plot;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.flows4j.api.Shape;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.models.ZooModel;

/**
 * What the pictures of a conditional 2-D model are given: nothing (an unconditional model), one
 * context for every point ({@code flows4j sample --context 0.5,1} or {@code --label}), or the
 * contexts of a split's rows, which makes the pictures those of the marginal
 * {@code p(x) = E_c p(x | c)} over the split: sample {@code i} is drawn given row {@code i}'s
 * context (rows in turn), and the density is the mixture {@code log (1/K) sum_k p(x | c_k)} over
 * {@link #MIXTURE} rows spread evenly through the split (computed by log-sum-exp, since the
 * terms' densities differ by hundreds of nats away from the data).
 */
public final class PlotContext {

    /** The most contexts the marginal density mixes: each costs one pass over the picture's grid. */
    public static final int MIXTURE = 16;

    private static final PlotContext NONE = new PlotContext(null, null, null);

    /** One context for every point, or null. */
    private final double[] fixed;
    /** One context per row of a split, or null. */
    private final double[][] rows;

    private final String description;

    private PlotContext(double[] fixed, double[][] rows, String description) {
        this.fixed = fixed;
        this.rows = rows;
        this.description = description;
    }

    /** No context: an unconditional model. */
    public static PlotContext none() {
        return NONE;
    }

    /**
     * One context for every point.
     *
     * @param description how a title names it, e.g. {@code c = (0.5, 1)}
     */
    public static PlotContext of(double[] context, String description) {
        if (context.length == 0) {
            throw new IllegalArgumentException("a context has at least one value");
        }
        return new PlotContext(context.clone(), null, description);
    }

    /**
     * The contexts of {@code split}'s rows as the model takes them (one-hot labels or context
     * columns): the pictures show the marginal over the split. None for an unconditional model.
     *
     * @throws IllegalArgumentException when the split lacks the labels or columns the model needs
     */
    public static PlotContext marginal(ZooModel model, DataSplit split) {
        if (!model.conditioning().isConditional()) {
            return NONE;
        }
        if (split.size() == 0) {
            throw new IllegalArgumentException("the marginal over a split needs rows; the split is empty");
        }
        int[] all = new int[split.size()];
        Arrays.setAll(all, i -> i);
        double[] flat;
        try (org.flows4j.api.tensor.MemoryScope scope = org.flows4j.api.tensor.MemoryScope.open()) {
            flat = model.conditioning()
                    .context(split, all, model.backend(), model.dtype())
                    .toDoubleArray();
        }
        int c = model.conditioning().size();
        double[][] rows = new double[split.size()][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = Arrays.copyOfRange(flat, i * c, (i + 1) * c);
        }
        return new PlotContext(null, rows, "marginal over test contexts");
    }

    /** Whether there is no context. */
    public boolean isNone() {
        return fixed == null && rows == null;
    }

    /** How a title names it; null for none. */
    public String description() {
        return description;
    }

    /**
     * The contexts of samples {@code from .. from + m - 1}: {@code [c]} for a fixed one,
     * {@code [m, c]} from the rows in turn, null for none. Made in the caller's memory scope.
     */
    Tensor forSamples(ZooModel model, int from, int m) {
        if (fixed != null) {
            return Tensor.of(model.backend(), model.dtype(), fixed, Shape.of(fixed.length));
        }
        if (rows == null) {
            return null;
        }
        int c = rows[0].length;
        double[] out = new double[m * c];
        for (int i = 0; i < m; i++) {
            System.arraycopy(rows[(from + i) % rows.length], 0, out, i * c, c);
        }
        return Tensor.of(model.backend(), model.dtype(), out, Shape.of(m, c));
    }

    /**
     * The contexts the density mixes, each {@code [c]}: the fixed one, or up to {@link #MIXTURE}
     * rows spread evenly; a list holding null for none.
     */
    List<double[]> forDensity() {
        List<double[]> out = new ArrayList<>();
        if (fixed != null) {
            out.add(fixed);
        } else if (rows == null) {
            out.add(null);
        } else {
            int k = Math.min(MIXTURE, rows.length);
            for (int j = 0; j < k; j++) {
                out.add(rows[(int) ((long) j * rows.length / k)]);
            }
        }
        return out;
    }
}
