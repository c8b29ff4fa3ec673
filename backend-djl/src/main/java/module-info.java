/**
 * The flows4j backend on DJL with the PyTorch engine (libtorch, CPU). Exports nothing; it is
 * found through {@link org.flows4j.api.backend.BackendProvider} under the name {@code djl}.
 *
 * <p>DJL's jars stay on the class path: PyTorch's native jar has no valid module name, and a
 * backend whose libraries are missing must be skipped by discovery rather than stop the module
 * layer from resolving. This module therefore requires none of them; it reads the modules that
 * hold DJL at run time (see {@code DjlBackendProvider#create}) and is compiled with
 * {@code --add-reads org.flows4j.backend.djl=ALL-UNNAMED}.
 *
 * <p>With {@code --add-modules jdk.incubator.vector} the Adam update runs fused from Java on the
 * tensors' memory (backend-support's loop, shared with nd4j), otherwise it is composed from
 * libtorch's kernels.
 */
module org.flows4j.backend.djl {
    requires org.flows4j.api;
    requires org.flows4j.backend.support;

    provides org.flows4j.api.backend.BackendProvider with
            org.flows4j.backend.djl.DjlBackendProvider;
}
