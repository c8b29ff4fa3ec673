package org.flows4j.layers.io;

import java.util.Map;
import org.flows4j.api.flow.Component;
import org.flows4j.layers.optim.Optimizer;

/**
 * A checkpoint read into host memory by {@link Checkpoints#read}: its {@linkplain #info()
 * header} and every tensor exactly as stored. To load a large model without this host copy,
 * use {@link Checkpoints#load}, which streams from the file.
 */
public final class Checkpoint {

    private final CheckpointInfo info;
    private final Map<String, StoredTensor> tensors;

    Checkpoint(CheckpointInfo info, Map<String, StoredTensor> tensors) {
        this.info = info;
        this.tensors = tensors;
    }

    /**
     * The header: metadata, names, dtypes and shapes.
     *
     * @return the parsed header
     */
    public CheckpointInfo info() {
        return info;
    }

    /**
     * The metadata; short for {@code info().metadata()}.
     *
     * @return the checkpoint's metadata
     */
    public CheckpointMetadata metadata() {
        return info.metadata();
    }

    /**
     * Every tensor in header order: model slots as {@code model.<name>}, optimizer state as
     * {@code optim.<name>}. Unmodifiable.
     *
     * @return the stored tensors by full name, in header order
     */
    public Map<String, StoredTensor> tensors() {
        return tensors;
    }

    /**
     * Sets every slot of {@code model} (its {@link Component#variables()}: parameters and state
     * alike) and, if given, the optimizer's state and step count, all or nothing; see
     * {@link Checkpoints#load} for the checks made first. Values are made on the backend of the
     * values they replace.
     *
     * @param model the model to fill; its slots' names, shapes and dtypes must match exactly
     * @param optimizerOrNull the optimizer to restore, or null to restore the model alone
     *     (stored optimizer state is then ignored)
     * @throws CheckpointException if anything does not match, naming every difference; the
     *     model and optimizer are then unchanged
     */
    public void restore(Component model, Optimizer optimizerOrNull) {
        Restorer.restore(info, (name, backend) -> tensors.get(name).toTensor(backend), model, optimizerOrNull);
    }

    @Override
    public String toString() {
        return "Checkpoint[" + info.file() + ", " + info.metadata() + ", " + tensors.size() + " tensors]";
    }
}
