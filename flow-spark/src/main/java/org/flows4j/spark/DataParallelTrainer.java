package org.flows4j.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.models.ModelRequest;
import org.flows4j.zoo.models.ModelSpec;
import org.flows4j.zoo.models.ZooModel;
import org.flows4j.zoo.train.BatchSource;
import org.flows4j.zoo.train.Gradients;
import org.flows4j.zoo.train.RowScores;
import org.flows4j.zoo.train.Trainer;
import org.flows4j.zoo.train.TrainerConfig;
import org.flows4j.zoo.train.ZooCheckpoints;

/**
 * Synchronous data-parallel training of a zoo model over a DataFrame, as a loop on the driver.
 * Each step:
 * <ol>
 * <li>the driver broadcasts the parameters and the ids of the step's global batch
 *     ({@link IndexedBatches});</li>
 * <li>every partition (a block of rows cached in executor memory) computes, with the library's
 *     {@link Trainer#computeGradients}, the loss and gradients of the batch rows it holds,
 *     weighted by its share {@code b_i / B} of the batch;</li>
 * <li>a {@code treeAggregate} (depth 2) sums them, which gives the loss and gradient of the
 *     whole batch {@code -1/B sum log p(x)};</li>
 * <li>the driver applies them with {@link Trainer#applyGradients} (clipping, the optimizer,
 *     the moving average).</li>
 * </ol>
 *
 * <p><b>Equal to one JVM.</b> Batches, their order and their noise are functions of the seed,
 * the step and global row ids, never of the partitioning; data-dependent initialization
 * (actnorm) runs on the driver on the initialization batch; the zoo's models use no batch
 * statistics. So the losses are those of {@code Trainer.fit} on {@link IndexedBatches} in one
 * JVM, up to the order of floating-point sums (tight in float64), and for continuous data those
 * of {@code flows4j train} with the same seed and batch size.
 *
 * <p><b>Checkpoints</b> are the library's ({@link ZooCheckpoints#save}): a model trained here
 * opens in {@code flows4j eval} and {@code sample}, and a run resumes from one
 * ({@link Config#resumeFrom}), from {@code flows4j train}'s too.
 */
public final class DataParallelTrainer {

    private final Config config;

