package org.flows4j.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.StructType;
import org.flows4j.api.Shape;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.zoo.data.Dataset.Kind;
import org.flows4j.zoo.train.RowScores;
import org.flows4j.zoo.train.ZooCheckpoints;

/**
 * Adds a flow's log-density to every row of a DataFrame: {@code outputCol} ({@code log_prob},
 * nats) and, for 8-bit image models, {@code bitsPerDimCol} ({@code bits_per_dim}). Features are
 * an array of numbers or an ML vector ({@code featuresCol}) or numeric columns
 * ({@code inputCols}); a row with null features gets null scores.
 *
 * <p>How it runs: the checkpoint is broadcast once (per scorer and Spark context); each task
 * borrows a flow its executor JVM built from it ({@link ExecutorFlows}: once per JVM and
 * concurrent task, on the backend named by {@link #withBackend}, else discovery's choice, with
 * one backend thread per task) and scores its partition through {@code mapPartitions} in
 * batches of {@link #withBatchSize} rows.
 *
 * <p>Equal to one JVM: a row's score is {@link RowScores#logProb} of that row, the function
 * {@code flows4j eval --per-sample} writes. Image models need dequantization noise; a row's
 * noise is drawn from the seed and the row's id alone ({@link RowScores#rowRandom}), so scores
 * do not depend on the partitioning. The id is the {@code idCol} column when set, else the row's
 * index in the DataFrame's order (counted with one extra pass over the data, as
 * {@code zipWithIndex} does). The seed is the checkpoint's run seed + 2 unless set, as in
 * {@code flows4j eval}.
 *
 * <p>Immutable: every {@code with} method returns a new scorer.
 */
