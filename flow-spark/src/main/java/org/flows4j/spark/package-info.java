/**
 * flows4j on Apache Spark: score ({@link org.flows4j.spark.FlowScorer}), sample
 * ({@link org.flows4j.spark.FlowSampler}) and train ({@link org.flows4j.spark.DataParallelTrainer})
 * flows over DataFrames, the Spark ML pair {@link org.flows4j.spark.FlowDensityEstimator} /
 * {@link org.flows4j.spark.FlowDensityModel}, and the {@code spark-submit} entry point
 * {@link org.flows4j.spark.SparkMain}. Models travel as the library's checkpoints, so a model
 * trained here opens in {@code flows4j eval} and the other way round.
 */
package org.flows4j.spark;
