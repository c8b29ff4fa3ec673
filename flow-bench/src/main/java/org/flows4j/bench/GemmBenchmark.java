package org.flows4j.bench;

import java.util.concurrent.TimeUnit;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
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

/**
 * The square matrix product {@code C = A B}, {@code n x n} by {@code n x n}, through
 * {@code Tensor.matmul}.
 *
 * <p><b>FLOP count</b>: {@code 2 n^3} per product (a multiply and an add for each of the
 * {@code n^3} terms), the usual convention of BLAS benchmarks; 2.147 GFLOP at {@code n = 1024}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class GemmBenchmark {

    /** The element type. */
    @Param({"float32", "float64"})
    public String dtype;

    /** The matrix size. */
    @Param("1024")
    public int n;

    /** Compute threads; 0 for one per available processor. */
    @Param("0")
    public int threads;

    /** The backend, by name. */
    @Param("cpu")
    public String backendName;

    private Backend backend;
    private Tensor a;
    private Tensor b;

    /** The FLOP count of one product. */
    public static double flops(int n) {
        return 2.0 * n * n * n;
    }

    /** Makes the backend and two random matrices. */
    @Setup
    public void setUp() {
        backend = Benches.backend(backendName, threads);
        DType dt = DType.parse(dtype);
        a = Benches.normal(backend, dt, 1, Shape.of(n, n), 1);
        b = Benches.normal(backend, dt, 2, Shape.of(n, n), 1);
        System.out.println("# backend: " + backend);
    }

    /** Closes the backend. */
    @TearDown
    public void tearDown() {
        backend.close();
    }

    /** One product. */
    @Benchmark
    public Tensor matmul(GflopCounter counter) {
        counter.gflop += flops(n) * 1e-9;
        return a.matmul(b);
    }
}
