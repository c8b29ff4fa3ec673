package org.flows4j.api.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.function.Supplier;
import org.flows4j.api.Shape;

/**
 * Reverse-mode automatic differentiation over the record that tensors keep of how they were
 * computed. Every backward rule is written with tensor operations, so gradients are the same
 * mathematics on every backend.
 *
 * <pre>{@code
 * Tensor x = Tensor.of(backend, new double[] {1, 2, 3}, 3).requiringGrad();
 * Tensor y = x.square().sum();                      // y = sum x_i^2
 * Tensor dx = Autodiff.grad(y, List.of(x)).get(0);  // 2 x = [2, 4, 6]
 * }</pre>
 */
public final class Autodiff {

    private Autodiff() {}

    /**
     * Turns recording off on this thread until the returned guard is closed.
     *
     * @return the guard, to close on this thread (try-with-resources); closing restores the previous mode
     */
    public static NoGrad noGrad() {
        return new NoGrad(GradMode.set(false));
    }

    /**
     * Runs {@code body} with recording off and returns its result.
     *
     * @param <T> the result type
     * @param body the computation; tensors it makes record no gradient
     * @return what {@code body} returns
     */
    public static <T> T noGrad(Supplier<T> body) {
        try (NoGrad ignored = noGrad()) {
            return body.get();
        }
    }

    /**
     * Whether operations on this thread currently record gradients.
     *
     * @return false inside {@link #noGrad()} (and while a backward pass runs without
     *     {@code createGraph}), true otherwise
     */
    public static boolean isRecording() {
        return GradMode.isEnabled();
    }

    /** Restores the previous recording mode when closed. */
    public static final class NoGrad implements AutoCloseable {
        private final boolean previous;
        private boolean closed;

