package org.flows4j.spark;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import scala.Option;

/**
 * A trained flow as a Spark ML {@code Model}: {@link #transform} adds the log-density of every
 * row ({@code outputCol}) and, for image models, bits per dimension ({@code bitsPerDimCol}),
 * through a {@link FlowScorer}. It holds the library's checkpoint; {@code write().save(path)}
 * stores the parameters as Spark's metadata ({@code path/metadata}) and the checkpoint
 * unchanged ({@code path/checkpoint.safetensors}, which {@code flows4j eval} opens).
 */
public final class FlowDensityModel extends Model<FlowDensityModel> implements FlowDensityParams, MLWritable {

    private static final long serialVersionUID = 1L;

    /** The checkpoint's file name inside a saved model's directory. */
    public static final String CHECKPOINT_FILE = "checkpoint.safetensors";

    /** This stage's Spark ML identifier. */
    private final String uid;
    /** The trained model, in the library's format. */
    private final FlowCheckpoint checkpoint;
    /** The parameters shared with {@link FlowDensityEstimator}. */
    private final FlowDensityParams.Shared shared;

    private transient FlowScorer scorer;

    /**
     * A model of {@code checkpoint} with default parameters.
     *
     * @param uid the stage's identifier (the estimator's, when fitted)
     * @param checkpoint the trained model, in the library's format
     */
    public FlowDensityModel(String uid, FlowCheckpoint checkpoint) {
        this.uid = uid;
        this.checkpoint = checkpoint;
        this.shared = FlowDensityParams.shared(this);
        setDefault(shared.featuresCol(), "features");
        setDefault(shared.inputCols(), new String[0]);
        setDefault(shared.outputCol(), "log_prob");
        setDefault(shared.bitsPerDimCol(), "bits_per_dim");
        setDefault(shared.idCol(), "");
        setDefault(shared.backend(), "");
        setDefault(shared.scoreBatchSize(), 1024);
    }

    /**
     * A model of {@code checkpoint} with a fresh uid: a model trained elsewhere ({@code flows4j train}).
     *
     * @param checkpoint the trained model, in the library's format ({@link FlowCheckpoint#read})
     * @return a model with default parameters and no parent estimator
     */
    public static FlowDensityModel of(FlowCheckpoint checkpoint) {
        return new FlowDensityModel(
                org.apache.spark.ml.util.Identifiable$.MODULE$.randomUID("flowDensity"), checkpoint);
    }

    @Override
    public String uid() {
        return uid;
    }

    /**
     * The checkpoint (the library's format).
     *
     * @return the checkpoint this model scores with
     */
    public FlowCheckpoint checkpoint() {
        return checkpoint;
    }

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

    /**
     * Sets {@link #featuresCol()}.
     *
     * @param v the features column: an array of numbers or an ML vector (default {@code features})
     * @return this model
     */
    public FlowDensityModel setFeaturesCol(String v) {
        set(featuresCol(), v);
        return this;
    }

    /**
     * Sets {@link #inputCols()}.
     *
     * @param v numeric feature columns in the model's order, used instead of the features column; none: the
     *        features column
     * @return this model
     */
    public FlowDensityModel setInputCols(String... v) {
        set(inputCols(), v);
        return this;
    }

    /**
     * Sets {@link #outputCol()}.
     *
     * @param v the log-density column to add, double, nats (default {@code log_prob})
     * @return this model
     */
    public FlowDensityModel setOutputCol(String v) {
        set(outputCol(), v);
        return this;
    }

    /**
     * Sets {@link #bitsPerDimCol()}.
     *
     * @param v the bits-per-dimension column image models add; empty: none (default {@code bits_per_dim})
     * @return this model
     */
    public FlowDensityModel setBitsPerDimCol(String v) {
        set(bitsPerDimCol(), v);
        return this;
    }

    /**
     * Sets {@link #idCol()}.
     *
     * @param v a long column of row ids seeding each row's dequantization noise (image models); empty
     *        (default): the row index
     * @return this model
     */
    public FlowDensityModel setIdCol(String v) {
        set(idCol(), v);
        return this;
    }

    /**
     * Sets {@link #backend()}.
     *
     * @param v the executors' backend by name; empty: discovery's choice (default)
     * @return this model
     */
    public FlowDensityModel setBackend(String v) {
        set(backend(), v);
        return this;
    }

    /**
     * Sets {@link #scoreBatchSize()}.
     *
     * @param v rows per batch handed to the backend, at least 1 (default 1024)
     * @return this model
     */
    public FlowDensityModel setScoreBatchSize(int v) {
        set(scoreBatchSize(), v);
        return this;
    }

    /**
     * Sets {@link #noiseSeed()}.
     *
     * @param v the seed of image models' dequantization noise; unset (default): the checkpoint's run seed + 2
     * @return this model
     */
    public FlowDensityModel setNoiseSeed(long v) {
        set(noiseSeed(), v);
        return this;
    }

    /** The scorer, made once per parameter setting (so the checkpoint is broadcast once). */
    private synchronized FlowScorer scorer() {
        FlowScorer wanted = scorer(checkpoint);
        if (scorer == null || !scorer.sameSettings(wanted)) {
            scorer = wanted;
        }
        return scorer;
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        Dataset<Row> rows = dataset.toDF();
        return scorer().transform(rows);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        return scorer().transformSchema(schema);
    }

    @Override
    public FlowDensityModel copy(ParamMap extra) {
        FlowDensityModel copied = copyValues(new FlowDensityModel(uid, checkpoint), extra);
        return copied.setParent(parent());
    }

    @Override
    public MLWriter write() {
        return new Writer(this);
    }

    /**
     * Spark's reader of saved models ({@code MLReadable}).
     *
     * @return a new reader of what {@code write().save(path)} wrote: the metadata and the checkpoint
     */
    public static MLReader<FlowDensityModel> read() {
        return new Reader();
    }

    /**
     * Loads a model that {@code write().save(path)} saved.
     *
     * @param path the directory it was saved to, on any file system Spark's Hadoop configuration reaches
     * @return the model with its uid, parameters and checkpoint
     * @throws UncheckedIOException if the checkpoint cannot be read
     */
    public static FlowDensityModel load(String path) {
        return read().load(path);
    }

    private static final class Writer extends MLWriter {

        private final FlowDensityModel instance;

        Writer(FlowDensityModel instance) {
            this.instance = instance;
        }

        @Override
        public void saveImpl(String path) {
            DefaultParamsWriter.saveMetadata(instance, path, sparkSession());
            org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(path, CHECKPOINT_FILE);
            Configuration conf = sparkSession().sparkContext().hadoopConfiguration();
            try (OutputStream out = file.getFileSystem(conf).create(file, true)) {
                out.write(instance.checkpoint.bytes());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
            }
        }
    }

    private static final class Reader extends MLReader<FlowDensityModel> {

        @Override
        public FlowDensityModel load(String path) {
            DefaultParamsReader.Metadata meta =
                    DefaultParamsReader.loadMetadata(path, sparkSession(), FlowDensityModel.class.getName());
            org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(path, CHECKPOINT_FILE);
            Configuration conf = sparkSession().sparkContext().hadoopConfiguration();
            byte[] bytes;
            try {
                FileSystem fs = file.getFileSystem(conf);
                try (InputStream in = fs.open(file)) {
                    ByteArrayOutputStream buf = new ByteArrayOutputStream();
                    in.transferTo(buf);
                    bytes = buf.toByteArray();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
            FlowDensityModel model = new FlowDensityModel(meta.uid(), FlowCheckpoint.of(bytes));
            meta.getAndSetParams(model, Option.empty());
            return model;
        }
    }
}
