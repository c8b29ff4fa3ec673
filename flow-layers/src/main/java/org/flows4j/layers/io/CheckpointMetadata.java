package org.flows4j.layers.io;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.flows4j.api.DType;
import org.flows4j.api.random.RandomSource;

/**
 * What a checkpoint says about itself beyond its tensors: enough to rebuild the model
 * ({@code flows4j eval --checkpoint F} needs no other argument) and to resume training
 * exactly.
 *
 * <p>Stored as strings in the safetensors {@code __metadata__} (the format allows nothing
 * else): {@code model_spec}, {@code model_config} (a JSON object), {@code dtype}
 * ({@code float32}/{@code float64}), {@code step}, {@code random_state} (a JSON array of the
 * four words of {@link RandomSource#state()}), plus every {@code extra} entry under its own
 * key. The maps keep their order; the record copies its arguments and hands out copies.
 *
 * @param modelSpec the model's registry name with its variant, for example {@code glow:small}
 * @param modelConfig the configuration the model was built with (hyperparameters by name)
 * @param dtype the dtype the model computes in
 * @param step the training step reached (0 for a model that was never trained)
 * @param randomState the training random source's {@linkplain RandomSource#state() state}, four
 *     words, or null when none is saved
 * @param extra further entries; their keys must not be one of the keys flows4j writes itself
 */
