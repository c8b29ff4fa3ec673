package org.flows4j.zoo.models;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Reads a model's build options, failing clearly on unknown names and malformed values, and
 * records every option read with the value it took: the one given, or the preset's default.
 * {@link #resolved()} is what a model and its checkpoints keep, so that a checkpoint rebuilds the
 * model it was trained as even after a preset's default changes.
 */
final class Options {

    private final String model;
    private final Map<String, String> values;
    private final Set<String> known;
    private final Map<String, String> resolved = new LinkedHashMap<>();

    Options(String model, Map<String, String> values, Set<String> known) {
        this.model = model;
        this.values = values;
        this.known = Set.copyOf(known);
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(model + " has no option " + String.join(", ", unknown)
                    + "; its options: " + String.join(", ", new TreeSet<>(known)));
        }
    }

    /**
     * Every option of this model read so far with the value it took, in a form that reads back
     * to the same value: the given value, or the fallback where none was given.
     *
     * @return an unmodifiable copy, in the order the options were read
     */
    Map<String, String> resolved() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(resolved));
    }

    /** The value of {@code name} as an integer {@code >= min}; {@code fallback} when not given. */
    int integer(String name, int fallback, int min) {
        String v = values.get(name);
        if (v == null) {
            return record(name, fallback, Integer.toString(fallback));
        }
        try {
            int i = Integer.parseInt(v.trim());
            if (i < min) {
                throw new NumberFormatException();
            }
            return record(name, i, Integer.toString(i));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(model + " option " + name + "=" + v + " is not an integer >= " + min);
        }
    }

    /** The value of {@code name} as {@code true} or {@code false} (case-insensitive); {@code fallback} when not given. */
    boolean flag(String name, boolean fallback) {
        String v = values.get(name);
        if (v == null) {
            return record(name, fallback, Boolean.toString(fallback));
        }
        String t = v.trim().toLowerCase(Locale.ROOT);
        if (!t.equals("true") && !t.equals("false")) {
            throw new IllegalArgumentException(model + " option " + name + "=" + v + " must be true or false");
        }
        return record(name, t.equals("true"), t);
    }

    /** The value of {@code name} as a finite number {@code > min}; {@code fallback} when not given. */
    double number(String name, double fallback, double min) {
        String v = values.get(name);
        if (v == null) {
            return record(name, fallback, Double.toString(fallback));
        }
        try {
            double d = Double.parseDouble(v.trim());
            if (!(d > min) || Double.isInfinite(d)) {
                throw new NumberFormatException();
            }
            return record(name, d, Double.toString(d));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    model + " option " + name + "=" + v + " is not a finite number > " + min);
        }
    }

    /**
     * The value of {@code name} as one of {@code constants}, matched case-insensitively
     * against each one's {@code label}; {@code fallback} when the option is not given.
     *
     * @throws IllegalArgumentException for any other value, listing the valid ones
     */
    <E extends Enum<E>> E choice(String name, E fallback, E[] constants, Function<E, String> label) {
        String v = values.get(name);
        E e = v == null ? fallback : parse(model + " option " + name, v, constants, label);
        return record(name, e, label.apply(e));
    }

    /** Records the value an option took; a name this model does not offer (read but unused) is not kept. */
    private <T> T record(String name, T value, String text) {
        if (known.contains(name)) {
            resolved.put(name, text);
        }
        return value;
    }

    /**
     * The constant whose {@code label} is {@code text} (trimmed, case-insensitive).
     *
     * @throws IllegalArgumentException naming {@code what} and listing the valid labels
     */
    static <E extends Enum<E>> E parse(String what, String text, E[] constants, Function<E, String> label) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        List<String> labels = new ArrayList<>();
        for (E e : constants) {
            if (label.apply(e).equals(t)) {
                return e;
            }
            labels.add(label.apply(e));
        }
        throw new IllegalArgumentException(what + "=" + text + " must be one of " + String.join(", ", labels));
    }
}
