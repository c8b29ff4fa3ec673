package org.flows4j.conformance.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module boundaries of DESIGN.md as executable rules, over the production classes of
 * every module. Each rule says why it exists; an exception to a rule is made where the rule
 * is, with its reason.
 */
class ArchitectureTest {

    private static final Set<String> JAVA_BASE_PACKAGES =
            ModuleLayer.boot().findModule("java.base").orElseThrow().getPackages();

    private static JavaClasses classes;

    @BeforeAll
    static void importProductionClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("org.flows4j");
        // Rules over an empty import would pass vacuously: make sure the modules are in view.
        for (String name : new String[] {
            "org.flows4j.api.tensor.Tensor",
            "org.flows4j.backend.cpu.CpuBackendProvider",
            "org.flows4j.conformance.ConformanceKit",
            "org.flows4j.zoo.Zoo",
            "org.flows4j.cli.Flows4jCommand",
            "org.flows4j.backend.support.DirectAdam",
            "org.flows4j.testing.Tolerance",
            "org.flows4j.spark.FlowScorer"
        }) {
            assertTrue(classes.contain(name), "the architecture rules did not see " + name);
        }
    }

    private static final DescribedPredicate<JavaClass> IN_JAVA_BASE_OR_API =
            new DescribedPredicate<>("in java.base or org.flows4j.api") {
                @Override
                public boolean test(JavaClass c) {
                    JavaClass base = c.isArray() ? c.getBaseComponentType() : c;
                    return base.isPrimitive()
                            || JAVA_BASE_PACKAGES.contains(base.getPackageName())
                            || base.getPackageName().startsWith("org.flows4j.api");
                }
            };

    @Test
    void the_test_support_depends_on_java_base_only() {
        ArchRule rule = noClasses()
                .that()
                .resideInAPackage("org.flows4j.testing..")
                .should()
                .dependOnClassesThat(DescribedPredicate.not(
                        new DescribedPredicate<JavaClass>("in java.base " + "or org.flows4j.testing") {
                            @Override
                            public boolean test(JavaClass c) {
                                JavaClass base = c.isArray() ? c.getBaseComponentType() : c;
                                return base.isPrimitive()
                                        || JAVA_BASE_PACKAGES.contains(base.getPackageName())
                                        || base.getPackageName().startsWith("org.flows4j.testing");
                            }
                        }))
                .because("every module's tests use it, flow-api's included: a dependency would be a cycle");
        rule.check(classes);
    }

    @Test
    void flow_api_depends_on_java_base_only() {
        ArchRule rule = noClasses()
                .that()
                .resideInAPackage("org.flows4j.api..")
                .should()
                .dependOnClassesThat(DescribedPredicate.not(IN_JAVA_BASE_OR_API))
                .because("the API is what every backend and plugin compiles against; it must pull in nothing");
        rule.check(classes);
    }

    @Test
    void backends_depend_on_flow_api_only_never_on_each_other() {
        for (String backend : new String[] {"cpu", "nd4j", "djl"}) {
            String own = "org.flows4j.backend." + backend + "..";
            // The native backends share one Vector API loop (the fused Adam update) through the
            // internal backend-support module, whose package is exported to them alone.
            String[] allowed = backend.equals("cpu")
                    ? new String[] {"org.flows4j.api..", own}
                    : new String[] {"org.flows4j.api..", own, "org.flows4j.backend.support.."};
            ArchRule rule = noClasses()
                    .that()
                    .resideInAPackage(own)
                    .should()
                    .dependOnClassesThat(DescribedPredicate.and(
                            JavaClass.Predicates.resideInAPackage("org.flows4j.."),
                            DescribedPredicate.not(JavaClass.Predicates.resideInAnyPackage(allowed))))
                    .because(
                            "a backend is a plugin of the API: it may not reach into layers, the zoo or another backend");
            rule.check(classes);
        }
    }

    @Test
    void backend_support_depends_on_the_api_only_and_serves_the_native_backends_only() {
        noClasses()
                .that()
                .resideInAPackage("org.flows4j.backend.support..")
                .should()
                .dependOnClassesThat(DescribedPredicate.and(
                        JavaClass.Predicates.resideInAPackage("org.flows4j.."),
                        DescribedPredicate.not(JavaClass.Predicates.resideInAnyPackage(
                                "org.flows4j.api..", "org.flows4j.backend.support.."))))
                .because("the shared Vector API loops sit beside the backends, on the API alone")
                .check(classes);
        noClasses()
                .that()
                .resideOutsideOfPackages(
                        "org.flows4j.backend.support..", "org.flows4j.backend.djl..", "org.flows4j.backend.nd4j..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.flows4j.backend.support..")
                .because("backend-support is internal: its module exports it to backend-djl and backend-nd4j only")
                .check(classes);
    }

    @Test
    void layers_zoo_and_the_conformance_kit_never_name_a_backend() {
        ArchRule rule = noClasses()
                .that()
                .resideInAnyPackage("org.flows4j.layers..", "org.flows4j.zoo..", "org.flows4j.conformance..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.flows4j.backend..")
                .because("code gets a backend by name through discovery, so any backend can be swapped in")
                .allowEmptyShould(true);
        rule.check(classes);
    }

    @Test
    void the_library_and_the_kit_never_import_guice_picocli_or_awt() {
        ArchRule rule = noClasses()
                .that()
                .resideInAnyPackage(
                        "org.flows4j.api..", "org.flows4j.layers..", "org.flows4j.zoo..", "org.flows4j.conformance..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "com.google.inject..",
                        "jakarta.inject..",
                        "picocli..",
                        "java.awt..",
                        "javax.imageio..",
                        "javax.swing..")
                .because(
                        "Guice wires the application and picocli parses its command line, both in flow-cli; the "
                                + "library, its plugins and the conformance kit stay plain Java that any application can embed");
        rule.check(classes);
    }

    @Test
    void of_third_party_code_flow_layers_uses_jackson_core_alone() {
        ArchRule rule = noClasses()
                .that()
                .resideInAPackage("org.flows4j.layers..")
                .should()
                .dependOnClassesThat(DescribedPredicate.not(
                        new DescribedPredicate<JavaClass>(
                                "in java.base, org.flows4j.api, org.flows4j.layers or tools.jackson.core") {
                            @Override
                            public boolean test(JavaClass c) {
                                JavaClass base = c.isArray() ? c.getBaseComponentType() : c;
                                String p = base.getPackageName();
                                return base.isPrimitive()
                                        || JAVA_BASE_PACKAGES.contains(p)
                                        || p.startsWith("org.flows4j.api")
                                        || p.startsWith("org.flows4j.layers")
                                        || p.startsWith("tools.jackson.core");
                            }
                        }))
                .because("the one allowed edge out of the library: checkpoint headers are JSON, read and written "
                        + "with Jackson 3's streaming core, a small library fuzzed upstream whose packages cannot "
                        + "clash with the Jackson 2 that Spark brings");
        rule.check(classes);
    }

    @Test
    void jackson_is_used_by_the_checkpoint_io_and_the_command_only_and_never_databind() {
        noClasses()
                .that()
                .resideOutsideOfPackages("org.flows4j.layers.io..", "org.flows4j.cli..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("tools.jackson..")
                .because("JSON is the checkpoint header's format (flow-layers' io) and the command's --json output; "
                        + "everything else goes through them")
                .check(classes);
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("tools.jackson.databind..", "com.fasterxml.jackson..")
                .because("the streaming core alone: no databind and no Jackson 2, whose packages Spark also brings")
                .check(classes);
    }

    @Test
    void only_the_command_depends_on_the_command() {
        ArchRule rule = noClasses()
                .that()
                .resideOutsideOfPackage("org.flows4j.cli..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.flows4j.cli..")
                .because("arrows point one way, api <- layers <- zoo <- cli: nothing of the library reaches up to "
                        + "the application");
        rule.check(classes);
    }

    @Test
    void the_spark_adapter_uses_the_library_and_never_names_a_backend() {
        ArchRule rule = noClasses()
                .that()
                .resideInAPackage("org.flows4j.spark..")
                .should()
                .dependOnClassesThat(DescribedPredicate.and(
                        JavaClass.Predicates.resideInAPackage("org.flows4j.."),
                        DescribedPredicate.not(JavaClass.Predicates.resideInAnyPackage(
                                "org.flows4j.api..",
                                "org.flows4j.layers..",
                                "org.flows4j.zoo..",
                                "org.flows4j.spark.."))))
                .because("flow-spark runs the library on Spark: executors get a backend by name through discovery, "
                        + "and the command is an application of its own");
        rule.check(classes);
    }

    @Test
    void the_zoo_depends_on_api_and_layers_only() {
        ArchRule rule = noClasses()
                .that()
                .resideInAPackage("org.flows4j.zoo..")
                .should()
                .dependOnClassesThat(DescribedPredicate.and(
                        JavaClass.Predicates.resideInAPackage("org.flows4j.."),
                        DescribedPredicate.not(JavaClass.Predicates.resideInAnyPackage(
                                "org.flows4j.api..", "org.flows4j.layers..", "org.flows4j.zoo.."))))
                .because("flow-zoo is a library over flow-api and flow-layers; the kit and the command build on it");
        rule.check(classes);
    }

    @Test
    void no_package_cycles() {
        ArchRule rule = slices().matching("org.flows4j.(**)")
                .should()
                .beFreeOfCycles()
                .because("packages form layers: a cycle means two packages can only be understood together");
        rule.check(classes);
    }
}
