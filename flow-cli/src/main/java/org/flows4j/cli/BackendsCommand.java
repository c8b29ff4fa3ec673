package org.flows4j.cli;

import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flows4j.api.backend.BackendInfo;
import org.flows4j.api.backend.BackendRegistry;
import org.flows4j.api.backend.Backends;
import picocli.CommandLine.Command;

/** {@code flows4j backends}: what discovery finds, without loading any native code. */
@Command(
        name = "backends",
        description = {
            "List the discovered backends: priority, availability, default.",
            "The default is the one used without --backend: the flows4j.backend property or FLOWS4J_BACKEND, else the "
                    + "highest-priority available backend.",
            "Availability means the backend's classes are present; native code is loaded only when a command uses it."
        })
final class BackendsCommand extends ZooCommand {

    @Inject
    BackendsCommand(Terminal terminal) {
        super(terminal);
    }

    @Override
    Report execute() {
        List<BackendInfo> all = Backends.list();
        String requested = common.backend != null ? common.backend : BackendRegistry.requestedName();
        if (common.backend != null) {
            CommonOptions.checkKnown(common.backend);
        }
        String chosen = requested != null
                ? requested.trim().toLowerCase(Locale.ROOT)
                : all.stream()
                        .filter(BackendInfo::available)
                        .map(BackendInfo::name)
                        .findFirst()
                        .orElse(null);
        Report r = new Report().put("command", "backends").put("backend", chosen);
        List<Map<String, Object>> rows = new ArrayList<>();
        r.line(String.format(
                Locale.ROOT, "%-8s %8s  %-9s %-7s %s", "NAME", "PRIORITY", "AVAILABLE", "DEFAULT", "DESCRIPTION"));
        for (BackendInfo b : all) {
            boolean isDefault = b.name().equals(chosen);
            String priority = b.priority() == Integer.MIN_VALUE ? "?" : Integer.toString(b.priority());
            String description = b.available() ? b.description() : b.description() + " (" + b.problem() + ")";
            r.line(String.format(
                    Locale.ROOT,
                    "%-8s %8s  %-9s %-7s %s",
                    b.name(),
                    priority,
                    b.available() ? "yes" : "no",
                    isDefault ? "*" : "",
                    description));
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", b.name());
            row.put("priority", b.priority() == Integer.MIN_VALUE ? null : b.priority());
            row.put("available", b.available());
            row.put("default", isDefault);
            row.put("description", b.description());
            row.put("problem", b.problem());
            rows.add(row);
        }
        if (all.isEmpty()) {
            r.line("(none: put backend-cpu or another flows4j backend on the module path)");
        }
        r.put("backends", rows);
        return r;
    }
}
