package org.flows4j.layers.io;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.flows4j.api.DType;
import org.flows4j.api.flow.Component;
import org.flows4j.api.internal.TensorAccess;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.optim.ExponentialMovingAverage;
import org.flows4j.layers.optim.Optimizer;

/**
 * Saves and loads checkpoints: safetensors files (so PyTorch's {@code safetensors} opens
 * them) holding a model's slots, optionally an optimizer's state, and the metadata needed to
 * rebuild the model and resume training.
 *
 * <p><b>Layout.</b> Every slot of the model's {@link Component#variables()} (trainable parameters
 * and state such as actnorm's initialized flag or batch-norm statistics) is stored as
 * {@code model.<hierarchical name>}, each optimizer state tensor as {@code optim.<name>}, and,
 * when a moving average of the weights is saved, each average as {@code ema.<parameter name>},
 * in their native dtype ({@code F32} or {@code F64}). The {@code __metadata__} map holds only
 * strings, as the format requires:
 * <ul>
 *   <li>{@code format}: {@value #FORMAT}; {@code format_version}: {@value #FORMAT_VERSION};
 *       {@code created_by}: {@code flows4j <version>}</li>
 *   <li>{@code model_spec} (for example {@code glow:small}), {@code model_config} (a JSON
 *       object of strings), {@code dtype} ({@code float32}/{@code float64}), {@code step}</li>
 *   <li>{@code optimizer_steps}, when an optimizer was saved; {@code ema_updates}, when a
 *       moving average was saved; {@code random_state}, a JSON array of four integers, when a
 *       random state was given</li>
 *   <li>every {@linkplain CheckpointMetadata#extra() extra} entry under its own key</li>
 * </ul>
 *
 * <p><b>Versions.</b> Format 1 had no moving averages; format 2 adds the {@code ema.} tensors
 * and {@code ema_updates} (and trainers store their settings as extra entries). Both are read;
 * a newer version is refused naming it.
 *
 * <p><b>Atomicity.</b> {@link #save} writes a temporary file next to the target, forces it to
 * disk, then renames it over the target atomically: a crash or error at any point leaves
 * either the old file or the new one, never a mixture, and no temporary file.
 *
 * <p><b>Loading</b> is all or nothing: names, shapes and dtypes are checked against the model
 * (and the optimizer) before anything is set, and every failure, from a truncated file to one
 * wrong shape, is a {@link CheckpointException} naming the file and what is wrong.
 *
 * <p><b>Memory.</b> Tensors are streamed one at a time through a small buffer: saving needs
 * one tensor's host copy at a time, and {@link #load} one tensor's host array at a time
 * besides the new values it builds on the backend.
 */
public final class Checkpoints {

    /** The value of the {@code format} metadata entry. */
    public static final String FORMAT = "flows4j-checkpoint";

    /** The checkpoint format version written, and the newest read. */
    public static final int FORMAT_VERSION = 2;

    /** The prefix of the model's slots in a checkpoint. */
    public static final String MODEL_PREFIX = "model.";

    /** The prefix of the optimizer's state in a checkpoint. */
    public static final String OPTIMIZER_PREFIX = "optim.";

    /** The prefix of the moving averages of the weights in a checkpoint (format 2 on). */
    public static final String AVERAGES_PREFIX = "ema.";

    /** Tries at a fresh temporary name before giving up (a clash needs a leftover of the same random name). */
    private static final int TEMP_NAME_TRIES = 16;

    private Checkpoints() {}

    /**
     * Writes a checkpoint of {@code model} (and {@code optimizerOrNull}) to {@code file},
     * atomically replacing any file there.
     *
     * @param file the checkpoint to write; its directory must exist
     * @param model the model whose slots are saved
     * @param optimizerOrNull the optimizer whose state and step count are saved, or null
     * @param metadata the model spec and configuration, dtype, step and random state
     * @throws CheckpointException if writing fails or a tensor cannot be read (a freed value,
     *     for example); any previous file is then unchanged and no temporary file is left
     */
    public static void save(Path file, Component model, Optimizer optimizerOrNull, CheckpointMetadata metadata) {
        save(file, model, optimizerOrNull, null, metadata);
    }

