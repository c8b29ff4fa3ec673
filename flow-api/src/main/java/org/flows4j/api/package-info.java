/**
 * Core value types of flows4j: {@link org.flows4j.api.Shape} and {@link org.flows4j.api.DType}.
 * Tensors and autodiff live in {@code org.flows4j.api.tensor}, the backend SPI in
 * {@code org.flows4j.api.backend}.
 */
package org.flows4j.api;
