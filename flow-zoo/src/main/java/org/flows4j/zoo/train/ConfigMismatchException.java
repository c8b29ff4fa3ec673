package org.flows4j.zoo.train;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A checkpoint cannot be resumed with these settings: the run was trained with another
 * optimizer, schedule, clipping, moving average, batch size or seed, and continuing with
 * others would no longer be the same run.
 */
public final class ConfigMismatchException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /**
     * One setting that differs.
     *
     * @param setting the metadata key, as in {@link TrainerConfig#describe()} ({@code schedule},
     *     {@code clip_norm}, ...)
     * @param saved the checkpoint's value, or null if it has none
     * @param requested this run's value, or null if it has none
     */
    public record Difference(String setting, String saved, String requested) {
        @Override
        public String toString() {
            return setting + " was " + (saved == null ? "not set" : saved) + ", now "
                    + (requested == null ? "not set" : requested);
        }
    }

    private final transient List<Difference> differences;

    /**
     * A mismatch between {@code file}'s settings and this run's.
     *
     * @param file the checkpoint that was to be resumed, named in the message
     * @param differences the settings that differ, in the configuration's order (copied)
     */
    public ConfigMismatchException(Path file, List<Difference> differences) {
        super("cannot resume " + file + " with other training settings ("
                + differences.stream().map(Difference::toString).collect(Collectors.joining("; "))
                + "); a resumed run keeps the settings it was started with");
        this.differences = List.copyOf(differences);
    }

    /**
     * Every setting that differs, in the configuration's order.
     *
     * @return the differences, immutable; null after deserialization, as they are not serialized
     */
    public List<Difference> differences() {
        return differences;
    }
}