    /**
     * A trainer with these settings; nothing runs until {@link #fit}.
     *
     * @param config the model, data columns, training settings and checkpoint files of the run; not null
     */
    public DataParallelTrainer(Config config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /** Told after every step, on the driver. */
    @FunctionalInterface
    public interface StepListener {
        /**
         * Step {@code step} (1-based) is done with mean batch loss {@code loss}; it took {@code millis}.
         *
         * @param step the number of steps done, counted from the start of training (a resumed run goes
         *        on from its checkpoint's step)
         * @param loss the step's loss, the mean over the global batch ({@code -1/B sum log p(x)})
         * @param millis the step's wall-clock time in milliseconds on the driver: broadcast, executors,
         *        aggregation and update
         */
        void onStep(long step, double loss, double millis);
    }

    /**
     * The result of a run.
     *
     * @param checkpoint the final checkpoint (the library's format)
     * @param losses the loss of every step this run took
     * @param rows the rows trained on
     * @param seconds the time of the steps (not of caching the data)
     */
    // A run's outcome, read through its accessors: nothing compares or hashes a Result (the
    // checkpoint in it has identity equality anyway).
    @SuppressWarnings("ArrayRecordComponent")
    public record Result(FlowCheckpoint checkpoint, double[] losses, long rows, double seconds) {}

    /**
     * How a run trains.
     *
     * @param model the zoo model spec ({@code realnvp:2d}, {@code nice:small})
     * @param options model build options
     * @param kind continuous values or 8-bit pixels
     * @param eventShape the shape of one sample; null: {@code [features]}
     * @param dtype the parameters' precision
     * @param backend the backend by name, on the driver and the executors; blank: discovery's choice
     * @param trainer optimizer, schedule, clipping, moving average, global batch size, steps, seed
     * @param featuresCol the features column (an array or a vector)
     * @param inputCols numeric feature columns instead of {@code featuresCol}, when not empty
     * @param dataName what the checkpoint says it was trained on ({@code flows4j eval} loads it by this name)
     * @param checkpointFile where checkpoints are written on the driver, or null for none
     * @param resumeFrom a checkpoint to continue from, or null
     * @param depth the depth of the tree aggregation
     * @param listener told after every step
     */
    // inputCols is copied in; nothing compares or hashes a Config (its listener, usually a
    // lambda, has identity equality anyway).
    @SuppressWarnings("ArrayRecordComponent")
    public record Config(
            String model,
            Map<String, String> options,
            org.flows4j.zoo.data.Dataset.Kind kind,
            Shape eventShape,
            DType dtype,
            String backend,
            TrainerConfig trainer,
            String featuresCol,
            String[] inputCols,
            String dataName,
            Path checkpointFile,
            Path resumeFrom,
            int depth,
            StepListener listener) {

        /**
         * Validates, copies the map and array, and fills in the defaults of null values.
         *
         * @param model the zoo model spec, {@code family[:preset]}
         * @param options model build options; not null, copied
         * @param kind continuous values or 8-bit pixels; not null
         * @param eventShape the shape of one sample; null: {@code [features]}, the width of the first row
         * @param dtype the parameters' precision; not null
         * @param backend the backend by name; null or blank: discovery's choice
         * @param trainer the training settings; not null
         * @param featuresCol the features column (an array or a vector), read when {@code inputCols} is empty
         * @param inputCols numeric feature columns instead of {@code featuresCol}; null: none; copied
         * @param dataName what the checkpoint says it was trained on; null: {@code "spark"}
         * @param checkpointFile where checkpoints are written on the driver, or null for none
         * @param resumeFrom a checkpoint to continue from, or null to start from the seed
         * @param depth the depth of the tree aggregation, at least 1
         * @param listener told after every step; null: nobody
         * @throws IllegalArgumentException if {@code model} is no model spec or {@code depth < 1}
         */
        public Config {
            ModelSpec.parse(model);
            options = Map.copyOf(options);
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(dtype, "dtype");
            backend = backend == null ? "" : backend;
            Objects.requireNonNull(trainer, "trainer");
            inputCols = inputCols == null ? new String[0] : inputCols.clone();
            dataName = dataName == null ? "spark" : dataName;
            if (depth < 1) {
                throw new IllegalArgumentException("depth must be >= 1, got " + depth);
            }
            listener = listener == null ? (s, l, m) -> {} : listener;
        }

        /**
         * {@code model} on continuous data in float32, features in {@code features}, depth 2, no
         * checkpoint file.
         *
         * @param model the zoo model spec ({@code realnvp:2d}, {@code nice:small})
         * @param trainer the training settings (global batch size, steps, seed, optimizer)
         * @return the configuration, with discovery's backend, default build options and data name
         *         {@code "spark"}
         */
        public static Config of(String model, TrainerConfig trainer) {
            return new Config(
                    model,
                    Map.of(),
                    org.flows4j.zoo.data.Dataset.Kind.CONTINUOUS,
                    null,
                    DType.FLOAT32,
                    "",
                    trainer,
                    "features",
                    null,
                    "spark",
                    null,
                    null,
                    2,
                    null);
        }

        /**
         * With these training settings.
         *
         * @param t the optimizer, schedule, global batch size, steps and seed; not null
         * @return a new configuration that differs from this one only in the training settings
         */
        public Config withTrainer(TrainerConfig t) {
            return new Config(
                    model,
                    options,
                    kind,
                    eventShape,
                    dtype,
                    backend,
                    t,
                    featuresCol,
                    inputCols,
                    dataName,
                    checkpointFile,
                    resumeFrom,
                    depth,
                    listener);
        }

        /**
         * With these build options.
         *
         * @param o model build options, the preset's overrides by name; not null
         * @return a new configuration that differs from this one only in the build options
         */
        public Config withOptions(Map<String, String> o) {
            return new Config(
                    model,
                    o,
                    kind,
                    eventShape,
                    dtype,
                    backend,
                    trainer,
                    featuresCol,
                    inputCols,
                    dataName,
                    checkpointFile,
                    resumeFrom,
                    depth,
                    listener);
        }

        /**
         * For 8-bit images of this shape ({@code 1,28,28}).
         *
         * @param shape the shape of one image, {@code [channels, height, width]}
         * @return a new configuration that differs from this one only in the kind, {@code IMAGE_8BIT},
         *         and the event shape
         */
        public Config withImages(Shape shape) {
            return new Config(
                    model,
                    options,
                    org.flows4j.zoo.data.Dataset.Kind.IMAGE_8BIT,
                    shape,
                    dtype,
                    backend,
                    trainer,
                    featuresCol,
                    inputCols,
                    dataName,
                    checkpointFile,
                    resumeFrom,
                    depth,
                    listener);
        }

        /**
         * In this precision.
         *
         * @param d the parameters' dtype; not null
         * @return a new configuration that differs from this one only in the dtype
         */
        public Config withDtype(DType d) {
            return new Config(
                    model,
                    options,
                    kind,
                    eventShape,
                    d,
                    backend,
                    trainer,
                    featuresCol,
                    inputCols,
                    dataName,
                    checkpointFile,
                    resumeFrom,
                    depth,
                    listener);
        }

        /**
         * On this backend, by name.
         *
         * @param name the backend's name on the driver and the executors; null or blank: discovery's choice
         * @return a new configuration that differs from this one only in the backend
         */
        public Config withBackend(String name) {
            return new Config(
                    model,
                    options,
                    kind,
                    eventShape,
                    dtype,
                    name,
                    trainer,
                    featuresCol,
                    inputCols,
                    dataName,
                    checkpointFile,
                    resumeFrom,
                    depth,
                    listener);
        }

        /**
         * Features from this column.
         *
         * @param col the features column, an array or a vector of numbers
         * @return a new configuration that differs from this one only in the features column
         */
        public Config withFeaturesCol(String col) {
            return new Config(
                    model,
                    options,
                    kind,
                    eventShape,
                    dtype,
                    backend,
                    trainer,
                    col,
                    inputCols,
                    dataName,
                    checkpointFile,
                    resumeFrom,
                    depth,
                    listener);
        }

        /**
         * Features from these numeric columns.
         *
         * @param cols the numeric feature columns, in order; none: read {@code featuresCol} instead
         * @return a new configuration that differs from this one only in the input columns
         */
        public Config withInputCols(String... cols) {
            return new Config(
                    model,
                    options,
                    kind,
                    eventShape,
                    dtype,
                    backend,
                    trainer,
                    featuresCol,
                    cols,
                    dataName,
                    checkpointFile,
                    resumeFrom,
                    depth,
                    listener);
        }

        /**
         * The data's name in the checkpoint.
         *
         * @param name the data set's spec or a description ({@code flows4j eval} loads the data by this
         *        name); null: {@code "spark"}
         * @return a new configuration that differs from this one only in the data name
         */
        public Config withDataName(String name) {
            return new Config(
                    model,
                    options,
                    kind,
                    eventShape,
                    dtype,
                    backend,
                    trainer,
                    featuresCol,
                    inputCols,
                    name,
                    checkpointFile,
                    resumeFrom,
                    depth,
                    listener);
        }

        /**
         * Checkpoints to this file (every {@code trainer.checkpointEvery()} steps and at the end).
         *
         * @param file the checkpoint file on the driver, overwritten each time; null: none
         * @return a new configuration that differs from this one only in the checkpoint file
         */
        public Config withCheckpointFile(Path file) {
            return new Config(
                    model,
                    options,
                    kind,
                    eventShape,
                    dtype,
                    backend,
                    trainer,
                    featuresCol,
                    inputCols,
                    dataName,
                    file,
                    resumeFrom,
                    depth,
                    listener);
        }

        /**
         * Continues from this checkpoint.
         *
         * @param file a checkpoint of the library's format (from this trainer or {@code flows4j train});
         *        null: start from the seed
         * @return a new configuration that differs from this one only in the checkpoint to resume from
         */
        public Config withResumeFrom(Path file) {
            return new Config(
                    model,
                    options,
                    kind,
                    eventShape,
                    dtype,
                    backend,
                    trainer,
                    featuresCol,
                    inputCols,
                    dataName,
                    checkpointFile,
                    file,
                    depth,
                    listener);
        }

        /**
         * With this tree depth.
         *
         * @param d the depth of the {@code treeAggregate} of the gradients, at least 1
         * @return a new configuration that differs from this one only in the depth
         */
        public Config withDepth(int d) {
            return new Config(
                    model,
                    options,
                    kind,
                    eventShape,
                    dtype,
                    backend,
                    trainer,
                    featuresCol,
                    inputCols,
                    dataName,
                    checkpointFile,
                    resumeFrom,
                    d,
                    listener);
        }

        /**
         * Told after every step.
         *
         * @param l the listener, called on the driver; null: nobody
         * @return a new configuration that differs from this one only in the listener
         */
        public Config withListener(StepListener l) {
            return new Config(
                    model,
                    options,
                    kind,
                    eventShape,
                    dtype,
                    backend,
                    trainer,
                    featuresCol,
                    inputCols,
                    dataName,
                    checkpointFile,
                    resumeFrom,
                    depth,
                    l);
        }
    }

    /** Builds the model as {@code flows4j train} does: from the run's seed. */
    static ZooModel build(Zoo zoo, Config c, Shape shape, Backend backend) {
        ModelSpec spec = zoo.complete(ModelSpec.parse(c.model()));
        return zoo.model(spec)
                .build(new ModelRequest(
                        spec.preset(),
                        shape,
                        c.kind(),
                        BuildContext.of(
                                backend,
                                c.dtype(),
                                RandomSource.seeded(c.trainer().seed())),
                        c.options()));
    }

    /**
     * Trains on {@code data}'s rows (in the DataFrame's order, which fixes the row ids) to
     * {@code trainer.steps()}.
     *
     * @param data the training rows, with the configured features column or input columns; cached in
     *        executor memory for the run and unpersisted at its end
     * @return the final checkpoint, the loss of every step, the number of rows and the time the steps took
     * @throws IllegalArgumentException if {@code data} has no rows or its rows do not fit the model's
     *         sample shape
     * @throws IllegalStateException if the executors find fewer batch rows than asked for (the data
     *         changed during training)
     */
    @SuppressWarnings("try") // memory scopes are opened for their close()
    public Result fit(Dataset<Row> data) {
        JavaSparkContext jsc =
                JavaSparkContext.fromSparkContext(data.sparkSession().sparkContext());
        FeatureReader reader = FeatureReader.of(data.schema(), config.featuresCol(), config.inputCols());
        Shape shape = config.eventShape() != null ? config.eventShape() : Shape.of(reader.width(data.first()));
        int dims = shape.size();
        JavaRDD<RowBlocks.Block> blocks = RowBlocks.of(data.javaRDD(), reader, dims);
        try (Backend backend = config.backend().isBlank() ? Backends.create() : Backends.create(config.backend())) {
            long n = blocks.map(b -> (long) b.rows()).fold(0L, Long::sum);
            if (n == 0) {
                throw new IllegalArgumentException("no rows to train on");
            }
            Zoo zoo = ExecutorFlows.zoo();
            TrainerConfig tc = config.trainer();
            ZooModel model = config.resumeFrom() != null
                    ? ZooCheckpoints.rebuild(config.resumeFrom(), zoo, backend)
                    : build(zoo, config, shape, backend);
            if (!model.eventShape().equals(shape)) {
                throw new IllegalArgumentException(
                        "the model takes samples of shape " + model.eventShape() + " but the data has " + shape);
            }
            Trainer trainer = new Trainer(model.flow(), tc);
            if (config.resumeFrom() != null) {
                trainer.restore(config.resumeFrom());
            } else {
                initialize(trainer, model, blocks, n, dims);
            }
            boolean images = model.kind() == org.flows4j.zoo.data.Dataset.Kind.IMAGE_8BIT;
            FlowCheckpoint start = snapshot(model, trainer);
            Broadcast<FlowCheckpoint> init = jsc.broadcast(start);
            String run = UUID.randomUUID().toString();
            List<String> names = new ArrayList<>(model.flow().parameters().keySet());
            List<Parameter> params = new ArrayList<>(model.flow().parameters().values());
            String backendName = config.backend();
            double[] losses = new double[(int) Math.max(0, tc.steps() - trainer.step())];
            long begun = System.nanoTime();
            int k = 0;
            while (trainer.step() < tc.steps()) {
                long t0 = System.nanoTime();
                long step = trainer.step();
                long[] ids = IndexedBatches.ids(tc.seed(), step, n, tc.batchSize());
                double[][] values = new double[params.size()][];
                for (int i = 0; i < values.length; i++) {
                    values[i] = params.get(i).value().toDoubleArray();
                }
                StepInput input =
                        new StepInput(run + ":" + step, values, ids, IndexedBatches.noiseSeed(tc.seed(), step), images);
                Broadcast<StepInput> bc = jsc.broadcast(input);
                GradientSum sum;
                try {
                    sum = blocks.treeAggregate(
                            new GradientSum(),
                            (acc, block) -> acc.add(shard(block, bc.value(), init.value(), backendName)),
                            GradientSum::add,
                            config.depth());
                } finally {
                    bc.unpersist(false);
                }
                if (sum.rows != ids.length) {
                    throw new IllegalStateException("step " + (step + 1) + ": the executors found " + sum.rows
                            + " of the batch's " + ids.length + " rows; the data changed during training");
                }
                try (MemoryScope scope = MemoryScope.open()) {
                    Map<String, Tensor> byName = new LinkedHashMap<>();
                    for (int i = 0; i < names.size(); i++) {
                        Parameter p = params.get(i);
                        byName.put(names.get(i), Tensor.of(backend, p.dtype(), sum.gradients[i], p.shape()));
                    }
                    trainer.applyGradients(new Gradients(step + 1, sum.loss, byName));
                }
                losses[k++] = sum.loss;
                config.listener().onStep(trainer.step(), sum.loss, (System.nanoTime() - t0) / 1e6);
                boolean due = trainer.step() == tc.steps()
                        || (tc.checkpointEvery() > 0 && trainer.step() % tc.checkpointEvery() == 0);
                if (due && config.checkpointFile() != null) {
                    save(config.checkpointFile(), model, trainer, n);
                }
            }
            double seconds = (System.nanoTime() - begun) / 1e9;
            init.unpersist(false);
            return new Result(snapshot(model, trainer), losses, n, seconds);
        } finally {
            blocks.unpersist(false);
        }
    }

    /** Data-dependent initialization (actnorm) on the driver, on the initialization batch gathered from the executors. */
    @SuppressWarnings("try")
    private void initialize(Trainer trainer, ZooModel model, JavaRDD<RowBlocks.Block> blocks, long n, int dims) {
        if (model.flow().isInitialized()) {
            trainer.initialize((s, t) -> {
                throw new IllegalStateException("the flow is initialized already");
            });
            return;
        }
        long seed = config.trainer().seed();
        long[] ids = IndexedBatches.initializationIds(seed, n, config.trainer().batchSize());
        double[] x = RowBlocks.collect(blocks, ids, dims);
        boolean images = model.kind() == org.flows4j.zoo.data.Dataset.Kind.IMAGE_8BIT;
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor t = Tensor.of(model.backend(), model.dtype(), x, batchShape(ids.length, model.eventShape()));
            Tensor batch = images ? RowScores.dequantize(t, IndexedBatches.noiseSeed(seed, -1), ids) : t;
            trainer.initialize(new BatchSource() {
                @Override
                public Tensor batch(long s, long step) {
                    throw new IllegalStateException("only the initialization batch is made on the driver");
                }

                @Override
                public Tensor initializationBatch(long s) {
                    return batch;
                }
            });
        }
    }

