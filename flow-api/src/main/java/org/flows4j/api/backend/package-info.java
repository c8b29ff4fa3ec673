/**
 * The backend SPI: the frozen primitive kernels of {@link org.flows4j.api.backend.Backend} on
 * opaque {@link org.flows4j.api.backend.Storage}, the {@link org.flows4j.api.backend.BackendProvider}
 * descriptor that {@link java.util.ServiceLoader} finds, and discovery and selection in
 * {@link org.flows4j.api.backend.Backends}.
 */
package org.flows4j.api.backend;
