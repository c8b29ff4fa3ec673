package org.flows4j.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.testing.Tolerance;
import org.junit.jupiter.api.DynamicTest;

/**
 * One gradient check in float64 on the target: for {@code f(x...) = sum_j sum(op_j(x...) * w_j)}
 * with fixed random weights {@code w_j} (so every output element gets its own, non-uniform
 * gradient), the {@link Autodiff#grad} result must match central finite differences of
 * {@code f} element by element, within {@link Tolerance#GRADIENT}.
 */
final class GradientCase {

    private final String name;
    private final Data[] inputs;
    private final long seed;
    private KernelCase.TensorFn op;

    private GradientCase(String name, long seed, Data[] inputs) {
        this.name = name;
        this.seed = seed;
        this.inputs = inputs.clone();
    }

    /** A check called {@code name} on these inputs; {@link Data#asConstant() constant} ones are not differentiated. */
    public static GradientCase of(String name, long seed, Data... inputs) {
        return new GradientCase(name, seed, inputs);
    }

    /** The operation, with one output. */
    public GradientCase op(Function<Tensor[], Tensor> f) {
        this.op = in -> new Tensor[] {f.apply(in)};
        return this;
    }

    /** The operation, with several outputs (each weighted separately). */
    public GradientCase ops(KernelCase.TensorFn f) {
        this.op = f;
        return this;
    }

    /** The check as a dynamic test. */
    public DynamicTest test(Session session) {
        return DynamicTest.dynamicTest(name + " float64", () -> run(session.target()));
    }

    @SuppressWarnings("try") // the scope only frees what the body makes; the body never names it
    private void run(Backend backend) {
        try (MemoryScope scope = MemoryScope.open()) {
            check(backend);
        }
    }

    private void check(Backend backend) {
        Tensor[] x = new Tensor[inputs.length];
        List<Tensor> variables = new ArrayList<>();
        List<Integer> variableIndex = new ArrayList<>();
        for (int i = 0; i < inputs.length; i++) {
            Tensor t = inputs[i].on(backend, DType.FLOAT64);
            if (!inputs[i].constant()) {
                t = t.requiringGrad();
                variables.add(t);
                variableIndex.add(i);
            }
            x[i] = t;
        }
        Tensor[] y = op.apply(x);
        // weights from the check's own stream, drawn after the inputs so they never coincide
        Gen g = new Gen(seed, name + " weights");
        Data[] w = new Data[y.length];
        for (int j = 0; j < y.length; j++) {
            w[j] = g.normal(y[j].shape().dims());
        }
        Tensor loss = weighted(backend, y, w);
        if (!loss.requiresGrad()) {
            throw new AssertionError(name + ": the loss does not require a gradient, so nothing was recorded");
        }
        List<Tensor> grads = Autodiff.grad(loss, variables);
        List<String> problems = new ArrayList<>();
        for (int v = 0; v < variables.size(); v++) {
            int i = variableIndex.get(v);
            Tensor gi = grads.get(v);
            if (!gi.shape().equals(inputs[i].shape())) {
                problems.add("input " + i + ": gradient of shape " + gi.shape() + " for an input of shape "
                        + inputs[i].shape());
                continue;
            }
            double[] fd = finiteDifferences(backend, i, w);
            String m = Tolerance.GRADIENT.mismatch(gi.toDoubleArray(), fd, absOf(fd));
            if (m != null) {
                problems.add(
                        "d loss / d input " + i + " " + inputs[i].shape() + ", autodiff vs central differences: " + m);
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError(name + " float64 on '" + backend.name() + "':\n" + String.join("\n", problems));
        }
    }

    private static Tensor weighted(Backend backend, Tensor[] y, Data[] w) {
        Tensor loss = null;
        for (int j = 0; j < y.length; j++) {
            Tensor term = y[j].mul(w[j].on(backend, DType.FLOAT64)).sum();
            loss = loss == null ? term : loss.add(term);
        }
        return loss;
    }

    /**
     * {@code (f(x + h e_k) - f(x - h e_k)) / 2h} for every element k of input i, with
     * {@code h = 1e-6 max(1, |x_k|)}.
     */
    private double[] finiteDifferences(Backend backend, int i, Data[] w) {
        double[] base = inputs[i].values();
        double[] fd = new double[base.length];
        for (int k = 0; k < base.length; k++) {
            double xk = base[k];
            double h = 1e-6 * Math.max(1, Math.abs(xk));
            double[] plus = base.clone();
            double[] minus = base.clone();
            plus[k] = xk + h;
            minus[k] = xk - h;
            // divide by the step actually represented, not the one asked for
            double step = plus[k] - minus[k];
            fd[k] = (loss(backend, i, plus, w) - loss(backend, i, minus, w)) / step;
        }
        return fd;
    }

    @SuppressWarnings("try") // the scope frees what the evaluation makes; recording is off for speed
    private double loss(Backend backend, int replaced, double[] values, Data[] w) {
        try (MemoryScope scope = MemoryScope.open();
                Autodiff.NoGrad off = Autodiff.noGrad()) {
            Tensor[] x = new Tensor[inputs.length];
            for (int j = 0; j < inputs.length; j++) {
                Data d = j == replaced ? new Data(inputs[j].shape(), values, false) : inputs[j];
                x[j] = d.on(backend, DType.FLOAT64);
            }
            return weighted(backend, op.apply(x), w).item();
        }
    }

    private static double[] absOf(double[] x) {
        double[] a = new double[x.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = Math.abs(x[i]);
        }
        return a;
    }
}
