/**
 * Vector API loops shared by flows4j's native backends (exported to them alone): the fused Adam
 * update over direct buffers, bit for bit the composed default of the SPI.
 */
package org.flows4j.backend.support;
