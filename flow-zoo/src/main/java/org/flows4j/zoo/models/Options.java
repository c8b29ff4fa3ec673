package org.flows4j.zoo.models;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Reads a model's build options, failing clearly on unknown names and malformed values. */
final class Options {

    private final String model;
    private final Map<String, String> values;

    Options(String model, Map<String, String> values, Set<String> known) {
        this.model = model;
        this.values = values;
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(model + " has no option " + String.join(", ", unknown) + "; its options: "
                    + String.join(", ", new TreeSet<>(known)));
        }
    }

    int integer(String name, int fallback, int min) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            int i = Integer.parseInt(v.trim());
            if (i < min) {
                throw new NumberFormatException();
            }
            return i;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(model + " option " + name + "=" + v + " is not an integer >= " + min);
        }
    }

    String choice(String name, String fallback, String... allowed) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        String t = v.trim().toLowerCase(Locale.ROOT);
        for (String a : allowed) {
            if (a.equals(t)) {
                return t;
            }
        }
        throw new IllegalArgumentException(model + " option " + name + "=" + v + " must be one of "
                + String.join(", ", allowed));
    }
}
