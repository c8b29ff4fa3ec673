/**
 * Tensors, reverse-mode autodiff and memory scopes: {@link org.flows4j.api.tensor.Tensor},
 * {@link org.flows4j.api.tensor.Autodiff}, {@link org.flows4j.api.tensor.MemoryScope}.
 */
package org.flows4j.api.tensor;
