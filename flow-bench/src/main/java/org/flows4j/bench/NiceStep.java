package org.flows4j.bench;

import static org.flows4j.api.internal.TensorAccess.storage;
import static org.flows4j.api.internal.TensorAccess.wrap;

import java.util.ArrayList;
import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.AdamStep;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;

/**
 * A NICE-shaped training step built from flow-api operations only: the MNIST configuration of
 * Dinh et al. (2014), four additive coupling layers on 784 = 2 x 392 dimensions, each
 * conditioner an MLP {@code 392 -> 1000 -> 1000 -> 1000 -> 1000 -> 1000 -> 392} (five hidden
 * ReLU layers), batch 256. A step is: the forward pass (the halves alternate:
 * {@code b += m0(a); a += m1(b); b += m2(a); a += m3(b)}), the loss {@code 0.5 mean ||z||^2}
 * (a standard normal prior, the log-determinant of additive couplings being 0), every
 * gradient by {@link Autodiff#grad}, and an Adam update of every parameter through
 * {@link Backend#adamUpdate} (in place where the backend does it in place).
 *
 * <p>Parameters come from {@link RandomSource}: He-normal weights ({@code std sqrt(2 / fanIn)}),
 * zero biases; the data is a fixed standard normal batch.
 */
final class NiceStep {

    static final int BATCH = 256;
    static final int HALF = 392;
    static final int HIDDEN = 1000;
    static final int HIDDEN_LAYERS = 5;
    static final int COUPLINGS = 4;

    /** Widths of one MLP: in, five hidden, out. */
    private static final int[] WIDTHS = {HALF, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HALF};

    private final Backend backend;
    private final Tensor data;
    /** Per coupling, per layer: weight {@code [in, out]} then bias {@code [out]}. */
    private final Tensor[] params;

    private final Tensor[] m;
    private final Tensor[] v;
    private long t;

    NiceStep(Backend backend, DType dtype, long seed) {
        this.backend = backend;
        RandomSource rng = RandomSource.seeded(seed);
        int layers = WIDTHS.length - 1;
        params = new Tensor[COUPLINGS * layers * 2];
        for (int c = 0, i = 0; c < COUPLINGS; c++) {
            for (int l = 0; l < layers; l++) {
                int in = WIDTHS[l];
                int out = WIDTHS[l + 1];
                params[i++] = rng.normal(backend, dtype, Shape.of(in, out), 0, Math.sqrt(2.0 / in))
                        .unscoped();
                params[i++] = Tensor.zeros(backend, dtype, out).unscoped();
            }
        }
        m = new Tensor[params.length];
        v = new Tensor[params.length];
        for (int i = 0; i < params.length; i++) {
            m[i] = Tensor.full(backend, dtype, params[i].shape(), 0).unscoped();
            v[i] = Tensor.full(backend, dtype, params[i].shape(), 0).unscoped();
        }
        data = rng.normal(backend, dtype, Shape.of(BATCH, 2 * HALF), 0, 1).unscoped();
    }

    /** The number of parameters (19,157,568). */
    long parameterCount() {
        long n = 0;
        for (Tensor p : params) {
            n += p.size();
        }
        return n;
    }

    /**
     * The FLOPs of the matrix products of one step, the only ones counted: with
     * {@code S = sum_layers in * out = 392*1000 + 4*1000*1000 + 1000*392 = 4,784,000}, the forward
     * pass of the four MLPs is {@code 4 * 2 * 256 * S}; the backward pass computes, for every
     * layer, the weight gradient {@code x^T g} and the input gradient {@code g W^T}, the same
     * count each, except the input gradient of the first layer of the first coupling, whose
     * input is the data ({@code 2 * 256 * 392 * 1000}). In all
     * {@code 12 * 2 * 256 * S - 2 * 256 * 392000 = 29,192,192,000}. Bias additions, ReLUs,
     * the loss, the reductions of the bias gradients and the Adam update (about 0.2 GFLOP of
     * elementwise work in all) are not counted.
     */
    static double flops() {
        double s = 0;
        for (int l = 0; l + 1 < WIDTHS.length; l++) {
            s += (double) WIDTHS[l] * WIDTHS[l + 1];
        }
        return 12 * 2.0 * BATCH * s - 2.0 * BATCH * WIDTHS[0] * WIDTHS[1];
    }

    /** One training step; returns the loss before the update. */
    double step() {
        int layers = WIDTHS.length - 1;
        try (MemoryScope scope = MemoryScope.open()) {
            List<Tensor> leaves = new ArrayList<>(params.length);
            for (Tensor p : params) {
                leaves.add(p.requiringGrad());
            }
            Tensor a = data.slice(1, 0, HALF);
            Tensor b = data.slice(1, HALF, 2 * HALF);
            for (int c = 0; c < COUPLINGS; c++) {
                Tensor h = c % 2 == 0 ? a : b;
                for (int l = 0; l < layers; l++) {
                    int i = (c * layers + l) * 2;
                    h = h.matmul(leaves.get(i)).add(leaves.get(i + 1));
                    if (l + 1 < layers) {
                        h = h.relu();
                    }
                }
                if (c % 2 == 0) {
                    b = b.add(h);
                } else {
                    a = a.add(h);
                }
            }
            Tensor z = Tensor.concat(1, a, b);
            Tensor loss = z.square().sum().mul(0.5 / BATCH);
            List<Tensor> grads = Autodiff.grad(loss, leaves);
            t++;
            AdamStep adam = new AdamStep(1e-4, 0.9, 0.999, 1e-8, 0, t);
            for (int i = 0; i < params.length; i++) {
                Storage[] next = backend.adamUpdate(
                        storage(params[i]), storage(grads.get(i)), storage(m[i]), storage(v[i]), adam);
                params[i] = replace(scope, params[i], next[0]);
                m[i] = replace(scope, m[i], next[1]);
                v[i] = replace(scope, v[i], next[2]);
            }
            return loss.item();
        }
    }

    /** The tensor holding {@code next}: the same one after an in-place update, else a new one (the old freed). */
    private Tensor replace(MemoryScope scope, Tensor old, Storage next) {
        if (next == storage(old)) {
            return old;
        }
        old.free();
        return scope.keep(wrap(backend, next));
    }
}