        private NoGrad(boolean previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                GradMode.set(previous);
            }
        }
    }

    /**
     * The gradients of a one-element tensor {@code output} with respect to each of {@code wrt}.
     * A tensor that {@code output} does not depend on gets zeros of its shape.
     *
     * @param output the value to differentiate, with exactly one element (for example a mean loss)
     * @param wrt the variables, each requiring a gradient
     * @return an unmodifiable list of gradients, one per element of {@code wrt} in its order, each of
     *     that variable's shape; they record no gradient themselves
     * @throws IllegalArgumentException if {@code output} has more than one element or does not
     *     require a gradient, or an element of {@code wrt} does not require one
     */
    public static List<Tensor> grad(Tensor output, List<Tensor> wrt) {
        if (output.size() != 1) {
            throw new IllegalArgumentException("grad: output of shape " + output.shape()
                    + " is not a scalar; reduce it first or pass the output gradient");
        }
        return grad(output, wrt, output.onesLike(), false);
    }

    /**
     * The vector-Jacobian product: gradients of {@code output} weighted by {@code gradOutput}
     * (of the output's shape) with respect to each of {@code wrt}. With {@code createGraph}
     * the backward pass itself is recorded, so the gradients can be differentiated again.
     *
     * @param output the value to differentiate, of any shape; it must require a gradient
     * @param wrt the variables, each requiring a gradient
     * @param gradOutput the weights of the product, of {@code output}'s shape (ones for a plain gradient)
     * @param createGraph whether to record the backward pass, for higher-order gradients
     * @return an unmodifiable list of gradients, one per element of {@code wrt} in its order, each of
     *     that variable's shape (zeros where {@code output} does not depend on it)
     * @throws IllegalArgumentException if {@code gradOutput}'s shape differs from {@code output}'s, or
     *     {@code output} or an element of {@code wrt} does not require a gradient
     */
    public static List<Tensor> grad(Tensor output, List<Tensor> wrt, Tensor gradOutput, boolean createGraph) {
        if (!gradOutput.shape().equals(output.shape())) {
            throw new IllegalArgumentException(
                    "grad: output gradient " + gradOutput.shape() + " does not match output " + output.shape());
        }
        for (Tensor t : wrt) {
            if (!t.requiresGrad()) {
                throw new IllegalArgumentException("grad: a tensor of shape " + t.shape()
                        + " does not require a gradient; make the variable with requiringGrad()");
            }
        }
        if (!output.requiresGrad()) {
            throw new IllegalArgumentException("grad: the output of shape " + output.shape()
                    + " does not depend on any tensor that requires a gradient (was it computed under noGrad?)");
        }
        boolean previous = GradMode.set(createGraph);
        try {
            return backward(output, wrt, gradOutput);
        } finally {
            GradMode.set(previous);
        }
    }

    private static List<Tensor> backward(Tensor output, List<Tensor> wrt, Tensor seed) {
        List<Tensor> order = topologicalOrder(output);
        IdentityHashMap<Tensor, Tensor> grads = new IdentityHashMap<>();
        grads.put(output, seed);
        for (int i = order.size() - 1; i >= 0; i--) {
            Tensor t = order.get(i);
            Node node = t.node();
            Tensor g = grads.get(t);
            if (node == null || g == null) {
                continue;
            }
            Tensor[] inputGrads = node.rule().apply(g, t);
            Tensor[] inputs = node.inputs();
            if (inputGrads.length != inputs.length) {
                throw new IllegalStateException("backward rule of " + node.op() + " returned " + inputGrads.length
                        + " gradients for " + inputs.length + " inputs");
            }
            for (int j = 0; j < inputs.length; j++) {
                Tensor in = inputs[j];
                Tensor gi = inputGrads[j];
                if (!in.requiresGrad() || gi == null) {
                    continue;
                }
                if (!gi.shape().equals(in.shape())) {
                    throw new IllegalStateException("backward rule of " + node.op() + " gave a gradient of shape "
                            + gi.shape() + " for input " + j + " of shape " + in.shape());
                }
                Tensor prev = grads.get(in);
                grads.put(in, prev == null ? gi : prev.add(gi));
            }
            if (t != output && !isWrt(t, wrt)) {
                grads.remove(t); // no longer needed: lets intermediate gradients be collected early
            }
        }
        List<Tensor> out = new ArrayList<>(wrt.size());
        for (Tensor w : wrt) {
            Tensor g = grads.get(w);
            out.add(g != null ? g : w.zerosLike());
        }
        return Collections.unmodifiableList(out);
    }

    private static boolean isWrt(Tensor t, List<Tensor> wrt) {
        for (Tensor w : wrt) {
            if (w == t) {
                return true;
            }
        }
        return false;
    }

    /** Inputs before the tensors computed from them; iterative, since deep flows record long chains. */
    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        IdentityHashMap<Tensor, Boolean> visited = new IdentityHashMap<>();
        Deque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        visited.put(root, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            int next = (Integer) frame[1];
            Node node = t.node();
            Tensor[] inputs = node == null ? new Tensor[0] : node.inputs();
            if (next < inputs.length) {
                frame[1] = next + 1;
                Tensor in = inputs[next];
                if (in.requiresGrad() && visited.put(in, Boolean.TRUE) == null) {
                    stack.push(new Object[] {in, 0});
                }
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }

    /**
     * Applies a function with its own backward rule. The output records {@code function}'s
     * {@link DifferentiableFunction#backward} when any input requires a gradient.
     *
     * @param function the operation, whose {@code forward} runs with recording off
     * @param inputs its inputs, passed to {@code forward} and {@code backward} in this order
     * @return the output of {@code function.forward}, recording {@code function}'s backward rule when
     *     recording is on and an input requires a gradient
     */
    public static Tensor apply(DifferentiableFunction function, Tensor... inputs) {
        Tensor[] in = inputs.clone();
        Tensor out = noGrad(() -> function.forward(in));
        boolean record = false;
        for (Tensor t : in) {
            record |= t.requiresGrad();
        }
        if (!record || !GradMode.isEnabled()) {
            return out;
        }
        String name = function.name();
        return out.withRecord(name, in, (g, o) -> {
            Tensor[] grads = function.backward(g, o, in);
            if (grads == null || grads.length != in.length) {
                throw new IllegalStateException(name + ".backward returned "
                        + (grads == null ? "null" : grads.length + " gradients") + " for " + in.length + " inputs");
            }
            for (int i = 0; i < grads.length; i++) {
                Shape expected = in[i].shape();
                if (grads[i] != null && !grads[i].shape().equals(expected)) {
                    throw new IllegalStateException(name + ".backward gave a gradient of shape " + grads[i].shape()
                            + " for input " + i + " of shape " + expected);
                }
            }
            return grads;
        });
    }
}
