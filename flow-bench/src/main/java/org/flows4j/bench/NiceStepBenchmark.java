package org.flows4j.bench;

import java.util.concurrent.TimeUnit;
import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One training step of a NICE-shaped flow (see {@link NiceStep}): forward through four
 * additive couplings, each with an MLP {@code 392 -> 1000 x 5 -> 392}, backward through
 * {@code Autodiff.grad}, and an Adam update of all 19.2 million parameters through
 * {@code Backend.adamUpdate}; batch 256.
 *
 * <p><b>FLOP count</b>: {@link NiceStep#flops()}, the matrix products only (29.19 GFLOP per step).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class NiceStepBenchmark {

    /** The element type. */
    @Param("float32")
    public String dtype;

    /** Compute threads; 0 for one per available processor. */
    @Param("0")
    public int threads;

    /** The backend, by name. */
    @Param("cpu")
    public String backendName;

    private Backend backend;
    private NiceStep step;

    /** Makes the backend and the model. */
    @Setup
    public void setUp() {
        backend = Benches.backend(backendName, threads);
        step = new NiceStep(backend, DType.parse(dtype), 7);
        System.out.println("# backend: " + backend + ", " + step.parameterCount() + " parameters");
    }

    /** Closes the backend. */
    @TearDown
    public void tearDown() {
        backend.close();
    }

    /** One step; returns the loss before the update. */
    @Benchmark
    public double step(GflopCounter counter) {
        counter.gflop += NiceStep.flops() * 1e-9;
        return step.step();
    }
}
