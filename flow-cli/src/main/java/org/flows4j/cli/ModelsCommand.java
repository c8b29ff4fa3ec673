package org.flows4j.cli;

import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.models.ModelFactory;
import org.flows4j.zoo.models.Recipe;
import picocli.CommandLine.Command;

/** {@code flows4j models}: every model family and preset, plugins' included. */
@Command(
        name = "models",
        description = {
            "List the model families and their presets.",
            "--model takes FAMILY[:PRESET]; without a preset, the family's default (marked) is used.",
            "A preset trained with other settings than train's defaults shows them: its recipe, what train uses "
                    + "for each flag left out."
        })
final class ModelsCommand extends ZooCommand {

    private final Zoo zoo;

    @Inject
    ModelsCommand(Terminal terminal, Zoo zoo) {
        super(terminal);
        this.zoo = zoo;
    }

    @Override
    Report execute() {
        Report r = new Report().put("command", "models");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ModelFactory f : zoo.models().values()) {
            for (String preset : f.presets()) {
                boolean isDefault = preset.equals(f.defaultPreset());
                String spec = f.family() + ":" + preset;
                r.line(String.format(
                        Locale.ROOT, "%-16s %s%s", spec, f.describe(preset), isDefault ? " (default)" : ""));
                Recipe recipe = f.recipe(preset);
                if (!recipe.equals(Recipe.DEFAULT)) {
                    r.line(String.format(Locale.ROOT, "%-16s trains with %s", "", recipe.flags()));
                }
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("model", spec);
                row.put("family", f.family());
                row.put("preset", preset);
                row.put("default", isDefault);
                row.put("description", f.describe(preset));
                row.put("conditional", preset.endsWith("-cond"));
                row.put("recipe", recipe.flags());
                rows.add(row);
            }
        }
        return r.put("models", rows);
    }
}
