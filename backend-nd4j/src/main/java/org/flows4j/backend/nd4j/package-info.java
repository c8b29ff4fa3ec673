/**
 * The ND4J backend ({@code nd4j}): native buffers freed deterministically, kernels composed of
 * ND4J's operations where those already meet the SPI's contract, and of stable rearrangements
 * where they do not. Only {@link org.flows4j.backend.nd4j.Nd4jBackendProvider} is public, for
 * {@link java.util.ServiceLoader}.
 */
package org.flows4j.backend.nd4j;
