package org.flows4j.zoo.models;

import java.util.Locale;

/**
 * A model by name, {@code family:preset} ({@code glow:small}, {@code nice:paper}); without a
 * preset the family's default is used.
 *
 * @param family the model family, lower case
 * @param preset the preset, lower case, or null for the family's default
 */
public record ModelSpec(String family, String preset) {

    /**
     * Parses {@code family[:preset]}.
     *
     * @param text {@code family} or {@code family:preset}; trimmed and lower-cased, so {@code " Glow:Small"}
     *     is {@code glow:small}
     * @return the spec, with a null preset when {@code text} names none
     * @throws IllegalArgumentException if {@code text} is null, blank, or has an empty family or preset
     *     around the ':'
     */
    public static ModelSpec parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("a model spec is family[:preset], for example realnvp:2d; got nothing");
        }
        String t = text.trim().toLowerCase(Locale.ROOT);
        int i = t.indexOf(':');
        if (i == 0 || i == t.length() - 1) {
            throw new IllegalArgumentException(
                    "a model spec is family[:preset], for example realnvp:2d; got '" + text + "'");
        }
        return i < 0 ? new ModelSpec(t, null) : new ModelSpec(t.substring(0, i), t.substring(i + 1));
    }

    /**
     * This spec with the preset filled in.
     *
     * @param p the preset, lower case, or null for the family's default
     * @return a new spec of the same family with preset {@code p}; this one is unchanged
     */
    public ModelSpec withPreset(String p) {
        return new ModelSpec(family, p);
    }

    @Override
    public String toString() {
        return preset == null ? family : family + ":" + preset;
    }
}
