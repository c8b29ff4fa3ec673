/**
 * JMH benchmarks of the flows4j backends (GEMM, conv2d, a NICE-shaped training step), each
 * reporting GFLOP/s through {@link org.flows4j.bench.GflopCounter}, and {@link org.flows4j.bench.BenchReport},
 * which measures the GEMM and the training step in one JVM and prints their ratio.
 */
package org.flows4j.bench;
