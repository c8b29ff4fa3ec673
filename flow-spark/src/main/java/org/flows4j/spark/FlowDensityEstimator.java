package org.flows4j.spark;

import java.nio.file.Path;
import java.util.Arrays;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.layers.optim.Adam;
import org.flows4j.zoo.train.TrainerConfig;

/**
 * A Spark ML {@code Estimator} whose {@link #fit} trains a flow by maximum likelihood on the
 * features of a DataFrame ({@link DataParallelTrainer}: synchronous data parallelism, the
 * library's trainer and checkpoints) and returns a {@link FlowDensityModel} that scores rows.
 * Usable as a {@code Pipeline} stage, saved and loaded with {@code MLWritable}/{@code MLReadable}.
 *
 * <pre>{@code
 * FlowDensityEstimator flow = new FlowDensityEstimator().setModel("realnvp:2d").setSteps(500);
 * PipelineModel fitted = new Pipeline().setStages(new PipelineStage[] {assembler, flow}).fit(train);
 * fitted.transform(test).select("log_prob");
 * }</pre>
 */
public final class FlowDensityEstimator extends Estimator<FlowDensityModel>
        implements FlowDensityParams, DefaultParamsWritable {

    private static final long serialVersionUID = 1L;

    /** This stage's Spark ML identifier. */
    private final String uid;
    /** The parameters shared with {@link FlowDensityModel}. */
    private final FlowDensityParams.Shared shared;
    /** See {@link #model()}. */
    private final Param<String> model;
    /** See {@link #steps()}. */
    private final LongParam steps;
    /** See {@link #batchSize()}. */
    private final IntParam batchSize;
    /** See {@link #learningRate()}. */
    private final DoubleParam learningRate;
    /** See {@link #clipNorm()}. */
    private final DoubleParam clipNorm;
    /** See {@link #emaDecay()}. */
    private final DoubleParam emaDecay;
    /** See {@link #seed()}. */
    private final LongParam seed;
    /** See {@link #dtype()}. */
    private final Param<String> dtype;
    /** See {@link #imageShape()}. */
    private final Param<String> imageShape;
    /** See {@link #checkpointPath()}. */
    private final Param<String> checkpointPath;

    /** An estimator with a fresh uid. */
    public FlowDensityEstimator() {
        this(Identifiable$.MODULE$.randomUID("flowDensity"));
    }

    /**
     * An estimator with this uid (Spark's reader and {@code copy} use it).
     *
     * @param uid the stage's identifier, unique within a pipeline; the fitted model keeps it
     */
    public FlowDensityEstimator(String uid) {
        this.uid = uid;
        this.shared = FlowDensityParams.shared(this);
        this.model = new Param<>(this, "model", "zoo model spec, family:preset (realnvp:2d, nice:small)");
        this.steps = new LongParam(this, "steps", "optimizer steps", ParamValidators.gtEq(1));
        this.batchSize =
                new IntParam(this, "batchSize", "global batch size of a training step", ParamValidators.gtEq(1));
        this.learningRate = new DoubleParam(this, "learningRate", "Adam's learning rate", ParamValidators.gt(0));
        this.clipNorm = new DoubleParam(
                this, "clipNorm", "clip the global gradient norm to this; 0: no clipping", ParamValidators.gtEq(0));
        this.emaDecay = new DoubleParam(
                this,
                "emaDecay",
                "decay of the moving average of the weights; 0: none",
                ParamValidators.inRange(0, 1, true, false));
        this.seed = new LongParam(this, "seed", "seed of the initial weights, the batches and their noise");
        this.dtype = new Param<>(
                this, "dtype", "parameter precision: float32 or float64", ParamValidators.inArray(new String[] {
                    "float32", "float64"
                }));
        this.imageShape = new Param<>(
                this, "imageShape", "event shape of 8-bit image data (1,28,28); empty: continuous features");
        this.checkpointPath =
                new Param<>(this, "checkpointPath", "local file the driver writes checkpoints to; empty: none");
        setDefault(shared.featuresCol(), "features");
        setDefault(shared.inputCols(), new String[0]);
        setDefault(shared.outputCol(), "log_prob");
        setDefault(shared.bitsPerDimCol(), "bits_per_dim");
        setDefault(shared.idCol(), "");
        setDefault(shared.backend(), "");
        setDefault(shared.scoreBatchSize(), 1024);
        setDefault(model, "realnvp:2d");
        setDefault(steps, 1000L);
        setDefault(batchSize, 256);
        setDefault(learningRate, 1e-3);
        setDefault(clipNorm, 100.0);
        setDefault(emaDecay, 0.0);
        setDefault(seed, 0L);
        setDefault(dtype, "float32");
        setDefault(imageShape, "");
        setDefault(checkpointPath, "");
    }

    @Override
    public String uid() {
        return uid;
    }

    // ---- shared parameters

    @Override
    public Param<String> featuresCol() {
        return shared.featuresCol();
    }

    @Override
    public StringArrayParam inputCols() {
        return shared.inputCols();
    }

    @Override
    public Param<String> outputCol() {
        return shared.outputCol();
    }

    @Override
    public Param<String> bitsPerDimCol() {
        return shared.bitsPerDimCol();
    }

    @Override
    public Param<String> idCol() {
        return shared.idCol();
    }

    @Override
    public Param<String> backend() {
        return shared.backend();
    }

    @Override
    public IntParam scoreBatchSize() {
        return shared.scoreBatchSize();
    }

    @Override
    public LongParam noiseSeed() {
        return shared.noiseSeed();
    }

    // ---- training parameters

    /**
     * The zoo model spec (default {@code realnvp:2d}).
     *
     * @return the {@code model} param, {@code family[:preset]}
     */
    public Param<String> model() {
        return model;
    }

    /**
     * Optimizer steps (default 1000).
     *
     * @return the {@code steps} param, at least 1
     */
    public LongParam steps() {
        return steps;
    }

    /**
     * The global batch size of a step (default 256).
     *
     * @return the {@code batchSize} param, rows per step over all executors, at least 1
     */
    public IntParam batchSize() {
        return batchSize;
    }

    /**
     * Adam's learning rate (default 1e-3).
     *
     * @return the {@code learningRate} param, greater than 0
     */
    public DoubleParam learningRate() {
        return learningRate;
    }

    /**
     * Clipping by global norm (default 100; 0: none).
     *
     * @return the {@code clipNorm} param, at least 0
     */
    public DoubleParam clipNorm() {
        return clipNorm;
    }

    /**
     * Decay of the moving average of the weights (default 0: none).
     *
     * @return the {@code emaDecay} param, in {@code [0, 1)}
     */
    public DoubleParam emaDecay() {
        return emaDecay;
    }

    /**
     * The seed of the run (default 0).
     *
     * @return the {@code seed} param: the initial weights, the batches and their noise
     */
    public LongParam seed() {
        return seed;
    }

    /**
     * {@code float32} (default) or {@code float64}.
     *
     * @return the {@code dtype} param, the parameters' precision
     */
    public Param<String> dtype() {
        return dtype;
    }

    /**
     * The event shape of 8-bit image data; empty (default) for continuous features.
     *
     * @return the {@code imageShape} param, comma-separated dimensions such as {@code 1,28,28}
     */
    public Param<String> imageShape() {
        return imageShape;
    }

    /**
     * A local file for the driver's checkpoints; empty (default) for none.
     *
     * @return the {@code checkpointPath} param, a path on the driver's file system
     */
    public Param<String> checkpointPath() {
        return checkpointPath;
    }

    /**
     * Sets {@link #featuresCol()}.
     *
     * @param v the features column: an array of numbers or an ML vector (default {@code features})
     * @return this estimator
     */
    public FlowDensityEstimator setFeaturesCol(String v) {
        set(featuresCol(), v);
        return this;
    }

    /**
     * Sets {@link #inputCols()}.
     *
     * @param v numeric feature columns in the model's order, used instead of the features column; none: the
     *        features column
     * @return this estimator
     */
    public FlowDensityEstimator setInputCols(String... v) {
        set(inputCols(), v);
        return this;
    }

    /**
     * Sets {@link #outputCol()}.
     *
     * @param v the log-density column the fitted model adds (default {@code log_prob})
     * @return this estimator
     */
    public FlowDensityEstimator setOutputCol(String v) {
        set(outputCol(), v);
        return this;
    }

    /**
     * Sets {@link #backend()}.
     *
     * @param v the backend by name on the driver and executors; empty: discovery's choice (default)
     * @return this estimator
     */
    public FlowDensityEstimator setBackend(String v) {
        set(backend(), v);
        return this;
    }

    /**
     * Sets {@link #model()}.
     *
     * @param v the zoo model spec, {@code family[:preset]} (default {@code realnvp:2d})
     * @return this estimator
     */
    public FlowDensityEstimator setModel(String v) {
        set(model, v);
        return this;
    }

    /**
     * Sets {@link #steps()}.
     *
     * @param v the optimizer steps, at least 1 (default 1000)
     * @return this estimator
     */
    public FlowDensityEstimator setSteps(long v) {
        set(steps, v);
        return this;
    }

    /**
     * Sets {@link #batchSize()}.
     *
     * @param v the global batch size of a step, at least 1 (default 256)
     * @return this estimator
     */
    public FlowDensityEstimator setBatchSize(int v) {
        set(batchSize, v);
        return this;
    }

    /**
     * Sets {@link #learningRate()}.
     *
     * @param v Adam's learning rate, greater than 0 (default 1e-3)
     * @return this estimator
     */
    public FlowDensityEstimator setLearningRate(double v) {
        set(learningRate, v);
        return this;
    }

    /**
     * Sets {@link #clipNorm()}.
     *
     * @param v the global gradient norm is clipped to this, at least 0; 0: no clipping (default 100)
     * @return this estimator
     */
    public FlowDensityEstimator setClipNorm(double v) {
        set(clipNorm, v);
        return this;
    }

    /**
     * Sets {@link #emaDecay()}.
     *
     * @param v the decay of the moving average of the weights, in {@code [0, 1)}; 0: none (default)
     * @return this estimator
     */
    public FlowDensityEstimator setEmaDecay(double v) {
        set(emaDecay, v);
        return this;
    }

    /**
     * Sets {@link #seed()}.
     *
     * @param v the seed of the initial weights, the batches and their noise (default 0)
     * @return this estimator
     */
    public FlowDensityEstimator setSeed(long v) {
        set(seed, v);
        return this;
    }

    /**
     * Sets {@link #dtype()}.
     *
     * @param v {@code float32} (default) or {@code float64}
     * @return this estimator
     */
    public FlowDensityEstimator setDtype(String v) {
        set(dtype, v);
        return this;
    }

    /**
     * Sets {@link #imageShape()}.
     *
     * @param v the event shape of 8-bit image data, comma-separated ({@code 1,28,28}); empty (default):
     *        continuous features
     * @return this estimator
     */
    public FlowDensityEstimator setImageShape(String v) {
        set(imageShape, v);
        return this;
    }

    /**
     * Sets {@link #checkpointPath()}.
     *
     * @param v a local file the driver writes checkpoints to; empty (default): none
     * @return this estimator
     */
    public FlowDensityEstimator setCheckpointPath(String v) {
        set(checkpointPath, v);
        return this;
    }

    /**
     * The trainer's settings these parameters describe: Adam at a constant rate.
     *
     * @return the configuration that {@link #fit} trains with (no resume, no step listener)
     * @throws IllegalArgumentException if {@code model} is no model spec or {@code imageShape} is not
     *         comma-separated integers
     */
    public DataParallelTrainer.Config trainConfig() {
        TrainerConfig tc = TrainerConfig.builder()
                .optimizer(Adam.builder()
                        .learningRate((Double) getOrDefault(learningRate))
                        .build())
                .clipNorm((Double) getOrDefault(clipNorm))
                .emaDecay((Double) getOrDefault(emaDecay))
                .batchSize((Integer) getOrDefault(batchSize))
                .steps((Long) getOrDefault(steps))
                .seed((Long) getOrDefault(seed))
                .build();
        DataParallelTrainer.Config c = DataParallelTrainer.Config.of(getOrDefault(model), tc)
                .withDtype(DType.valueOf(getOrDefault(dtype).toUpperCase(java.util.Locale.ROOT)))
                .withBackend(getBackend())
                .withFeaturesCol(getFeaturesCol())
                .withInputCols(getInputCols());
        String shape = getOrDefault(imageShape);
        if (!shape.isBlank()) {
            c = c.withImages(Shape.of(Arrays.stream(shape.split(","))
                    .mapToInt(s -> Integer.parseInt(s.trim()))
                    .toArray()));
        }
        String file = getOrDefault(checkpointPath);
        return file.isBlank() ? c : c.withCheckpointFile(Path.of(file));
    }

    @Override
    public FlowDensityModel fit(Dataset<?> dataset) {
        Dataset<Row> rows = dataset.toDF();
        transformSchema(rows.schema());
        DataParallelTrainer.Result result = new DataParallelTrainer(trainConfig()).fit(rows);
        FlowDensityModel fitted = new FlowDensityModel(uid, result.checkpoint());
        return copyValues(fitted, ParamMap.empty()).setParent(this);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        validateFeatures(schema);
        StructType out = schema.add(getOutputCol(), DataTypes.DoubleType, true);
        if (!getOrDefault(imageShape).isBlank() && !getBitsPerDimCol().isBlank()) {
            out = out.add(getBitsPerDimCol(), DataTypes.DoubleType, true);
        }
        return out;
    }

    @Override
    public FlowDensityEstimator copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /**
     * Spark's reader of saved estimators ({@code MLReadable}).
     *
     * @return a new reader of what {@code write().save(path)} wrote
     */
    public static MLReader<FlowDensityEstimator> read() {
        return new DefaultParamsReader<>();
    }

    /**
     * Loads an estimator that {@code write().save(path)} saved.
     *
     * @param path the directory it was saved to, on any file system Spark's Hadoop configuration reaches
     * @return the estimator with its uid and parameters
     */
    public static FlowDensityEstimator load(String path) {
        return read().load(path);
    }
}
