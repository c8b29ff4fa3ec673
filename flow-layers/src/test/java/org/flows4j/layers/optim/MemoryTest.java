package org.flows4j.layers.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.Layer;
import org.flows4j.layers.nn.Conv2d;
import org.flows4j.layers.nn.Mlp;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Training inside memory scopes keeps the number of live storages flat and frees replaced values. */
class MemoryTest {

    // make holds non-capturing lambdas, which have no state: the constants are immutable in fact.
    @SuppressWarnings("ImmutableEnumChecker")
    enum Setup {
        ADAM_NEW_STORAGES(
                CountingBackend.AdamMode.NEW_STORAGES,
                p -> Adam.builder().learningRate(1e-2).create(p)),
        ADAM_IN_PLACE(
                CountingBackend.AdamMode.IN_PLACE,
                p -> Adam.builder().learningRate(1e-2).create(p)),
        SGD_MOMENTUM(
                CountingBackend.AdamMode.NEW_STORAGES,
                p -> Sgd.builder()
                        .schedule(LearningRateSchedule.constant(1e-2))
                        .momentum(0.9)
                        .nesterov(true)
                        .weightDecay(1e-4)
                        .create(p));

        final CountingBackend.AdamMode mode;
        final Function<Map<String, Parameter>, Optimizer> make;

        Setup(CountingBackend.AdamMode mode, Function<Map<String, Parameter>, Optimizer> make) {
            this.mode = mode;
            this.make = make;
        }
    }

    @ParameterizedTest
    @EnumSource(Setup.class)
    void fifty_steps_keep_live_storages_constant(Setup setup) {
        try (Backend cpu = Backends.create("cpu");
                CountingBackend backend = new CountingBackend(cpu, setup.mode)) {
            Mlp mlp = Mlp.hidden(8, 8)
                    .zeroInitLast(false)
                    .create(org.flows4j.layers.BuildContext.of(backend, DType.FLOAT32, RandomSource.seeded(1)), 3, 2);
            Tensor x = RandomSource.seeded(2).uniform(backend, DType.FLOAT32, Shape.of(16, 3), -1, 1);
            train(backend, mlp, x, setup);
            x.free();
        }
    }

    @ParameterizedTest
    @EnumSource(Setup.class)
    void fifty_convolutional_steps_keep_live_storages_constant(Setup setup) {
        try (Backend cpu = Backends.create("cpu");
                CountingBackend backend = new CountingBackend(cpu, setup.mode)) {
            Conv2d conv = new Conv2d(
                    org.flows4j.layers.BuildContext.of(backend, DType.FLOAT32, RandomSource.seeded(1)),
                    2,
                    3,
                    3,
                    true,
                    false);
            Tensor x = RandomSource.seeded(2).uniform(backend, DType.FLOAT32, Shape.of(2, 2, 4, 4), -1, 1);
            train(backend, conv, x, setup);
            x.free();
        }
    }

    @SuppressWarnings("try") // the scope frees each step's temporaries by being open
    private static void train(CountingBackend backend, Layer net, Tensor x, Setup setup) {
        Map<String, Parameter> params = net.parameters();
        Optimizer opt = setup.make.apply(params);
        ExponentialMovingAverage ema = new ExponentialMovingAverage(params, 0.99);
        int liveBefore = backend.live();
        double firstLoss = Double.NaN;
        double lastLoss = Double.NaN;
        for (int step = 0; step < 50; step++) {
            List<Tensor> oldValues = new ArrayList<>();
            params.values().forEach(p -> oldValues.add(p.value()));
            try (MemoryScope scope = MemoryScope.open()) {
                Tensor loss = net.apply(x).sub(0.5).square().mean();
                lastLoss = loss.item();
                if (step == 0) {
                    firstLoss = lastLoss;
                }
                List<Tensor> g = Autodiff.grad(loss, oldValues);
                Map<String, Tensor> grads = new LinkedHashMap<>();
                int i = 0;
                for (String name : params.keySet()) {
                    grads.put(name, g.get(i++));
                }
                opt.step(GradientClipping.clipByGlobalNorm(grads, 10).gradients());
            }
            ema.update();
            try (MemoryScope scope = MemoryScope.open();
                    ExponentialMovingAverage.Applied averaged = ema.applied()) {
                Autodiff.noGrad(() -> net.apply(x)); // an evaluation with the averages
            }
            int i = 0;
            for (Parameter p : params.values()) {
                Tensor old = oldValues.get(i++);
                if (p.value() == old) {
                    assertFalse(old.isFreed(), "an in-place update keeps the value alive");
                } else {
                    assertTrue(old.isFreed(), "step " + step + ": a replaced value must be freed");
                }
                assertFalse(p.value().isFreed());
            }
            assertEquals(liveBefore, backend.live(), "step " + step + ": live storages");
        }
        assertTrue(lastLoss < firstLoss, "training makes progress: " + firstLoss + " -> " + lastLoss);
        assertEquals(0, backend.badFrees(), "no storage freed twice");
        if (opt instanceof Adam) {
            assertEquals(50 * params.size(), backend.adamCalls(), "every Adam update goes through the fused kernel");
        }
    }
}