public final class FlowScorer implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The model scored; travels to the executors by broadcast, not with this object's closure. */
    private final FlowCheckpoint checkpoint;
    /** The features column, read when {@link #inputCols} is empty. */
    private final String featuresCol;
    /** Numeric feature columns in the model's order; empty: read {@link #featuresCol}. */
    private final String[] inputCols;
    /** The log-density column added. */
    private final String outputCol;
    /** The bits-per-dimension column added for image models; blank: none. */
    private final String bitsPerDimCol;
    /** The long row-id column that seeds each row's noise; blank: the row index. */
    private final String idCol;
    /** The executors' backend by name; blank: discovery's choice. */
    private final String backend;
    /** Rows per batch handed to the backend, at least 1. */
    private final int batchSize;
    /** The noise seed set, or null for the checkpoint's run seed + 2. */
    private final Long seed;
    /** Whether to score with the trained weights rather than the checkpoint's moving averages. */
    private final boolean rawWeights;

    private transient Broadcast<FlowCheckpoint> broadcast;

    private FlowScorer(
            FlowCheckpoint checkpoint,
            String featuresCol,
            String[] inputCols,
            String outputCol,
            String bitsPerDimCol,
            String idCol,
            String backend,
            int batchSize,
            Long seed,
            boolean rawWeights) {
        this.checkpoint = Objects.requireNonNull(checkpoint, "checkpoint");
        this.featuresCol = featuresCol;
        this.inputCols = inputCols.clone();
        this.outputCol = outputCol;
        this.bitsPerDimCol = bitsPerDimCol;
        this.idCol = idCol;
        this.backend = backend;
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        this.batchSize = batchSize;
        this.seed = seed;
        this.rawWeights = rawWeights;
    }

    /**
     * A scorer of {@code checkpoint}: features in {@code features}, output {@code log_prob} and
     * {@code bits_per_dim}, batches of 1024.
     *
     * @param checkpoint the trained model, in the library's format; not null
     * @return the scorer, on discovery's backend, with the checkpoint's moving averages when it holds them
     */
    public static FlowScorer of(FlowCheckpoint checkpoint) {
        return new FlowScorer(
                checkpoint, "features", new String[0], "log_prob", "bits_per_dim", "", "", 1024, null, false);
    }

    /**
     * The features column: an array of numbers or an ML vector.
     *
     * @param col the column's name; read only while no input columns are set
     * @return a new scorer that differs from this one only in the features column
     */
    public FlowScorer withFeaturesCol(String col) {
        return new FlowScorer(
                checkpoint, col, inputCols, outputCol, bitsPerDimCol, idCol, backend, batchSize, seed, rawWeights);
    }

    /**
     * Numeric columns, one feature each, in the model's order (instead of {@link #withFeaturesCol}).
     *
     * @param cols the columns' names; none: read the features column again
     * @return a new scorer that differs from this one only in the input columns
     */
    public FlowScorer withInputCols(String... cols) {
        return new FlowScorer(
                checkpoint, featuresCol, cols, outputCol, bitsPerDimCol, idCol, backend, batchSize, seed, rawWeights);
    }

    /**
     * The log-density column (double, nats).
     *
     * @param col the name of the column to add; must not exist in the input
     * @return a new scorer that differs from this one only in the log-density column
     */
    public FlowScorer withOutputCol(String col) {
        return new FlowScorer(
                checkpoint, featuresCol, inputCols, col, bitsPerDimCol, idCol, backend, batchSize, seed, rawWeights);
    }

    /**
     * The bits-per-dimension column of image models; blank for none.
     *
     * @param col the name of the column to add (image models only); blank: none
     * @return a new scorer that differs from this one only in the bits-per-dimension column
     */
    public FlowScorer withBitsPerDimCol(String col) {
        return new FlowScorer(
                checkpoint, featuresCol, inputCols, outputCol, col, idCol, backend, batchSize, seed, rawWeights);
    }

    /**
     * A long column of row ids that seeds each row's dequantization noise (image models); blank: the
     * row index.
     *
     * @param col the name of a long column (rows with the same id get the same noise); blank: the row index
     * @return a new scorer that differs from this one only in the id column
     */
    public FlowScorer withIdCol(String col) {
        return new FlowScorer(
                checkpoint,
                featuresCol,
                inputCols,
                outputCol,
                bitsPerDimCol,
                col,
                backend,
                batchSize,
                seed,
                rawWeights);
    }

    /**
     * The backend the executors use, by name ({@code cpu}, {@code nd4j}, {@code djl}); blank:
     * discovery's choice.
     *
     * @param name the backend's name, which every executor must be able to create; blank: discovery's choice
     * @return a new scorer that differs from this one only in the backend
     */
    public FlowScorer withBackend(String name) {
        return new FlowScorer(
                checkpoint, featuresCol, inputCols, outputCol, bitsPerDimCol, idCol, name, batchSize, seed, rawWeights);
    }

    /**
     * Rows per batch handed to the backend.
     *
     * @param rows the batch size, at least 1 (the default is 1024); more rows use more executor memory
     * @return a new scorer that differs from this one only in the batch size
     */
    public FlowScorer withBatchSize(int rows) {
        return new FlowScorer(
                checkpoint, featuresCol, inputCols, outputCol, bitsPerDimCol, idCol, backend, rows, seed, rawWeights);
    }

    /**
     * The seed of the dequantization noise (image models).
     *
     * @param s the seed; with the same seed and row ids, the same noise and scores
     * @return a new scorer that differs from this one only in the seed
     */
    public FlowScorer withSeed(long s) {
        return new FlowScorer(
                checkpoint, featuresCol, inputCols, outputCol, bitsPerDimCol, idCol, backend, batchSize, s, rawWeights);
    }

    /**
     * Score with the trained weights even when the checkpoint holds moving averages.
     *
     * @param raw true: the trained weights; false (the default): the moving averages when the checkpoint
     *        holds them
     * @return a new scorer that differs from this one only in the weights used
     */
    public FlowScorer withRawWeights(boolean raw) {
        return new FlowScorer(
                checkpoint, featuresCol, inputCols, outputCol, bitsPerDimCol, idCol, backend, batchSize, seed, raw);
    }

    /** Whether {@code other} scores the same checkpoint with the same settings (then its broadcast can be reused). */
    boolean sameSettings(FlowScorer other) {
        return checkpoint.key().equals(other.checkpoint.key())
                && featuresCol.equals(other.featuresCol)
                && java.util.Arrays.equals(inputCols, other.inputCols)
                && outputCol.equals(other.outputCol)
                && bitsPerDimCol.equals(other.bitsPerDimCol)
                && idCol.equals(other.idCol)
                && backend.equals(other.backend)
                && batchSize == other.batchSize
                && Objects.equals(seed, other.seed)
                && rawWeights == other.rawWeights;
    }

    /**
     * The checkpoint scored.
     *
     * @return the checkpoint this scorer was made with
     */
    public FlowCheckpoint checkpoint() {
        return checkpoint;
    }

    /**
     * The seed of the dequantization noise: the one set, else the checkpoint's run seed + 2 (as
     * {@code flows4j eval}).
     *
     * @return the seed used for image models (reading the checkpoint's header when none was set)
     */
    public long seed() {
        return seed != null ? seed : ZooCheckpoints.seed(checkpoint.info()) + 2;
    }

    /** What the model takes: its event shape and kind, read by building it once on the driver. */
    ModelShape modelShape() {
        ExecutorFlows.Worker w = ExecutorFlows.borrow(checkpoint, backend, rawWeights);
        try {
            return new ModelShape(w.model.eventShape().dims(), w.model.kind());
        } finally {
            ExecutorFlows.release(w);
        }
    }

    /** A model's event shape and data kind. */
    // Shipped to the executors and read through eventShape(): never compared or hashed.
    @SuppressWarnings("ArrayRecordComponent")
    record ModelShape(int[] dims, Kind kind) implements Serializable {
        Shape eventShape() {
            return Shape.of(dims);
        }

        boolean images() {
            return kind == Kind.IMAGE_8BIT;
        }
    }

    /**
     * The output schema: the input's columns, then the score columns.
     *
     * @param schema the schema of the DataFrame to score
     * @return {@code schema} with the nullable double column {@code outputCol} and, for image models
     *         with a non-blank {@code bitsPerDimCol}, that column after it; the model is built once on
     *         the driver to learn its kind
     * @throws IllegalArgumentException if a features column is missing or of the wrong type, or an
     *         output column exists already
     */
    public StructType transformSchema(StructType schema) {
        return outputSchema(schema, modelShape());
    }

    private StructType outputSchema(StructType schema, ModelShape shape) {
        FeatureReader.of(schema, featuresCol, inputCols); // validates
        for (String col : new String[] {outputCol, shape.images() ? bitsPerDimCol : ""}) {
            if (!col.isBlank() && java.util.Arrays.asList(schema.fieldNames()).contains(col)) {
                throw new IllegalArgumentException("the output column '" + col + "' exists already; name another");
            }
        }
        StructType out = schema.add(outputCol, DataTypes.DoubleType, true);
        if (shape.images() && !bitsPerDimCol.isBlank()) {
            out = out.add(bitsPerDimCol, DataTypes.DoubleType, true);
        }
        return out;
    }

    /**
     * The rows of {@code df} with their scores; lazy, like every Spark transformation (image
     * models without an {@code idCol} run one job to count the rows of each partition).
     *
     * @param df the rows to score, with the features where this scorer reads them
     * @return a DataFrame of {@code df}'s rows, in their order and partitions, with the columns of
     *         {@link #transformSchema}; a row with null features gets null scores
     * @throws IllegalArgumentException if a features column is missing or of the wrong type, or an
     *         output column exists already
     */
    public Dataset<Row> transform(Dataset<Row> df) {
        SparkSession spark = df.sparkSession();
        ModelShape shape = modelShape();
        StructType schema = df.schema();
        StructType outSchema = outputSchema(schema, shape);
        FeatureReader reader = FeatureReader.of(schema, featuresCol, inputCols);
        Broadcast<FlowCheckpoint> bc = broadcast(spark);
        boolean bits = shape.images() && !bitsPerDimCol.isBlank();
        int idIndex = shape.images() && !idCol.isBlank() ? schema.fieldIndex(idCol) : -1;
        if (idIndex >= 0 && !(schema.fields()[idIndex].dataType() instanceof LongType)) {
            // Let the external rows' getLong refuse it, as it always has.
            return scoreRows(spark, df, outSchema, bc, reader, shape, bits, idIndex);
        }
        if (reader.readsInternal() && spark instanceof org.apache.spark.sql.classic.SparkSession classic) {
            // Spark's own rows: arrays read without boxing a number, rows out without unboxing.
            JavaRDD<InternalRow> rows = df.queryExecution().toRdd().toJavaRDD();
            long[] offsets = shape.images() && idIndex < 0 ? RowBlocks.partitionOffsets(rows) : null;
            Job job = new Job(bc, backend, rawWeights, reader, shape, batchSize, seed(), idIndex, idCol, offsets, bits);
            JavaRDD<InternalRow> scored = rows.mapPartitionsWithIndex(job::scoreInternal, true);
            return classic.internalCreateDataFrame(scored.rdd(), outSchema, false);
        }
        return scoreRows(spark, df, outSchema, bc, reader, shape, bits, idIndex);
    }

    /** {@link #transform} through external rows: vectors, decimals, a session that is not classic. */
    private Dataset<Row> scoreRows(
            SparkSession spark,
            Dataset<Row> df,
            StructType outSchema,
            Broadcast<FlowCheckpoint> bc,
            FeatureReader reader,
            ModelShape shape,
            boolean bits,
            int idIndex) {
        JavaRDD<Row> rows = df.javaRDD();
        long[] offsets = shape.images() && idIndex < 0 ? RowBlocks.partitionOffsets(rows) : null;
        Job job = new Job(bc, backend, rawWeights, reader, shape, batchSize, seed(), idIndex, idCol, offsets, bits);
        JavaRDD<Row> scored = rows.mapPartitionsWithIndex(job::score, true);
        return spark.createDataFrame(scored, outSchema);
    }

    private synchronized Broadcast<FlowCheckpoint> broadcast(SparkSession spark) {
        if (broadcast == null || spark.sparkContext().isStopped()) {
            broadcast = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(checkpoint);
        }
        return broadcast;
    }

    /** What a task needs, shipped in its closure (the checkpoint itself travels by broadcast). */
    // A task's closure, read field by field: never compared or hashed.
    @SuppressWarnings("ArrayRecordComponent")
    private record Job(
            Broadcast<FlowCheckpoint> checkpoint,
            String backend,
            boolean rawWeights,
            FeatureReader reader,
            ModelShape shape,
            int batchSize,
            long seed,
            int idIndex,
            String idCol,
            long[] offsets,
            boolean bits)
            implements Serializable {

        Iterator<Row> score(int partition, Iterator<Row> in) {
            return new RowScoring(this, in, offsets == null ? 0 : offsets[partition]);
        }

        Iterator<InternalRow> scoreInternal(int partition, Iterator<InternalRow> in) {
            return new InternalScoring(this, in, offsets == null ? 0 : offsets[partition]);
        }
    }

    /** A partition's external rows with their scores appended. */
    private static final class RowScoring extends Scoring<Row> {

        RowScoring(Job job, Iterator<Row> in, long firstId) {
            super(job, in, firstId);
        }

        @Override
        long id(Row r) {
            if (r.isNullAt(job.idIndex)) {
                throw nullId();
            }
            return r.getLong(job.idIndex);
        }

        @Override
        boolean read(Row r, double[] x, int offset) {
            return job.reader.read(r, x, offset, dims);
        }

        @Override
        Row keep(Row r) {
            return r;
        }

        @Override
        Row scored(Row r, double[] s) {
            int n = r.length();
            Object[] values = new Object[n + (job.bits ? 2 : 1)];
            for (int i = 0; i < n; i++) {
                values[i] = r.get(i);
            }
            values[n] = s == null ? null : s[0];
            if (job.bits) {
                values[n + 1] = s == null ? null : s[1];
            }
            return RowFactory.create(values);
        }
    }

    /**
     * A partition's internal rows with their scores joined on: the input row's values are never
     * boxed or converted, only copied (Spark reuses its row objects between calls of {@code next}).
     */
    private static final class InternalScoring extends Scoring<InternalRow> {

        InternalScoring(Job job, Iterator<InternalRow> in, long firstId) {
            super(job, in, firstId);
        }

        @Override
        long id(InternalRow r) {
            if (r.isNullAt(job.idIndex)) {
                throw nullId();
            }
            return r.getLong(job.idIndex);
        }

        @Override
        boolean read(InternalRow r, double[] x, int offset) {
            return job.reader.read(r, x, offset, dims);
        }

        @Override
        InternalRow keep(InternalRow r) {
            return r.copy();
        }

        @Override
        InternalRow scored(InternalRow r, double[] s) {
            Object[] values = new Object[job.bits ? 2 : 1];
            if (s != null) {
                values[0] = s[0];
                if (job.bits) {
                    values[1] = s[1];
                }
            }
            return new JoinedRow(r, new GenericInternalRow(values));
        }
    }

    /** A partition's rows with their scores, computed a batch at a time. */
    private abstract static class Scoring<R> implements Iterator<R> {

        final Job job;
        final int dims;
        private final Iterator<R> in;
        private final List<R> rows = new ArrayList<>();
        private final List<double[]> scores = new ArrayList<>();
        private final long firstId;
        private long nextId;
        private int position;
        private ExecutorFlows.Worker worker;

        Scoring(Job job, Iterator<R> in, long firstId) {
            this.job = job;
            this.in = in;
            this.dims = job.shape.eventShape().size();
            this.firstId = firstId;
            this.nextId = firstId;
            TaskContext ctx = TaskContext.get();
            if (ctx != null) {
                ctx.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) c -> giveBack());
            }
        }

        /**
         * The row's id, from the id column (set).
         *
         * @throws IllegalArgumentException from {@link #nullId} if the row's id is null
         */
        abstract long id(R r);

        /** The refusal of a row whose id is null, naming the column and the row. */
        IllegalArgumentException nullId() {
            return new IllegalArgumentException("FlowScorer: the id column '" + job.idCol + "' is null in row "
                    + (nextId - firstId) + " (counting from 0) of its partition; every row needs an id, which seeds its"
                    + " dequantization noise (filter out or fill the nulls, or unset idCol to number the rows"
                    + " in order)");
        }

        /** Reads the row's features into {@code x} at {@code offset}; false when they are null. */
        abstract boolean read(R r, double[] x, int offset);

        /** The row as it may be kept until the batch is handed out. */
        abstract R keep(R r);

        /** The kept row with its scores ({@code s}: log-density, bits/dim; null: nulls). */
        abstract R scored(R r, double[] s);

        @Override
        public boolean hasNext() {
            if (position < rows.size()) {
                return true;
            }
            if (!in.hasNext()) {
                giveBack();
                return false;
            }
            fill();
            return true;
        }

        @Override
        public R next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            R r = rows.get(position);
            double[] s = scores.get(position);
            position++;
            return scored(r, s);
        }

        private void fill() {
            rows.clear();
            scores.clear();
            position = 0;
            double[] x = new double[job.batchSize * dims];
            long[] ids = new long[job.batchSize];
            int[] slot = new int[job.batchSize];
            int valid = 0;
            while (rows.size() < job.batchSize && in.hasNext()) {
                R r = in.next();
                long id = job.idIndex >= 0 ? id(r) : nextId;
                nextId++;
                r = keep(r);
                rows.add(r);
                scores.add(null);
                if (read(r, x, valid * dims)) {
                    ids[valid] = id;
                    slot[valid] = rows.size() - 1;
                    valid++;
                }
            }
            if (valid == 0) {
                return;
            }
            if (worker == null) {
                worker = ExecutorFlows.borrow(job.checkpoint.value(), job.backend, job.rawWeights);
            }
            double[] logp;
            try (MemoryScope scope = MemoryScope.open()) {
                int[] dimsOf = job.shape.eventShape().dims();
                int[] batchDims = new int[dimsOf.length + 1];
                batchDims[0] = valid;
                System.arraycopy(dimsOf, 0, batchDims, 1, dimsOf.length);
                double[] data = valid == job.batchSize ? x : java.util.Arrays.copyOf(x, valid * dims);
                Tensor t = Tensor.of(worker.backend, worker.model.dtype(), data, Shape.of(batchDims));
                logp = RowScores.logProb(
                        worker.model, t, job.seed, valid == job.batchSize ? ids : java.util.Arrays.copyOf(ids, valid));
            }
            for (int i = 0; i < valid; i++) {
                scores.set(slot[i], new double[] {logp[i], RowScores.bitsPerDim(logp[i], dims)});
            }
        }

        private void giveBack() {
            if (worker != null) {
                ExecutorFlows.Worker w = worker;
                worker = null;
                ExecutorFlows.release(w);
            }
        }
    }
}
