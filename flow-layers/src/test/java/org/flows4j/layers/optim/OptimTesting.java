package org.flows4j.layers.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.Tensor;

/** Quadratic problems and small helpers for the optimizer tests. */
final class OptimTesting {

    private OptimTesting() {}

    /** A trainable parameter holding {@code values}. */
    static Parameter parameter(Backend backend, DType dtype, double... values) {
        Tensor t = Tensor.of(backend, dtype, values, Shape.of(values.length));
        Parameter p = Parameter.trainable(t);
        t.free();
        return p;
    }

    /** Parameters {@code a} and {@code b}, in that order. */
    static Map<String, Parameter> twoParameters(Backend backend, DType dtype, double[] a, double[] b) {
        Map<String, Parameter> m = new LinkedHashMap<>();
        m.put("a", parameter(backend, dtype, a));
        m.put("b", parameter(backend, dtype, b));
        return m;
    }

    /**
     * The gradients of {@code L = sum_k sum_i 0.5 c_i (p_ki - 1)^2} by autodiff: a separable
     * quadratic with curvatures {@code c} and its minimum at 1.
     */
    static Map<String, Tensor> quadraticGradients(Map<String, Parameter> params, double[] curvature) {
        List<String> names = new ArrayList<>(params.keySet());
        List<Tensor> values = new ArrayList<>();
        Tensor loss = null;
        for (String n : names) {
            Tensor v = params.get(n).value();
            values.add(v);
            Tensor c = Tensor.of(v.backend(), v.dtype(), curvature, v.shape());
            Tensor term = v.sub(1.0).square().mul(c).mul(0.5).sum();
            loss = loss == null ? term : loss.add(term);
        }
        List<Tensor> g = Autodiff.grad(loss, values);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            out.put(names.get(i), g.get(i));
        }
        return out;
    }

    /** {@code c_i (p_i - 1)}: the host gradient of the quadratic above. */
    static double[] quadraticGradient(double[] p, double[] curvature) {
        double[] g = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            g[i] = curvature[i] * (p[i] - 1);
        }
        return g;
    }

    /** Gradients given on the host. */
    static Map<String, Tensor> gradients(Backend backend, DType dtype, Map<String, double[]> values) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        values.forEach((n, v) -> out.put(n, Tensor.of(backend, dtype, v, Shape.of(v.length))));
        return out;
    }

    /** Every parameter's values by name. */
    static Map<String, double[]> snapshot(Map<String, Parameter> params) {
        Map<String, double[]> out = new LinkedHashMap<>();
        params.forEach((n, p) -> out.put(n, p.value().toDoubleArray()));
        return out;
    }

    /** Every state tensor's values by name. */
    static Map<String, double[]> values(Map<String, Tensor> state) {
        Map<String, double[]> out = new LinkedHashMap<>();
        state.forEach((n, t) -> out.put(n, t.toDoubleArray()));
        return out;
    }
}
