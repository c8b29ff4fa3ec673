package org.flows4j.api.backend;

import org.flows4j.api.DType;
import org.flows4j.api.Shape;

/**
 * A backend's opaque, immutable buffer of elements with a shape and a dtype, in row-major
 * order. Only the backend that made a storage may read it; everything above the SPI
 * handles storages through {@link Backend} kernels.
 *
 * <p>Implemented by backends. A storage returned by {@link Backend#reshape} may share its
 * elements with its input (a view); the API guarantees it frees such a view before the
 * storage it views, and {@link Backend#free} of a view must not free the shared elements.
 */
public interface Storage {

    /**
     * The dimensions.
     *
     * @return the shape, fixed for the storage's lifetime
     */
    Shape shape();

    /**
     * The element type.
     *
     * @return the dtype, fixed for the storage's lifetime
     */
    DType dtype();
}
