/**
 * Vector API loops shared by flows4j's native backends (exported to them alone): the fused Adam
 * update, sign and ReLU's backward pass over direct buffers, each bit for bit the composition of
 * the SPI's primitives it replaces.
 */
package org.flows4j.backend.support;
