/**
 * The DJL backend: every SPI kernel on PyTorch tensors through DJL's {@code NDArray}, in float32
 * and float64, with the primitives PyTorch-through-DJL lacks (log1p, expm1, scatter-add, the
 * convolution gradients) composed from others in numerically stable forms.
 */
package org.flows4j.backend.djl;
