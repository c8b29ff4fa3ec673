package org.flows4j.spark;

import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.sql.types.StructType;

/**
 * The parameters {@link FlowDensityEstimator} and {@link FlowDensityModel} share, as Spark's
 * {@code StandardScalerParams} is shared by {@code StandardScaler} and its model: where the
 * features are, where the scores go, and how the executors score. Each class holds its own
 * {@link Param} objects (made by the factories here, so names, docs, validators and defaults
 * are written once) and exposes them through the accessors below; the getters are defaults.
 */
public interface FlowDensityParams extends Params {

    /**
     * The features column: an array of numbers or an ML vector (default {@code features}).
     *
     * @return the {@code featuresCol} param, a column name
     */
    Param<String> featuresCol();

    /**
     * Numeric feature columns, used instead of {@link #featuresCol()} when not empty (default none).
     *
     * @return the {@code inputCols} param, column names in feature order
     */
    StringArrayParam inputCols();

    /**
     * The log-density column, double, nats (default {@code log_prob}).
     *
     * @return the {@code outputCol} param, the name of the column that is added
     */
    Param<String> outputCol();

    /**
     * The bits-per-dimension column of image models; empty for none (default {@code bits_per_dim}).
     *
     * @return the {@code bitsPerDimCol} param, the name of the column that image models add
     */
    Param<String> bitsPerDimCol();

    /**
     * A long column of row ids seeding each row's dequantization noise (image models); empty: the row
     * index (default).
     *
     * @return the {@code idCol} param, a column name or empty
     */
    Param<String> idCol();

    /**
     * The backend by name on every JVM ({@code cpu}, {@code nd4j}, {@code djl}); empty: discovery's
     * choice (default).
     *
     * @return the {@code backend} param, a backend name or empty
     */
    Param<String> backend();

    /**
     * Rows per batch handed to the backend when scoring (default 1024).
     *
     * @return the {@code scoreBatchSize} param, at least 1
     */
    IntParam scoreBatchSize();

    /**
     * The seed of image models' dequantization noise when scoring; unset: the checkpoint's run seed + 2.
     *
     * @return the {@code noiseSeed} param, which has no default
     */
    LongParam noiseSeed();

    /**
     * {@link #featuresCol()}'s value.
     *
     * @return the features column's name, as set or by default
     */
    default String getFeaturesCol() {
        return getOrDefault(featuresCol());
    }

    /**
     * {@link #inputCols()}'s value.
     *
     * @return the input columns' names, as set or by default (empty: none)
     */
    default String[] getInputCols() {
        return getOrDefault(inputCols());
    }

    /**
     * {@link #outputCol()}'s value.
     *
     * @return the log-density column's name, as set or by default
     */
    default String getOutputCol() {
        return getOrDefault(outputCol());
    }

    /**
     * {@link #bitsPerDimCol()}'s value.
     *
     * @return the bits-per-dimension column's name, as set or by default; empty: none
     */
    default String getBitsPerDimCol() {
        return getOrDefault(bitsPerDimCol());
    }

    /**
     * {@link #idCol()}'s value.
     *
     * @return the row-id column's name, as set or by default; empty: the row index
     */
    default String getIdCol() {
        return getOrDefault(idCol());
    }

    /**
     * {@link #backend()}'s value.
     *
     * @return the backend's name, as set or by default; empty: discovery's choice
     */
    default String getBackend() {
        return getOrDefault(backend());
    }

    /**
     * {@link #scoreBatchSize()}'s value.
     *
     * @return the rows per scoring batch, as set or by default
     */
    default int getScoreBatchSize() {
        return (Integer) getOrDefault(scoreBatchSize());
    }

    /**
     * Checks that the features are where the parameters say, with the right types.
     *
     * @param schema the schema of the DataFrame to train on or score
     * @throws IllegalArgumentException naming the column that is missing or of the wrong type
     */
    default void validateFeatures(StructType schema) {
        FeatureReader.of(schema, getFeaturesCol(), getInputCols());
    }

    /**
     * The shared parameters of {@code owner}: names, docs and validators. The owner sets their
     * defaults (those given above), so that each class's defaults stay its own.
     *
     * @param owner the stage whose params these are (its uid becomes their parent)
     * @return new param objects, one of each
     */
    static Shared shared(Params owner) {
        return new Shared(
                new Param<>(owner, "featuresCol", "features column: an array of numbers or an ML vector"),
                new StringArrayParam(
                        owner, "inputCols", "numeric feature columns, used instead of featuresCol when set"),
                new Param<>(owner, "outputCol", "log-density column (nats)"),
                new Param<>(owner, "bitsPerDimCol", "bits-per-dimension column of image models; empty for none"),
                new Param<>(owner, "idCol", "long column of row ids seeding dequantization noise; empty: row index"),
                new Param<>(owner, "backend", "flows4j backend by name (cpu, nd4j, djl); empty: discovery's choice"),
                new IntParam(owner, "scoreBatchSize", "rows per batch when scoring", ParamValidators.gtEq(1)),
                new LongParam(owner, "noiseSeed", "seed of image models' dequantization noise when scoring"));
    }

    /**
     * One class's shared parameter objects.
     *
     * @param featuresCol see {@link FlowDensityParams#featuresCol()}
     * @param inputCols see {@link FlowDensityParams#inputCols()}
     * @param outputCol see {@link FlowDensityParams#outputCol()}
     * @param bitsPerDimCol see {@link FlowDensityParams#bitsPerDimCol()}
     * @param idCol see {@link FlowDensityParams#idCol()}
     * @param backend see {@link FlowDensityParams#backend()}
     * @param scoreBatchSize see {@link FlowDensityParams#scoreBatchSize()}
     * @param noiseSeed see {@link FlowDensityParams#noiseSeed()}
     */
    record Shared(
            Param<String> featuresCol,
            StringArrayParam inputCols,
            Param<String> outputCol,
            Param<String> bitsPerDimCol,
            Param<String> idCol,
            Param<String> backend,
            IntParam scoreBatchSize,
            LongParam noiseSeed) {}

    /**
     * The scorer these parameters describe for {@code checkpoint}.
     *
     * @param checkpoint the trained model to score with
     * @return a scorer with this stage's columns, backend, batch size and (when set) noise seed
     */
    default FlowScorer scorer(FlowCheckpoint checkpoint) {
        FlowScorer s = FlowScorer.of(checkpoint)
                .withFeaturesCol(getFeaturesCol())
                .withInputCols(getInputCols())
                .withOutputCol(getOutputCol())
                .withBitsPerDimCol(getBitsPerDimCol())
                .withIdCol(getIdCol())
                .withBackend(getBackend())
                .withBatchSize(getScoreBatchSize());
        return isDefined(noiseSeed()) ? s.withSeed((Long) getOrDefault(noiseSeed())) : s;
    }
}
