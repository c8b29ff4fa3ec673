package org.flows4j.zoo.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.random.RandomSource;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.io.CheckpointException;
import org.flows4j.layers.io.CheckpointInfo;
import org.flows4j.layers.io.CheckpointMetadata;
import org.flows4j.layers.io.Checkpoints;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.Conditioning;
import org.flows4j.zoo.models.ModelRequest;
import org.flows4j.zoo.models.ModelSpec;
import org.flows4j.zoo.models.ZooModel;

/**
 * Zoo checkpoints: a flows4j checkpoint whose metadata also says how to rebuild the model
 * (spec, event shape, data kind, options) and what it was trained on, so that
 * {@code flows4j eval --checkpoint F} needs no other argument.
 *
 * <p>Model configuration keys: {@code event_shape} ({@code 1,28,28}), {@code kind}
 * ({@code CONTINUOUS} or {@code IMAGE_8BIT}) and {@code option.NAME} for each build option with the
 * value it took ({@link ZooModel#options()}: the defaults are written too, so a checkpoint rebuilds the
 * model it was trained as after a preset's default changes; a checkpoint written before they were
 * recorded rebuilds with today's defaults).
 * Extra keys: {@code data} (the data set spec), {@code epoch}, {@code seed}, and the trainer's
 * settings ({@code train.*}, see {@link Trainer#save}). A conditional model adds {@code condition}
 * ({@code label} or {@code context}) and {@code condition.name.<i>}, the class or column names in
 * order, so the labels of a class-conditional model survive with it. Format version 2 adds the moving
 * averages of the weights ({@code ema.*}), which {@link #load(Path, Zoo, Backend)} prefers.
 */
public final class ZooCheckpoints {

    private static final String EVENT_SHAPE = "event_shape";
    private static final String KIND = "kind";
    private static final String OPTION = "option.";
    private static final String DATA = "data";
    private static final String EPOCH = "epoch";
    private static final String SEED = "seed";
    private static final String CONDITION = "condition";
    private static final String CONDITION_NAME = "condition.name.";

    private ZooCheckpoints() {}

    /**
     * Writes a checkpoint of the model and the trainer's state (optimizer, moving average, step,
     * settings) that {@link #load} rebuilds: what {@link ZooTrainer} writes, and what another
     * driver of a {@link Trainer} (flow-spark's data-parallel loop) writes so that its model
     * opens in {@code flows4j eval} and {@code sample}.
     *
     * @param file the checkpoint to write, atomically replacing any file there; its directory must exist
     * @param model the model being trained; its spec, event shape, kind, options and conditioning are
     *     recorded
     * @param trainer the trainer of {@code model}'s flow, whose state and settings are saved
     * @param dataName the data set's spec, or a description of the data ({@code eval} loads it
     *     by this name unless given another)
     * @param epoch the epoch the checkpoint is taken in (0 before the first ends), recorded as {@code epoch}
     * @param seed the run's seed, recorded as {@code seed}
     * @throws CheckpointException if writing fails; any previous file is then unchanged
     */
    public static void save(Path file, ZooModel model, Trainer trainer, String dataName, int epoch, long seed) {
        save(file, model, trainer, dataName, epoch, seed, Map.of());
    }

