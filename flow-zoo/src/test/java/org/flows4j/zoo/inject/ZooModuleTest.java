package org.flows4j.zoo.inject;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.CreationException;
import com.google.inject.Guice;
import com.google.inject.Injector;
import java.util.List;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.models.ModelSpec;
import org.junit.jupiter.api.Test;

class ZooModuleTest {

    @Test
    void binds_the_built_in_models_and_data_sets_by_name() {
        Zoo zoo = Guice.createInjector(new ZooModule(List.of())).getInstance(Zoo.class);
        assertEquals(List.of("glow", "nice", "realnvp"), List.copyOf(zoo.models().keySet()));
        for (String d : List.of("two-moons", "8gaussians", "checkerboard", "rings", "spirals", "mnist", "fashion-mnist",
                "csv")) {
            assertTrue(zoo.datasets().containsKey(d), d + " in " + zoo.datasets().keySet());
        }
        zoo.models().forEach((name, f) -> assertEquals(name, f.family(), "bound under its own family name"));
        zoo.datasets().forEach((name, f) -> assertEquals(name, f.name(), "bound under its own name"));
        assertEquals("realnvp:2d", zoo.complete(ModelSpec.parse("realnvp")).toString());
        assertFalse(zoo.models().containsKey(TestPlugin.MODEL), "no plugin when none is given");
    }

    @Test
    void a_plugin_found_by_the_service_loader_adds_its_model_and_data_set() {
        assertTrue(ZooModule.discoverPlugins().stream().anyMatch(p -> p instanceof TestPlugin),
                "META-INF/services in src/test/resources registers the test plugin");
        Injector injector = Guice.createInjector(new ZooModule());
        Zoo zoo = injector.getInstance(Zoo.class);
        assertTrue(zoo.models().containsKey(TestPlugin.MODEL), "plugin model in " + zoo.models().keySet());
        assertTrue(zoo.models().containsKey("realnvp"), "built-ins stay");
        assertTrue(zoo.datasets().containsKey(TestPlugin.DATA), "plugin data set in " + zoo.datasets().keySet());
        assertEquals("toy:tiny", zoo.complete(ModelSpec.parse("toy")).toString());
        assertSame(zoo, injector.getInstance(Zoo.class), "one registry per injector");
    }

    @Test
    void a_plugin_that_reuses_a_built_in_name_fails_loudly() {
        ZooPlugin clash = () -> binder -> ZooModule.models(binder).addBinding("realnvp")
                .toInstance(new TestPlugin.ToyModel());
        CreationException e = assertThrows(CreationException.class,
                () -> Guice.createInjector(new ZooModule(List.of(clash))).getInstance(Zoo.class));
        assertTrue(e.getMessage().contains("realnvp"), e.getMessage());
    }
}
