package org.flows4j.conformance.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of README.md, read out of the file and compiled exactly as it
 * stands, so the documentation cannot rot. A block of statements is compiled as the body of a
 * method and run (on the best installed backend, as a reader would run it); a block that
 * declares a class is compiled as a compilation unit. Only imports are added: the README shows
 * code, not its import lines.
 */
class ReadmeCodeTest {

    /** The imports every block gets: the packages a reader of the README would import. */
    private static final String IMPORTS = """
            import java.nio.file.*;
            import java.util.*;
            import java.util.stream.*;
            import org.flows4j.api.*;
            import org.flows4j.api.backend.*;
            import org.flows4j.api.flow.*;
            import org.flows4j.api.random.*;
            import org.flows4j.api.tensor.*;
            import org.flows4j.layers.*;
            import org.flows4j.layers.bijectors.*;
            import org.flows4j.layers.distributions.*;
            import org.flows4j.layers.nn.*;
            import org.flows4j.layers.optim.*;
            import org.flows4j.zoo.*;
            import org.flows4j.zoo.data.*;
            import org.flows4j.zoo.models.*;
            import org.flows4j.zoo.train.*;
            import org.flows4j.conformance.*;
            import org.junit.jupiter.api.*;
            """;

    private static final Pattern BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern CLASS_DECLARATION =
            Pattern.compile("^(public\\s+)?(final\\s+)?class\\s+(\\w+)", Pattern.MULTILINE);

    @TempDir
    Path work;

    static List<String> javaBlocks() throws IOException {
        String path = System.getProperty("flows4j.readme");
        assertNotNull(path, "surefire sets flows4j.readme to the repository's README.md");
        String readme = Files.readString(Path.of(path));
        List<String> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(readme);
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }

    @TestFactory
    Stream<DynamicTest> every_java_block_of_the_readme_compiles_and_runs() throws IOException {
        List<String> blocks = javaBlocks();
        assertFalse(blocks.isEmpty(), "README.md has java blocks");
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            String block = blocks.get(i);
            int index = i + 1;
            String firstLine = block.lines()
                    .filter(l -> !l.isBlank())
                    .findFirst()
                    .orElse("")
                    .trim();
            tests.add(DynamicTest.dynamicTest(
                    "README java block " + index + ": " + firstLine, () -> compileAndRun(index, block)));
        }
        return tests.stream();
    }

    private void compileAndRun(int index, String block) throws Exception {
        Matcher declared = CLASS_DECLARATION.matcher(block);
        String className;
        String source;
        boolean runnable;
        if (declared.find()) {
            className = declared.group(3);
            source = IMPORTS + block;
            runnable = false;
        } else {
            className = "ReadmeBlock" + index;
            source = IMPORTS + "@SuppressWarnings(\"try\")\npublic final class " + className
                    + " {\n    public static void run() throws Exception {\n" + block + "\n    }\n}\n";
            runnable = true;
        }
        Path src = work.resolve("src").resolve(className + ".java");
        Path out = work.resolve("classes");
        Files.createDirectories(src.getParent());
        Files.createDirectories(out);
        Files.writeString(src, source);

        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        assertNotNull(compiler, "a JDK, not a JRE, runs the tests");
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        StringWriter log = new StringWriter();
        try (StandardJavaFileManager files = compiler.getStandardFileManager(diagnostics, null, null)) {
            List<String> options = List.of(
                    "-d",
                    out.toString(),
                    "-classpath",
                    System.getProperty("java.class.path"),
                    "-proc:none",
                    "-Xlint:none");
            boolean ok = compiler.getTask(log, files, diagnostics, options, null, files.getJavaFileObjects(src))
                    .call();
            assertTrue(
                    ok,
                    "README java block " + index + " does not compile:\n" + diagnostics.getDiagnostics() + "\n" + log
                            + "\n--- as compiled ---\n" + source);
        }
        try (URLClassLoader loader =
                new URLClassLoader(new URL[] {out.toUri().toURL()}, ReadmeCodeTest.class.getClassLoader())) {
            Class<?> compiled = loader.loadClass(className);
            assertEquals(className, compiled.getSimpleName());
            if (runnable) {
                Method run = compiled.getMethod("run");
                try {
                    run.invoke(null);
                } catch (InvocationTargetException e) {
                    throw new AssertionError(
                            "README java block " + index + " compiles but fails when run", e.getCause());
                }
            }
        }
    }
}
