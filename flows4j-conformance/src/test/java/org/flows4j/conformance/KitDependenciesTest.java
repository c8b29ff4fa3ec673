package org.flows4j.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What a backend author's build gets by adding the kit: the library modules, the reference
 * backend and JUnit's API, and nothing of the application (no Guice, no picocli, no
 * {@code java.desktop}) and no native library.
 */
class KitDependenciesTest {

    /** Group and artifact ids ({@code g:a}) the kit may bring to a backend author's class path. */
    private static final Set<String> ALLOWED = Set.of(
            "org.flows4j:flow-api",
            "org.flows4j:flow-layers",
            "org.flows4j:flow-zoo",
            "org.flows4j:backend-cpu",
            "org.flows4j:flows4j-testing",
            // flow-layers reads and writes checkpoint headers with Jackson 3's streaming core (no databind)
            "tools.jackson.core:jackson-core",
            "org.junit.jupiter:junit-jupiter-api",
            "org.junit.platform:junit-platform-commons",
            "org.opentest4j:opentest4j",
            "org.apiguardian:apiguardian-api");

    @Test
    void the_kit_resolves_to_the_library_the_reference_backend_and_junit_only() throws IOException {
        String listing = System.getProperty("flows4j.kit.dependencies");
        assertNotNull(listing, "surefire sets flows4j.kit.dependencies to the dependency plugin's list");
        Set<String> resolved = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of(listing))) {
            String[] parts = line.trim().split(":", -1);
            // "group:artifact:type[:classifier]:version:scope" lines; the header and blanks have fewer parts
            if (parts.length >= 4 && !line.contains("The following files")) {
                resolved.add(parts[0] + ":" + parts[1]);
            }
        }
        assertTrue(
                resolved.contains("org.flows4j:backend-cpu"), "the reference backend comes with the kit: " + resolved);
        Set<String> extra =
                resolved.stream().filter(a -> !ALLOWED.contains(a)).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(Set.of(), extra, "the kit must bring nothing but the library, cpu and JUnit's API");
    }

    @Test
    void the_kit_module_reads_no_application_module() {
        ModuleDescriptor kit = ConformanceKit.class.getModule().getDescriptor();
        Set<String> required;
        if (kit != null) {
            required =
                    kit.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet());
        } else {
            // On the class path the descriptor is not loaded: read the compiled one.
            Path info = Path.of(
                    ConformanceKit.class
                            .getProtectionDomain()
                            .getCodeSource()
                            .getLocation()
                            .getPath(),
                    "module-info.class");
            try (var in = Files.newInputStream(info)) {
                required = ModuleDescriptor.read(in).requires().stream()
                        .map(ModuleDescriptor.Requires::name)
                        .collect(Collectors.toSet());
            } catch (IOException e) {
                throw new AssertionError("cannot read " + info, e);
            }
        }
        for (String forbidden : List.of("com.google.guice", "info.picocli", "java.desktop", "org.flows4j.cli")) {
            assertFalse(required.contains(forbidden), "the kit requires " + forbidden + ": " + required);
        }
        assertTrue(required.contains("org.flows4j.zoo"), "the model checks need the zoo library: " + required);
    }
}
