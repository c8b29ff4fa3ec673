/**
 * The pure-Java reference backend ({@code cpu}): heap arrays, row-major, every kernel computed
 * in double precision and rounded once for float32. Only {@link org.flows4j.backend.cpu.CpuBackendProvider}
 * is public, for {@link java.util.ServiceLoader}.
 */
package org.flows4j.backend.cpu;
