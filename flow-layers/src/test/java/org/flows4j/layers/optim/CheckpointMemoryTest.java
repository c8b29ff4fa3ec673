package org.flows4j.layers.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.io.CheckpointMetadata;
import org.flows4j.layers.io.Checkpoints;
import org.flows4j.layers.nn.Mlp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restoring a checkpoint (model, optimizer state, moving average) leaves exactly the storages it
 * replaced: what was read from the file and copied into the optimizer or the average is freed.
 * A resume of a large model otherwise leaked one copy of its optimizer state in native memory.
 */
class CheckpointMemoryTest {

    @Test
    void loading_model_optimizer_and_average_leaves_no_storage_behind(@TempDir Path dir) {
        try (Backend cpu = Backends.create("cpu");
                CountingBackend backend = new CountingBackend(cpu, CountingBackend.AdamMode.IN_PLACE)) {
            BuildContext ctx = BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(3));
            Mlp net = Mlp.hidden(8).zeroInitLast(false).create(ctx, 3, 2);
            Map<String, Parameter> params = net.parameters();
            Optimizer adam = Adam.builder().learningRate(1e-2).create(params);
            ExponentialMovingAverage ema = new ExponentialMovingAverage(params, 0.9);
            Tensor x = ctx.uniform(Shape.of(4, 3), -1, 1).unscoped();
            for (int step = 0; step < 3; step++) {
                try (MemoryScope scope = MemoryScope.open()) {
                    adam.minimize(net.apply(x).square().mean());
                }
                ema.update();
            }
            Path file = dir.resolve("c.safetensors");
            Checkpoints.save(file, net, adam, ema, CheckpointMetadata.of("test", DType.FLOAT64));
            int before = backend.live();
            for (int round = 0; round < 3; round++) {
                Checkpoints.load(file, net, adam, ema);
                assertEquals(before, backend.live(), "live storages after restore " + (round + 1));
            }
            x.free();
        }
    }
}
