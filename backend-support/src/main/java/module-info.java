/**
 * Internal to flows4j: Vector API loops that the native backends run over their engines'
 * memory, seen as direct buffers (the fused Adam update, sign and ReLU's backward pass). The
 * package is exported only to the backend modules that use it; it is no API.
 *
 * <p>The Vector API is optional ({@code requires static}): with {@code --add-modules
 * jdk.incubator.vector} the loops run, otherwise {@link org.flows4j.backend.support.DirectAdam#available()}
 * is false and each backend composes the update from its engine's kernels.
 */
module org.flows4j.backend.support {
    requires org.flows4j.api;
    requires static jdk.incubator.vector;

    exports org.flows4j.backend.support to
            org.flows4j.backend.djl,
            org.flows4j.backend.nd4j;
}
