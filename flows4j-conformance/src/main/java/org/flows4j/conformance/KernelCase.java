package org.flows4j.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.testing.Tolerance;
import org.junit.jupiter.api.DynamicTest;

/**
 * One kernel check: an operation written with the {@link Tensor} API, run on the target and on
 * the reference with the same host inputs, and compared with both the reference's result and,
 * where given, the host computation of the specification ({@link Host}).
 *
 * <p>Outputs that accumulate (sums, products, convolutions) are compared with the error scale
 * of {@link Tolerance}: the same operation evaluated on the absolute values of the inputs.
 */
final class KernelCase {

    /** The operation on tensors; several outputs are allowed (split, a pair of gradients). */
    @FunctionalInterface
    public interface TensorFn {
        /** Applies the operation. */
        Tensor[] apply(Tensor[] inputs);
    }

    /** The specification on the host, one result per output of the {@link TensorFn}. */
    @FunctionalInterface
    public interface HostFn {
        /** Computes the expected outputs. */
        Data[] apply(Data[] inputs);
    }

    private final String name;
    private final Data[] inputs;
    private TensorFn op;
    private HostFn host;
    private boolean exact;
    private boolean accumulates;
    private DType outputDType;

    private KernelCase(String name, Data[] inputs) {
        this.name = name;
        this.inputs = inputs.clone();
    }

    /** A case called {@code name} (the operation and shapes) on these inputs. */
    public static KernelCase of(String name, Data... inputs) {
        return new KernelCase(name, inputs);
    }

    /** The operation, with one output. */
    public KernelCase op(Function<Tensor[], Tensor> f) {
        this.op = in -> new Tensor[] {f.apply(in)};
        return this;
    }

    /** The operation, with several outputs. */
    public KernelCase ops(TensorFn f) {
        this.op = f;
        return this;
    }

    /** The host specification of a one-output operation. */
    public KernelCase host(Function<Data[], Data> f) {
        this.host = in -> new Data[] {f.apply(in)};
        return this;
    }

    /** The host specification of a several-output operation. */
    public KernelCase hosts(HostFn f) {
        this.host = f;
        return this;
    }

    /** The kernel moves or selects elements, so results must match bit for bit. */
    public KernelCase exact() {
        this.exact = true;
        return this;
    }

    /** The outputs are sums of products of the inputs: scale the error by the absolute terms. */
    public KernelCase accumulates() {
        this.accumulates = true;
        return this;
    }

    /** Every output has this dtype, whatever the inputs' (casts); otherwise outputs keep the inputs' dtype. */
    public KernelCase outputs(DType dtype) {
        this.outputDType = dtype;
        return this;
    }

    /** The case as a dynamic test in {@code dtype}. */
    public DynamicTest test(Session session, DType dtype) {
        if (op == null) {
            throw new IllegalStateException("case " + name + " has no operation");
        }
        return DynamicTest.dynamicTest(name + " " + dtype.label(), () -> run(session, dtype));
    }

    private record Out(Data data, DType dtype) {}

    private void run(Session session, DType dtype) {
        Backend target = session.target();
        Backend reference = session.reference();
        Data[] in = new Data[inputs.length];
        Data[] abs = new Data[inputs.length];
        for (int i = 0; i < in.length; i++) {
            in[i] = inputs[i].roundedTo(dtype);
            abs[i] = in[i].abs();
        }
        inScope(() -> compare(target, reference, dtype, in, abs));
    }

    @SuppressWarnings("try") // the scope only frees what the body makes; the body never names it
    static void inScope(Runnable body) {
        try (MemoryScope scope = MemoryScope.open()) {
            body.run();
        }
    }

    private void compare(Backend target, Backend reference, DType dtype, Data[] in, Data[] abs) {
        String label = name + " " + dtype.label();
        Out[] t = evaluate(target, dtype, in);
        Out[] r = evaluate(reference, dtype, in);
        Out[] rScale = accumulates ? evaluate(reference, dtype, abs) : null;
        Data[] h = host == null ? null : host.apply(in);
        Data[] hScale = host != null && accumulates ? host.apply(abs) : null;
        List<String> problems = new ArrayList<>();
        if (t.length != r.length || (h != null && h.length != t.length)) {
            throw new IllegalStateException(label + ": the kit's case gives " + t.length + " outputs on the target, "
                    + r.length + " on the reference" + (h == null ? "" : " and " + h.length + " on the host"));
        }
        for (int i = 0; i < t.length; i++) {
            String out = t.length == 1 ? "" : " (output " + i + ")";
            DType expectedDType = outputDType != null ? outputDType : dtype;
            if (t[i].dtype() != expectedDType || r[i].dtype() != expectedDType) {
                problems.add("dtype" + out + ": target gives " + t[i].dtype().label() + ", reference "
                        + r[i].dtype().label() + ", specification " + expectedDType.label());
                continue;
            }
            Tolerance tol = Tolerance.of(t[i].dtype() == DType.FLOAT32, exact);
            String specMismatch = null;
            if (h != null) {
                if (!h[i].shape().equals(t[i].data().shape())) {
                    problems.add("shape" + out + ": target gives " + t[i].data().shape() + ", specification "
                            + h[i].shape());
                    continue;
                }
                double[] expected = h[i].roundedTo(t[i].dtype()).values();
                double[] scale = hScale != null ? hScale[i].values() : absOf(expected);
                specMismatch = tol.mismatch(t[i].data().values(), expected, scale);
                if (specMismatch != null) {
                    problems.add("target '" + target.name() + "' vs the specification (host loops)" + out + ": "
                            + specMismatch);
                }
            }
            if (!r[i].data().shape().equals(t[i].data().shape())) {
                problems.add("shape" + out + ": target gives " + t[i].data().shape() + ", reference "
                        + r[i].data().shape());
                continue;
            }
            double[] scale = rScale != null
                    ? rScale[i].data().values()
                    : absOf(r[i].data().values());
            String refMismatch = tol.mismatch(t[i].data().values(), r[i].data().values(), scale);
            if (refMismatch != null) {
                problems.add("target '" + target.name() + "' vs reference '" + reference.name() + "'" + out + ": "
                        + refMismatch
                        + (h != null && specMismatch == null
                                ? "\n  (the target matches the specification here: the reference looks wrong)"
                                : ""));
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError(label + ":\n" + String.join("\n", problems));
        }
    }

    private Out[] evaluate(Backend backend, DType dtype, Data[] in) {
        Tensor[] tensors = new Tensor[in.length];
        for (int i = 0; i < in.length; i++) {
            tensors[i] = in[i].on(backend, dtype);
        }
        Tensor[] outs = op.apply(tensors);
        Out[] result = new Out[outs.length];
        for (int i = 0; i < outs.length; i++) {
            result[i] = new Out(Data.from(outs[i]), outs[i].dtype());
        }
        return result;
    }

    private static double[] absOf(double[] x) {
        double[] a = new double[x.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = Math.abs(x[i]);
        }
        return a;
    }
}
