/**
 * The reference flows4j backend: pure-Java kernels in float32 and float64. Exports nothing;
 * it is found through {@link org.flows4j.api.backend.BackendProvider} under the name {@code cpu}.
 *
 * <p>The Vector API is optional ({@code requires static}): the incubator module
 * {@code jdk.incubator.vector} is resolved only when the JVM is started with
 * {@code --add-modules jdk.incubator.vector}; then the backend's vector kernels run, otherwise
 * its scalar ones do.
 */
module org.flows4j.backend.cpu {
    requires org.flows4j.api;
    requires static jdk.incubator.vector;
    // only to see when the JIT compiler has finished while the GEMM plans are timed (GemmPlans)
    requires static java.management;

    provides org.flows4j.api.backend.BackendProvider with
            org.flows4j.backend.cpu.CpuBackendProvider;
}
