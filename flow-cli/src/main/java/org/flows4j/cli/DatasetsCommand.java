package org.flows4j.cli;

import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.DatasetFactory;
import picocli.CommandLine.Command;

/** {@code flows4j datasets}: every data set family, plugins' included. */
@Command(
        name = "datasets",
        description = {"List the data sets.", "--data takes NAME or NAME:ARGUMENT (csv:/path/to/file.csv)."})
final class DatasetsCommand extends ZooCommand {

    private final Zoo zoo;

    @Inject
    DatasetsCommand(Terminal terminal, Zoo zoo) {
        super(terminal);
        this.zoo = zoo;
    }

    @Override
    Report execute() {
        Report r = new Report().put("command", "datasets");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (DatasetFactory f : zoo.datasets().values()) {
            r.line(String.format(Locale.ROOT, "%-14s %s", f.name(), f.description()));
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", f.name());
            row.put("description", f.description());
            rows.add(row);
        }
        return r.put("datasets", rows);
    }
}