    static Shape batchShape(int n, Shape event) {
        int[] e = event.dims();
        int[] dims = new int[e.length + 1];
        dims[0] = n;
        System.arraycopy(e, 0, dims, 1, e.length);
        return Shape.of(dims);
    }

    /** The loss and weighted gradients of the batch rows in one block, on an executor. */
    @SuppressWarnings("try")
    static GradientSum shard(RowBlocks.Block block, StepInput in, FlowCheckpoint start, String backendName) {
        int local = 0;
        for (long id : in.ids) {
            if (block.holds(id)) {
                local++;
            }
        }
        if (local == 0) {
            return new GradientSum();
        }
        int dims = block.dims();
        double[] x = new double[local * dims];
        long[] localIds = new long[local];
        int at = 0;
        for (long id : in.ids) {
            if (block.holds(id)) {
                block.copy(id, x, at * dims);
                localIds[at++] = id;
            }
        }
        ExecutorFlows.Worker w = ExecutorFlows.borrow(start, backendName, true, true);
        try (MemoryScope scope = MemoryScope.open()) {
            List<Parameter> params = new ArrayList<>(w.model.flow().parameters().values());
            if (!in.parametersId.equals(w.parametersId)) {
                for (int i = 0; i < params.size(); i++) {
                    Parameter p = params.get(i);
                    p.set(Tensor.of(w.backend, p.dtype(), in.parameters[i], p.shape()));
                }
                w.parametersId = in.parametersId;
            }
            Tensor t = Tensor.of(w.backend, w.model.dtype(), x, batchShape(local, w.model.eventShape()));
            Tensor batch = in.images ? RowScores.dequantize(t, in.noiseSeed, localIds) : t;
            Gradients g = w.trainer().computeGradients(batch);
            double weight = (double) local / in.ids.length;
            GradientSum out = new GradientSum();
            out.rows = local;
            out.loss = g.loss() * weight;
            out.gradients = new double[params.size()][];
            int i = 0;
            for (Tensor grad : g.byName().values()) {
                double[] v = grad.toDoubleArray();
                for (int j = 0; j < v.length; j++) {
                    v[j] *= weight;
                }
                out.gradients[i++] = v;
            }
            return out;
        } finally {
            ExecutorFlows.release(w);
        }
    }