    /**
     * As {@link #save(Path, ZooModel, Trainer, String, int, long)}, with further metadata entries
     * (the zoo's own keys win).
     *
     * @param file the checkpoint to write, atomically replacing any file there; its directory must exist
     * @param model the model being trained; its spec, event shape, kind, options and conditioning are
     *     recorded
     * @param trainer the trainer of {@code model}'s flow, whose state and settings are saved
     * @param dataName the data set's spec, or a description of the data ({@code eval} loads it by this name
     *     unless given another)
     * @param epoch the epoch the checkpoint is taken in (0 before the first ends), recorded as {@code epoch}
     * @param seed the run's seed, recorded as {@code seed}
     * @param extra further metadata entries, empty for none; an entry under one of the zoo's keys is
     *     overwritten
     * @throws CheckpointException if writing fails; any previous file is then unchanged
     */
    public static void save(
            Path file,
            ZooModel model,
            Trainer trainer,
            String dataName,
            int epoch,
            long seed,
            Map<String, String> extra) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put(EVENT_SHAPE, joinDims(model.eventShape()));
        config.put(KIND, model.kind().name());
        // every option with the value it took, defaults included, sorted: a default changed later
        // does not change what this checkpoint rebuilds
        new TreeMap<>(model.options()).forEach((k, v) -> config.put(OPTION + k, v));
        Conditioning c = model.conditioning();
        if (c.isConditional()) {
            config.put(CONDITION, c.source().option());
            for (int i = 0; i < c.size(); i++) {
                config.put(CONDITION_NAME + i, c.names().get(i));
            }
        }
        CheckpointMetadata meta =
                CheckpointMetadata.of(model.spec().toString(), model.dtype()).withModelConfig(config);
        for (Map.Entry<String, String> e : extra.entrySet()) {
            meta = meta.withExtra(e.getKey(), e.getValue());
        }
        meta = meta.withExtra(DATA, dataName)
                .withExtra(EPOCH, Integer.toString(epoch))
                .withExtra(SEED, Long.toString(seed));
        trainer.save(file, meta);
    }

    /**
     * The checkpoint's header (metadata and tensor list) without its tensors.
     *
     * @param checkpoint the checkpoint file
     * @return the header as {@link Checkpoints#readInfo} reads it
     * @throws CheckpointException if the file cannot be read or its header is corrupt
     */
    public static CheckpointInfo info(Path checkpoint) {
        return Checkpoints.readInfo(checkpoint);
    }

    /**
     * The data set the checkpoint was trained on, or null if it does not say.
     *
     * @param info the checkpoint's header
     * @return the {@code data} entry, or null
     */
    public static String dataSpec(CheckpointInfo info) {
        return info.metadata().extra().get(DATA);
    }

    /**
     * Rebuilds the model a checkpoint describes on {@code backend} and loads its parameters: the
     * moving averages of the weights when the checkpoint holds them (as Glow evaluates), else
     * the trained values.
     *
     * @param checkpoint a checkpoint written by {@link #save}
     * @param zoo the registry that builds the model's family
     * @param backend where to build the model; its dtype is the checkpoint's
     * @return the model with its parameters loaded
     * @throws CheckpointException if the file cannot be read or does not describe a model {@code zoo} can
     *     build, or its tensors do not match the model
     */
    public static ZooModel load(Path checkpoint, Zoo zoo, Backend backend) {
        return load(checkpoint, zoo, backend, false);
    }

    /**
     * Rebuilds the model a checkpoint describes on {@code backend} and loads its parameters;
     * {@code rawWeights} takes the trained values even when the checkpoint holds moving
     * averages.
     *
     * @param checkpoint a checkpoint written by {@link #save}
     * @param zoo the registry that builds the model's family
     * @param backend where to build the model; its dtype is the checkpoint's
     * @param rawWeights {@code true} for the trained values, {@code false} for the moving averages when the
     *     file holds them
     * @return the model with its parameters loaded
     * @throws CheckpointException if the file cannot be read or does not describe a model {@code zoo} can
     *     build, or its tensors do not match the model
     */
    public static ZooModel load(Path checkpoint, Zoo zoo, Backend backend, boolean rawWeights) {
        ZooModel model = rebuild(checkpoint, zoo, backend);
        if (!rawWeights && info(checkpoint).hasAverages()) {
            Checkpoints.loadAveraged(checkpoint, model.flow());
        } else {
            Checkpoints.load(checkpoint, model.flow(), null);
        }
        return model;
    }

    /**
     * {@code averaged} or {@code raw}: the weights {@link #load(Path, Zoo, Backend, boolean)} takes.
     *
     * @param info the checkpoint's header
     * @param rawWeights as passed to {@link #load(Path, Zoo, Backend, boolean)}
     * @return {@code "averaged"} when the averages would be loaded, else {@code "raw"}
     */
    public static String weights(CheckpointInfo info, boolean rawWeights) {
        return !rawWeights && info.hasAverages() ? "averaged" : "raw";
    }

    /**
     * The seed of the run a checkpoint comes from (the {@code seed} entry), or 0 if it does not say.
     *
     * @param info the checkpoint's header
     * @return the recorded seed, or 0
     * @throws NumberFormatException if the {@code seed} entry is not a {@code long}
     */
    public static long seed(CheckpointInfo info) {
        String saved = info.metadata().extra().get(SEED);
        return saved != null ? Long.parseLong(saved) : 0;
    }

    /**
     * Builds, without loading parameters, the model a checkpoint's metadata describes: for
     * {@link ZooTrainer#resume}, which loads the parameters together with the optimizer state.
     *
     * @param checkpoint a checkpoint written by {@link #save}
     * @param zoo the registry that builds the model's family
     * @param backend where to build the model; its dtype is the checkpoint's
     * @return the model with freshly initialized parameters (seed 0), to be loaded by the caller
     * @throws CheckpointException if the file cannot be read or its metadata does not describe a model
     *     {@code zoo} can build
     */
    public static ZooModel rebuild(Path checkpoint, Zoo zoo, Backend backend) {
        CheckpointInfo info = info(checkpoint);
        CheckpointMetadata meta = info.metadata();
        Map<String, String> config = meta.modelConfig();
        String shape = config.get(EVENT_SHAPE);
        String kind = config.get(KIND);
        if (shape == null || kind == null) {
            throw new CheckpointException(
                    checkpoint,
                    "it was not written by the flows4j zoo: its model configuration " + "lacks '" + EVENT_SHAPE
                            + "' and '" + KIND + "', so the model cannot be rebuilt");
        }
        Map<String, String> options = new LinkedHashMap<>();
        config.forEach((k, v) -> {
            if (k.startsWith(OPTION)) {
                options.put(k.substring(OPTION.length()), v);
            }
        });
        ModelSpec spec;
        Dataset.Kind dataKind;
        Shape eventShape;
        try {
            spec = ModelSpec.parse(meta.modelSpec());
            dataKind = Dataset.Kind.valueOf(kind);
            eventShape = Shape.of(Arrays.stream(shape.split(","))
                    .mapToInt(s -> Integer.parseInt(s.trim()))
                    .toArray());
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(checkpoint, "its model configuration is invalid: " + e.getMessage());
        }
        DType dtype = meta.dtype();
        Conditioning conditioning = conditioning(checkpoint, config);
        try {
            ModelRequest request = new ModelRequest(
                    zoo.complete(spec).preset(),
                    eventShape,
                    dataKind,
                    BuildContext.of(backend, dtype, RandomSource.seeded(0)),
                    options,
                    conditioning);
            return zoo.model(spec).build(request);
        } catch (IllegalArgumentException e) {
            // the metadata names a family, preset or option this zoo cannot build: the file is at fault
            throw new CheckpointException(
                    checkpoint,
                    "its metadata describes a model that cannot be built (" + spec + "): " + e.getMessage(),
                    e);
        }
    }

    /** The conditioning the model configuration records ({@code condition}, {@code condition.name.<i>}). */
    private static Conditioning conditioning(Path checkpoint, Map<String, String> config) {
        String source = config.get(CONDITION);
        if (source == null) {
            return Conditioning.none();
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; config.containsKey(CONDITION_NAME + i); i++) {
            names.add(config.get(CONDITION_NAME + i));
        }
        try {
            return new Conditioning(Conditioning.Source.parse(source), names);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(checkpoint, "its conditioning is invalid: " + e.getMessage());
        }
    }

    private static String joinDims(Shape s) {
        StringBuilder b = new StringBuilder();
        for (int d : s.dims()) {
            b.append(b.length() == 0 ? "" : ",").append(d);
        }
        return b.toString();
    }
}
