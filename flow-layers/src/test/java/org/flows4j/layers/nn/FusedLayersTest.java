package org.flows4j.layers.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The networks that call {@link Tensor#linear}: an {@link Mlp} and a {@link Linear} give the
 * values and gradients of the composition {@code act(x W + b)} that they computed before the
 * fused kernel, bit for bit, and a layer is one backend call.
 */
class FusedLayersTest {

    @ParameterizedTest
    @EnumSource(Activation.class)
    void mlp_gives_the_values_and_gradients_of_its_layers_composed(Activation act) {
        try (Backend backend = Backends.create("cpu")) {
            for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                Mlp mlp = Mlp.hidden(16, 8)
                        .activation(act)
                        .zeroInitLast(false)
                        .create(NetTesting.ctx(backend, dt, 3), 5, 4);
                RandomSource r = RandomSource.seeded(4);
                Tensor x = r.uniform(backend, dt, Shape.of(9, 5), -2, 2).requiringGrad();
                Tensor weights = r.uniform(backend, dt, Shape.of(9, 4), -1, 1);
                Map<String, Parameter> params = mlp.parameters();
                List<Tensor> wrt = new ArrayList<>();
                wrt.add(x);
                for (Parameter p : params.values()) {
                    wrt.add(p.value());
                }

                Tensor fused = mlp.apply(x);
                Tensor h = x;
                for (int i = 0; i < 2; i++) {
                    h = act.apply(h.matmul(params.get("layers." + i + ".weight").value())
                            .add(params.get("layers." + i + ".bias").value()));
                }
                Tensor reference = h.matmul(params.get("layers.2.weight").value())
                        .add(params.get("layers.2.bias").value());
                assertArrayEquals(reference.toDoubleArray(), fused.toDoubleArray(), act + " " + dt + " values");
                List<Tensor> gFused = Autodiff.grad(fused.mul(weights).sum(), wrt);
                List<Tensor> gRef = Autodiff.grad(reference.mul(weights).sum(), wrt);
                for (int i = 0; i < wrt.size(); i++) {
                    assertArrayEquals(
                            gRef.get(i).toDoubleArray(),
                            gFused.get(i).toDoubleArray(),
                            act + " " + dt + " gradient " + i);
                }
            }
        }
    }

    @Test
    void a_layer_with_its_activation_is_one_backend_call_and_relu_backward_one_more() {
        try (Backend cpu = Backends.create("cpu")) {
            FusedTensorOpsTest.Counting counting = new FusedTensorOpsTest.Counting(cpu);
            Backend backend = counting.backend;
            Mlp mlp = Mlp.hidden(6, 6).zeroInitLast(false).create(NetTesting.ctx(backend, DType.FLOAT32, 1), 3, 2);
            Tensor x = RandomSource.seeded(2).uniform(backend, DType.FLOAT32, Shape.of(4, 3), -1, 1);
            counting.reset();
            Tensor y = mlp.apply(x);
            assertEquals(Map.of("linear", 3), counting.calls(), "forward: one call per layer, ReLUs included");

            Mlp tanh =
                    Mlp.hidden(6).activation(Activation.TANH).create(NetTesting.ctx(backend, DType.FLOAT32, 1), 3, 2);
            counting.reset();
            tanh.apply(x);
            assertEquals(Map.of("linear", 2), counting.calls(), "tanh fuses too");

            Linear linear = new Linear(NetTesting.ctx(backend, DType.FLOAT32, 1), 3, 5, false);
            counting.reset();
            linear.apply(Tensor.zeros(backend, DType.FLOAT32, 2, 4, 3));
            assertEquals(1, counting.calls().get("linear"), "a batch of matrices too: " + counting.calls());

            counting.reset();
            Autodiff.grad(y.sum(), List.copyOf(parameterValues(mlp)));
            Map<String, Integer> backward = counting.calls();
            assertEquals(2, backward.get("reluBackward"), "one call per ReLU: " + backward);
            assertFalse(backward.containsKey("unary"), "no sign kernel in the backward pass: " + backward);
        }
    }

    @Test
    void made_layers_are_one_linear_call_each_after_masking() {
        try (Backend cpu = Backends.create("cpu")) {
            FusedTensorOpsTest.Counting counting = new FusedTensorOpsTest.Counting(cpu);
            Backend backend = counting.backend;
            Made made =
                    Made.hidden(8, 8).create(NetTesting.ctx(backend, DType.FLOAT32, 1), Made.Ordering.natural(3), 2, 0);
            Tensor x = RandomSource.seeded(2).uniform(backend, DType.FLOAT32, Shape.of(4, 3), -1, 1);
            counting.reset();
            made.apply(x);
            // the mask product W * M per layer, then the layer itself
            assertEquals(Map.of("linear", 3, "binary", 3), counting.calls());
        }
    }

    private static List<Tensor> parameterValues(Mlp mlp) {
        List<Tensor> out = new ArrayList<>();
        for (Parameter p : mlp.parameters().values()) {
            out.add(p.value());
        }
        return out;
    }
}
