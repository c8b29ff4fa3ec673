/**
 * The pure-Java reference backend ({@code cpu}): heap arrays, row-major; register-tiled packed
 * GEMM under matmul and the convolutions, on the Vector API when the JVM has
 * {@code jdk.incubator.vector} and on scalar loops otherwise. Only
 * {@link org.flows4j.backend.cpu.CpuBackendProvider} is public, for {@link java.util.ServiceLoader}.
 */
package org.flows4j.backend.cpu;