    /**
     * Writes a checkpoint of {@code model}, {@code optimizerOrNull} and the moving average of
     * the weights {@code emaOrNull} ({@code ema.<name>} tensors and {@code ema_updates}),
     * atomically replacing any file there; see {@link #save(Path, Component, Optimizer, CheckpointMetadata)}.
     *
     * @param file the checkpoint to write; its directory must exist
     * @param model the model whose slots are saved
     * @param optimizerOrNull the optimizer whose state and step count are saved, or null
     * @param emaOrNull the moving average of the weights to save, or null for none
     * @param metadata the model spec and configuration, dtype, step and random state
     * @throws CheckpointException if writing fails or a tensor cannot be read; any previous file is then
     *     unchanged and no temporary file is left
     */
    public static void save(
            Path file,
            Component model,
            Optimizer optimizerOrNull,
            ExponentialMovingAverage emaOrNull,
            CheckpointMetadata metadata) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(metadata, "metadata");
        // One snapshot of the values, so the header and the data describe the same tensors.
        List<SafeTensors.Spec> specs = new ArrayList<>();
        List<Tensor> values = new ArrayList<>();
        model.variables().forEach((name, p) -> {
            specs.add(new SafeTensors.Spec(MODEL_PREFIX + name, p.dtype(), p.shape()));
            values.add(p.value());
        });
        Map<String, String> meta = metadataStrings(metadata);
        if (optimizerOrNull != null) {
            optimizerOrNull.state().forEach((name, t) -> {
                Objects.requireNonNull(t, () -> "optimizer state '" + name + "' is null");
                specs.add(new SafeTensors.Spec(OPTIMIZER_PREFIX + name, t.dtype(), t.shape()));
                values.add(t);
            });
            meta.put(CheckpointMetadata.OPTIMIZER_STEPS, Long.toString(optimizerOrNull.steps()));
        }
        if (emaOrNull != null) {
            emaOrNull.averages().forEach((name, t) -> {
                specs.add(new SafeTensors.Spec(AVERAGES_PREFIX + name, t.dtype(), t.shape()));
                values.add(t);
            });
            meta.put(CheckpointMetadata.EMA_UPDATES, Long.toString(emaOrNull.updates()));
        }
        List<SafeTensors.Entry> entries = SafeTensors.layout(specs);
        ByteBuffer header;
        try {
            header = SafeTensors.header(entries, meta);
        } catch (CharacterCodingException e) {
            throw new CheckpointException(
                    file,
                    "not written: a tensor name or metadata string is not valid" + " Unicode (an unpaired surrogate)",
                    e);
        }
        List<Integer> dataOrder = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            dataOrder.add(i);
        }
        dataOrder.sort(Comparator.comparingLong(i -> entries.get(i).begin()));

        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path temp = null;
        boolean moved = false;
        try {
            temp = createTemp(dir, target.getFileName().toString());
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                SafeTensors.writeFully(channel, header);
                ByteBuffer scratch = SafeTensors.scratch();
                for (int i : dataOrder) {
                    SafeTensors.Entry e = entries.get(i);
                    if (e.dtype() == DType.FLOAT32) {
                        SafeTensors.writeFloats(channel, hostFloats(file, e, values.get(i)), scratch);
                    } else {
                        SafeTensors.writeDoubles(channel, hostDoubles(file, e, values.get(i)), scratch);
                    }
                }
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
            syncDirectory(dir);
        } catch (IOException | RuntimeException e) {
            CheckpointException failure = e instanceof CheckpointException c
                    ? c
                    : new CheckpointException(file, "not written (any previous file is unchanged): " + describe(e), e);
            if (temp != null && !moved) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException cleanup) {
                    failure.addSuppressed(cleanup);
                }
            }
            throw failure;
        }
    }

    private static float[] hostFloats(Path file, SafeTensors.Entry e, Tensor value) {
        float[] data;
        try {
            data = value.toFloatArray();
        } catch (RuntimeException failed) {
            throw unreadable(file, e, failed);
        }
        checkLength(file, e, data.length);
        return data;
    }

    private static double[] hostDoubles(Path file, SafeTensors.Entry e, Tensor value) {
        double[] data;
        try {
            data = value.toDoubleArray();
        } catch (RuntimeException failed) {
            throw unreadable(file, e, failed);
        }
        checkLength(file, e, data.length);
        return data;
    }

    private static CheckpointException unreadable(Path file, SafeTensors.Entry e, RuntimeException cause) {
        return new CheckpointException(
                file,
                "not written (any previous file is unchanged): reading tensor '" + e.name() + "' failed: "
                        + cause.getMessage(),
                cause);
    }

    private static void checkLength(Path file, SafeTensors.Entry e, int length) {
        // A backend bug would otherwise shift every later tensor in the file.
        if (length != e.shape().size()) {
            throw new CheckpointException(
                    file,
                    "not written (any previous file is unchanged): tensor '" + e.name() + "' of shape " + e.shape()
                            + " gave " + length + " values on the host");
        }
    }

    private static Path createTemp(Path dir, String name) throws IOException {
        // Not Files.createTempFile: its owner-only permissions would carry over to the checkpoint.
        for (int attempt = 0; ; attempt++) {
            Path temp = dir.resolve("." + name + "."
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                Files.createFile(temp);
                return temp;
            } catch (FileAlreadyExistsException taken) {
                if (attempt + 1 >= TEMP_NAME_TRIES) {
                    throw taken;
                }
            }
        }
    }

    private static void syncDirectory(Path dir) {
        // Makes the rename itself durable on POSIX systems; elsewhere a directory cannot be
        // opened or forced, and the rename is still atomic, only not yet known to be on disk.
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException notSupported) {
            // nothing more to do: see above
        }
    }

    private static Map<String, String> metadataStrings(CheckpointMetadata m) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put(CheckpointMetadata.FORMAT, FORMAT);
        out.put(CheckpointMetadata.FORMAT_VERSION, Integer.toString(FORMAT_VERSION));
        out.put(CheckpointMetadata.CREATED_BY, "flows4j " + version());
        out.put(CheckpointMetadata.MODEL_SPEC, m.modelSpec());
        out.put(CheckpointMetadata.MODEL_CONFIG, Json.stringObject(m.modelConfig()));
        out.put(CheckpointMetadata.DTYPE, m.dtype().label());
        out.put(CheckpointMetadata.STEP, Long.toString(m.step()));
        long[] random = m.randomState();
        if (random != null) {
            out.put(CheckpointMetadata.RANDOM_STATE, Json.longArray(random));
        }
        out.putAll(m.extra());
        return out;
    }

    /** The module version (set by the build), else the jar's implementation version, else "unknown". */
    private static String version() {
        ModuleDescriptor d = Checkpoints.class.getModule().getDescriptor();
        if (d != null && d.rawVersion().isPresent()) {
            return d.rawVersion().get();
        }
        String v = Checkpoints.class.getPackage().getImplementationVersion();
        return v != null ? v : "unknown";
    }

    /**
     * Reads a checkpoint's header only: metadata, names, dtypes and shapes, all validated,
     * without its tensor data. For building the model a checkpoint belongs to.
     *
     * @param file the checkpoint to read
     * @return the validated header
     * @throws CheckpointException if the file cannot be read, is truncated or corrupt, or is not
     *     a flows4j checkpoint
     */
    public static CheckpointInfo readInfo(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return CheckpointInfo.of(file, SafeTensors.readHeader(channel, file));
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read: " + describe(e), e);
        }
    }

    /**
     * Reads a whole checkpoint into host memory, for inspection or to
     * {@linkplain Checkpoint#restore restore} later.
     *
     * @param file the checkpoint to read
     * @return the header and every tensor, held on the host (as large as the file's data)
     * @throws CheckpointException if the file cannot be read, is truncated or corrupt, or is not
     *     a flows4j checkpoint
     */
    public static Checkpoint read(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            SafeTensors.Header header = SafeTensors.readHeader(channel, file);
            CheckpointInfo info = CheckpointInfo.of(file, header);
            ByteBuffer scratch = SafeTensors.scratch();
            Map<String, StoredTensor> tensors = new LinkedHashMap<>();
            for (SafeTensors.Entry e : header.entries().values()) {
                tensors.put(
                        e.name(),
                        e.dtype() == DType.FLOAT32
                                ? StoredTensor.ofFloats(e.shape(), SafeTensors.readFloats(channel, header, e, scratch))
                                : StoredTensor.ofDoubles(
                                        e.shape(), SafeTensors.readDoubles(channel, header, e, scratch)));
            }
            return new Checkpoint(info, Collections.unmodifiableMap(tensors));
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read: " + describe(e), e);
        }
    }

    /**
     * Loads a checkpoint into {@code model} (and {@code optimizerOrNull}), streaming the data
     * from the file, all or nothing.
     *
     * <p>Checked first, before anything is set: the file is a complete, valid flows4j
     * checkpoint; its {@code model.} names are exactly the model's
     * {@link Component#variables()} names (missing and unexpected names are listed); each
     * shape and dtype matches ({@code model.layers.0.weight: checkpoint has [392, 1000]
     * float32, model expects [392, 1024] float32}); and, with an optimizer, its
     * {@code optim.} names, shapes and dtypes match the optimizer's {@link Optimizer#state()}.
     * Then every new value is made on the backend of the value it replaces, the optimizer
     * takes its state and step count ({@link Optimizer#loadState}, which checks again), and
     * finally the model's slots are set. Inference running on other threads during the load
     * may see some slots old and some new.
     *
     * @param file the checkpoint
     * @param model the model to fill, built from the checkpoint's spec
     * @param optimizerOrNull the optimizer to restore, or null to load the model alone
     *     (stored optimizer state is then ignored)
     * @return the checkpoint's header, for its step and random state
     * @throws CheckpointException if anything is wrong, naming the file and every difference;
     *     the model and optimizer are then unchanged
     */
    public static CheckpointInfo load(Path file, Component model, Optimizer optimizerOrNull) {
        return load(file, model, optimizerOrNull, null, false);
    }

    /**
     * Loads a checkpoint into {@code model}, {@code optimizerOrNull} and the moving average
     * {@code emaOrNull}, all or nothing, as {@link #load(Path, Component, Optimizer)} does; with a
     * moving average the checkpoint must hold one ({@link CheckpointInfo#hasAverages()}).
     *
     * @param file the checkpoint
     * @param model the model to fill, built from the checkpoint's spec
     * @param optimizerOrNull the optimizer to restore, or null to load the model alone
     * @param emaOrNull the moving average to restore, or null to ignore stored averages
     * @return the checkpoint's header, for its step and random state
     * @throws CheckpointException if anything is wrong, naming the file and every difference; the model,
     *     optimizer and moving average are then unchanged
     */
    public static CheckpointInfo load(
            Path file, Component model, Optimizer optimizerOrNull, ExponentialMovingAverage emaOrNull) {
        return load(file, model, optimizerOrNull, emaOrNull, false);
    }

    /**
     * Loads the model for inference with its averaged weights: every trainable parameter from
     * its moving average ({@code ema.<name>}), every state slot from {@code model.<name>}; all or
     * nothing.
     *
     * @param file the checkpoint
     * @param model the model to fill, built from the checkpoint's spec
     * @return the checkpoint's header, for its step and random state
     * @throws CheckpointException if the checkpoint holds no averages (see
     *     {@link CheckpointInfo#hasAverages()}) or anything does not match
     */
    public static CheckpointInfo loadAveraged(Path file, Component model) {
        return load(file, model, null, null, true);
    }

    private static CheckpointInfo load(
            Path file,
            Component model,
            Optimizer optimizerOrNull,
            ExponentialMovingAverage emaOrNull,
            boolean averaged) {
        Objects.requireNonNull(model, "model");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            SafeTensors.Header header = SafeTensors.readHeader(channel, file);
            CheckpointInfo info = CheckpointInfo.of(file, header);
            ByteBuffer scratch = SafeTensors.scratch();
            Restorer.restore(
                    info,
                    (name, backend) -> {
                        SafeTensors.Entry e = header.entries().get(name);
                        // The backend takes ownership of the fresh array: no second host copy.
                        return TensorAccess.wrap(
                                backend,
                                e.dtype() == DType.FLOAT32
                                        ? backend.fromFloats(
                                                SafeTensors.readFloats(channel, header, e, scratch),
                                                e.shape(),
                                                e.dtype())
                                        : backend.fromDoubles(
                                                SafeTensors.readDoubles(channel, header, e, scratch),
                                                e.shape(),
                                                e.dtype()));
                    },
                    model,
                    optimizerOrNull,
                    emaOrNull,
                    averaged);
            return info;
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read: " + describe(e), e);
        }
    }

    private static String describe(Exception e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "access denied";
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