// equals, hashCode and toString are overridden below (Arrays.equals etc. on randomState), and
// the array is copied in and out: the record compares by value.
@SuppressWarnings("ArrayRecordComponent")
public record CheckpointMetadata(
        String modelSpec,
        Map<String, String> modelConfig,
        DType dtype,
        long step,
        long[] randomState,
        Map<String, String> extra) {

    static final String FORMAT = "format";
    static final String FORMAT_VERSION = "format_version";
    static final String CREATED_BY = "created_by";
    static final String MODEL_SPEC = "model_spec";
    static final String MODEL_CONFIG = "model_config";
    static final String DTYPE = "dtype";
    static final String STEP = "step";
    static final String OPTIMIZER_STEPS = "optimizer_steps";
    static final String RANDOM_STATE = "random_state";
    static final String EMA_UPDATES = "ema_updates";

    /** The keys flows4j writes itself, which {@link #extra} cannot use. */
    static final Set<String> RESERVED_KEYS = Set.of(
            FORMAT,
            FORMAT_VERSION,
            CREATED_BY,
            MODEL_SPEC,
            MODEL_CONFIG,
            DTYPE,
            STEP,
            OPTIMIZER_STEPS,
            RANDOM_STATE,
            EMA_UPDATES);

    /**
     * Validates and copies.
     *
     * @param modelSpec the model's registry name with its variant, for example {@code glow:small}; not blank
     * @param modelConfig the configuration the model was built with (hyperparameters by name); copied
     * @param dtype the dtype the model computes in
     * @param step the training step reached, {@code >= 0} (0 for a model that was never trained)
     * @param randomState the training random source's state, four words not all zero, or null when none is
     *     saved; copied
     * @param extra further entries, none under a reserved or empty key; copied
     * @throws IllegalArgumentException if the spec is blank, the step negative, the random
     *     state not four words or all zero, or an extra key reserved or empty
     * @throws NullPointerException if a required argument, a key or a value is null
     */
    public CheckpointMetadata {
        Objects.requireNonNull(modelSpec, "modelSpec");
        Objects.requireNonNull(dtype, "dtype");
        if (modelSpec.isBlank()) {
            throw new IllegalArgumentException("modelSpec must not be blank");
        }
        if (step < 0) {
            throw new IllegalArgumentException("step must not be negative, got " + step);
        }
        if (randomState != null) {
            // fromState rejects a wrong length or an all-zero state with its own message
            randomState = RandomSource.fromState(randomState).state();
        }
        modelConfig = copy(modelConfig, "modelConfig");
        extra = copy(extra, "extra");
        for (String key : extra.keySet()) {
            if (key.isEmpty() || RESERVED_KEYS.contains(key)) {
                throw new IllegalArgumentException("extra metadata key '" + key + "' is "
                        + (key.isEmpty() ? "empty" : "reserved") + "; reserved keys: " + RESERVED_KEYS);
            }
        }
    }

    private static Map<String, String> copy(Map<String, String> map, String what) {
        Objects.requireNonNull(map, what);
        Map<String, String> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(
                Objects.requireNonNull(k, what + " key"), Objects.requireNonNull(v, what + " value for '" + k + "'")));
        return Collections.unmodifiableMap(out);
    }

    /**
     * Metadata for {@code modelSpec} in {@code dtype}: no configuration, step 0, no random state, no extras.
     *
     * @param modelSpec the model's registry name with its variant, for example {@code glow:small}; not blank
     * @param dtype the dtype the model computes in
     * @return the metadata
     * @throws IllegalArgumentException if {@code modelSpec} is blank
     * @throws NullPointerException if an argument is null
     */
    public static CheckpointMetadata of(String modelSpec, DType dtype) {
        return new CheckpointMetadata(modelSpec, Map.of(), dtype, 0, null, Map.of());
    }

    /**
     * A copy with this model configuration.
     *
     * @param config the configuration (hyperparameters by name), replacing the current one; copied
     * @return the new metadata; this one is unchanged
     * @throws NullPointerException if {@code config}, a key or a value is null
     */
    public CheckpointMetadata withModelConfig(Map<String, String> config) {
        return new CheckpointMetadata(modelSpec, config, dtype, step, randomState, extra);
    }

    /**
     * A copy at this training step.
     *
     * @param newStep the training step reached, {@code >= 0}
     * @return the new metadata; this one is unchanged
     * @throws IllegalArgumentException if {@code newStep} is negative
     */
    public CheckpointMetadata withStep(long newStep) {
        return new CheckpointMetadata(modelSpec, modelConfig, dtype, newStep, randomState, extra);
    }

    /**
     * A copy holding {@code random}'s current state (the source itself is not advanced).
     *
     * @param random the training random source whose state to save
     * @return the new metadata; this one is unchanged
     */
    public CheckpointMetadata withRandomState(RandomSource random) {
        return new CheckpointMetadata(modelSpec, modelConfig, dtype, step, random.state(), extra);
    }

    /**
     * A copy with one more extra entry (replacing an extra entry of that key).
     *
     * @param key the entry's key; not empty and not a reserved key
     * @param value the entry's value
     * @return the new metadata; this one is unchanged
     * @throws IllegalArgumentException if {@code key} is empty or reserved
     * @throws NullPointerException if {@code key} or {@code value} is null
     */
    public CheckpointMetadata withExtra(String key, String value) {
        Map<String, String> more = new LinkedHashMap<>(extra);
        more.put(key, value);
        return new CheckpointMetadata(modelSpec, modelConfig, dtype, step, randomState, more);
    }

    /**
     * The four words of the random state, a copy, or null when none is saved.
     *
     * @return a new array of four words, or null
     */
    @Override
    public long[] randomState() {
        return randomState == null ? null : randomState.clone();
    }

    /**
     * A random source that continues where the saved one stopped, if a state was saved.
     *
     * @return a new source at the saved state on each call, or empty when none is saved
     */
    public Optional<RandomSource> randomSource() {
        return randomState == null ? Optional.empty() : Optional.of(RandomSource.fromState(randomState));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CheckpointMetadata m
                && modelSpec.equals(m.modelSpec)
                && modelConfig.equals(m.modelConfig)
                && dtype == m.dtype
                && step == m.step
                && Arrays.equals(randomState, m.randomState)
                && extra.equals(m.extra);
    }

    @Override
    public int hashCode() {
        return Objects.hash(modelSpec, modelConfig, dtype, step, Arrays.hashCode(randomState), extra);
    }

    @Override
    public String toString() {
        return "CheckpointMetadata[modelSpec=" + modelSpec + ", modelConfig=" + modelConfig + ", dtype="
                + dtype.label() + ", step=" + step + ", randomState=" + Arrays.toString(randomState)
                + ", extra=" + extra + "]";
    }
}
