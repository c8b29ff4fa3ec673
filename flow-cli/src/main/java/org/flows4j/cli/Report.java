package org.flows4j.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A command's result, kept twice: as ordered fields for {@code --json} (one object on stdout)
 * and as the human-readable lines printed otherwise.
 */
final class Report {

    private final Map<String, Object> fields = new LinkedHashMap<>();
    private final List<String> lines = new ArrayList<>();

    /** Adds a JSON field (a later value for the same key replaces the earlier one). */
    Report put(String key, Object value) {
        fields.put(key, value);
        return this;
    }

    /** Adds a human-readable line. */
    Report line(String text) {
        lines.add(text);
        return this;
    }

    Map<String, Object> fields() {
        return fields;
    }

    List<String> lines() {
        return lines;
    }

    /** Prints the report on the terminal's stdout: the JSON object, or the lines. */
    void emit(Terminal terminal, boolean json) {
        if (json) {
            terminal.out().println(JsonWriter.write(fields));
        } else {
            lines.forEach(terminal.out()::println);
        }
        terminal.out().flush();
    }
}
