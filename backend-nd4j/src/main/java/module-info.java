/**
 * The flows4j backend on ND4J ({@code nd4j-native}, CPU): every SPI kernel on native
 * {@code INDArray} buffers, in float32 and float64. Exports nothing; it is found through
 * {@link org.flows4j.api.backend.BackendProvider} under the name {@code nd4j}.
 *
 * <p>ND4J's jars carry module descriptors that do not resolve, so they stay on the class
 * path: this module reads the unnamed module instead of requiring them (compiled with
 * {@code --add-reads org.flows4j.backend.nd4j=ALL-UNNAMED}; at run time the provider adds the
 * read edge itself before it touches an ND4J class).
 *
 * <p>The Vector API is optional ({@code requires static}): with {@code --add-modules
 * jdk.incubator.vector} the Adam update (backend-support's loop, shared with djl), NaN scans,
 * sign, same-shape sums and float32 convolutions with few channels or 1x1 kernels run from Java
 * on the native buffers, otherwise ND4J's kernels do.
 */
module org.flows4j.backend.nd4j {
    requires org.flows4j.api;
    requires org.flows4j.backend.support;
    requires static jdk.incubator.vector;

    provides org.flows4j.api.backend.BackendProvider with
            org.flows4j.backend.nd4j.Nd4jBackendProvider;
}
