package org.flows4j.bench;

import static org.flows4j.api.internal.TensorAccess.storage;

import java.util.concurrent.TimeUnit;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.tensor.Tensor;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * A convolution at the size of Glow's coupling networks: input {@code [64, 64, 14, 14]}
 * (batch, channels, height, width), weight {@code [64, 64, 3, 3]}, stride 1, "same" padding 1,
 * through the backend's three kernels: forward, gradient of the input, gradient of the weight.
 *
 * <p><b>FLOP count</b>, the same for each of the three kernels: {@code 2 n cOut cIn kh kw oh ow}
 * (a multiply and an add per term of the direct sum, padding taps included, as cuDNN and
 * PyTorch's profilers count), {@code 2 * 64 * 64 * 64 * 9 * 14 * 14} = 0.925 GFLOP.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class Conv2dBenchmark {

    static final int BATCH = 64;
    static final int CHANNELS = 64;
    static final int SIZE = 14;
    static final int KERNEL = 3;

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
    private Tensor x;
    private Tensor w;
    private Tensor g;

    /** The FLOP count of one kernel call. */
    public static double flops() {
        return 2.0 * BATCH * CHANNELS * CHANNELS * KERNEL * KERNEL * SIZE * SIZE;
    }

    /** Makes the backend, an input, a weight and an output gradient. */
    @Setup
    public void setUp() {
        backend = Benches.backend(backendName, threads);
        DType dt = DType.parse(dtype);
        x = Benches.normal(backend, dt, 1, Shape.of(BATCH, CHANNELS, SIZE, SIZE), 1);
        w = Benches.normal(backend, dt, 2, Shape.of(CHANNELS, CHANNELS, KERNEL, KERNEL), 0.05);
        g = Benches.normal(backend, dt, 3, Shape.of(BATCH, CHANNELS, SIZE, SIZE), 1);
        System.out.println("# backend: " + backend);
    }

    /** Closes the backend. */
    @TearDown
    public void tearDown() {
        backend.close();
    }

    private void done(Storage s, Blackhole bh, GflopCounter counter) {
        bh.consume(s);
        backend.free(s);
        counter.gflop += flops() * 1e-9;
    }

    /** {@code conv2d(x, w)}. */
    @Benchmark
    public void forward(GflopCounter counter, Blackhole bh) {
        done(backend.conv2d(storage(x), storage(w), 1, 1), bh, counter);
    }

    /** The gradient with respect to the input. */
    @Benchmark
    public void backwardInput(GflopCounter counter, Blackhole bh) {
        done(backend.conv2dBackwardInput(storage(g), storage(w), x.shape(), 1, 1), bh, counter);
    }

    /** The gradient with respect to the weight. */
    @Benchmark
    public void backwardWeight(GflopCounter counter, Blackhole bh) {
        done(backend.conv2dBackwardWeight(storage(x), storage(g), w.shape(), 1, 1), bh, counter);
    }
}