    private void save(Path file, ZooModel model, Trainer trainer, long n) {
        long spe = IndexedBatches.stepsPerEpoch(n, config.trainer().batchSize());
        ZooCheckpoints.save(
                file,
                model,
                trainer,
                config.dataName(),
                (int) (trainer.step() / spe),
                config.trainer().seed());
    }

    /** The model and the trainer's state, as checkpoint bytes. */
    private FlowCheckpoint snapshot(ZooModel model, Trainer trainer) {
        try {
            Path tmp = Files.createTempFile("flows4j-spark-", ".safetensors");
            try {
                Files.delete(tmp);
                ZooCheckpoints.save(
                        tmp,
                        model,
                        trainer,
                        config.dataName(),
                        0,
                        config.trainer().seed());
                return FlowCheckpoint.read(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A step's broadcast: the parameters, the batch's ids and its noise. */
    // A broadcast payload, read field by field on the executors: never compared or hashed.
    @SuppressWarnings("ArrayRecordComponent")
    record StepInput(String parametersId, double[][] parameters, long[] ids, long noiseSeed, boolean images)
            implements Serializable {}

    /** A running sum of weighted losses and gradients (null gradients: no rows yet). */
    static final class GradientSum implements Serializable {

        private static final long serialVersionUID = 1L;

        long rows;
        double loss;
        double[][] gradients;

        GradientSum add(GradientSum other) {
            if (other.gradients == null) {
                return this;
            }
            if (gradients == null) {
                gradients = other.gradients;
            } else {
                for (int i = 0; i < gradients.length; i++) {
                    double[] a = gradients[i];
                    double[] b = other.gradients[i];
                    for (int j = 0; j < a.length; j++) {
                        a[j] += b[j];
                    }
                }
            }
            rows += other.rows;
            loss += other.loss;
            return this;
        }
    }
}
