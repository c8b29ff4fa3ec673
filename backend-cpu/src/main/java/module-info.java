/**
 * The reference flows4j backend: pure-Java kernels in float32 and float64. Exports nothing;
 * it is found through {@link org.flows4j.api.backend.BackendProvider} under the name {@code cpu}.
 */
module org.flows4j.backend.cpu {
    requires org.flows4j.api;

    provides org.flows4j.api.backend.BackendProvider with org.flows4j.backend.cpu.CpuBackendProvider;
}
