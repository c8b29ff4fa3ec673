package org.flows4j.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A third party's plugin as a JPMS module on the command's module path: a jar whose
 * {@code module-info} {@code provides org.flows4j.zoo.models.ModelFactory} and
 * {@code org.flows4j.zoo.data.DatasetFactory}, compiled here against the laid-out library and
 * dropped into a copy of the layout. {@code flows4j models} and {@code flows4j datasets} must
 * list its families beside the built-ins: the plugin door is {@link java.util.ServiceLoader},
 * with no Guice type in it.
 */
class PluginEndToEndTest {

    private static final String MODULE_INFO = """
            module toy.plugin {
                requires org.flows4j.zoo;
                provides org.flows4j.zoo.models.ModelFactory with toy.ToyModels;
                provides org.flows4j.zoo.data.DatasetFactory with toy.ToyData;
            }
            """;

    private static final String MODELS = """
            package toy;

            import java.util.List;
            import org.flows4j.zoo.models.ModelFactory;
            import org.flows4j.zoo.models.ModelRequest;
            import org.flows4j.zoo.models.ZooModel;

            public final class ToyModels implements ModelFactory {
                public String family() { return "toy"; }
                public List<String> presets() { return List.of("tiny", "big"); }
                public String describe(String preset) { return "a plugin's " + preset + " model"; }
                public ZooModel build(ModelRequest request) {
                    throw new IllegalArgumentException("the toy plugin builds no model");
                }
            }
            """;

    private static final String DATA = """
            package toy;

            import org.flows4j.zoo.data.DataException;
            import org.flows4j.zoo.data.DataRequest;
            import org.flows4j.zoo.data.Dataset;
            import org.flows4j.zoo.data.DatasetFactory;

            public final class ToyData implements DatasetFactory {
                public String name() { return "toy-data"; }
                public String description() { return "a plugin's data set"; }
                public Dataset load(DataRequest request) { throw new DataException("the toy plugin loads no data"); }
            }
            """;

    @Test
    void a_plugin_module_on_the_module_path_adds_its_model_and_data_set(@TempDir Path dir) throws Exception {
        Launcher original = new Launcher("cpu");
        Path layout = dir.resolve("layout");
        Path lib = Files.createDirectories(layout.resolve("lib"));
        try (Stream<Path> jars = Files.list(original.dist().resolve("lib"))) {
            for (Path jar : jars.toList()) {
                Files.createSymbolicLink(lib.resolve(jar.getFileName()), jar);
            }
        }
        if (Files.isDirectory(original.dist().resolve("classpath"))) {
            Files.createSymbolicLink(
                    layout.resolve("classpath"), original.dist().resolve("classpath"));
        }
        buildPlugin(dir.resolve("plugin"), original.dist().resolve("lib"), lib.resolve("toy-plugin.jar"));

        ProcessBuilder models = original.command(dir, original.script(), "models", "--json");
        models.environment().put("FLOWS4J_HOME", layout.toString());
        Launcher.Run m = Launcher.finish(models.start());
        assertEquals(0, m.status(), m.err());
        String json = Launcher.oneJsonObject(m);
        assertTrue(
                json.contains("\"toy:tiny\"") && json.contains("\"toy:big\"") && json.contains("\"realnvp:2d\""), json);

        ProcessBuilder data = original.command(dir, original.script(), "datasets");
        data.environment().put("FLOWS4J_HOME", layout.toString());
        Launcher.Run d = Launcher.finish(data.start());
        assertEquals(0, d.status(), d.err());
        assertTrue(d.out().contains("toy-data") && d.out().contains("two-moons"), d.out());
    }

    /** Compiles the plugin module against the layout's module path and writes it as a jar. */
    private static void buildPlugin(Path work, Path modulePath, Path jar) throws IOException {
        Path src = work.resolve("src");
        Path classes = work.resolve("classes");
        Files.createDirectories(src.resolve("toy"));
        Files.createDirectories(classes);
        Files.writeString(src.resolve("module-info.java"), MODULE_INFO);
        Files.writeString(src.resolve("toy/ToyModels.java"), MODELS);
        Files.writeString(src.resolve("toy/ToyData.java"), DATA);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "a JDK, not a JRE, runs the tests");
        List<String> args = List.of(
                "-d",
                classes.toString(),
                "--module-path",
                modulePath.toString(),
                src.resolve("module-info.java").toString(),
                src.resolve("toy/ToyModels.java").toString(),
                src.resolve("toy/ToyData.java").toString());
        int status = javac.run(null, null, null, args.toArray(String[]::new));
        assertEquals(0, status, "the plugin compiles against the laid-out library ");
        try (OutputStream out = Files.newOutputStream(jar);
                JarOutputStream jos = new JarOutputStream(out);
                Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                jos.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                jos.write(Files.readAllBytes(f));
                jos.closeEntry();
            }
        }
    }
}
