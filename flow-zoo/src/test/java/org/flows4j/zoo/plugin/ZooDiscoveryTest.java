package org.flows4j.zoo.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.DataSets;
import org.flows4j.zoo.models.ModelSpec;
import org.flows4j.zoo.models.RealNvpFactory;
import org.junit.jupiter.api.Test;

class ZooDiscoveryTest {

    @Test
    void the_built_in_registry_holds_the_models_and_data_sets_by_name() {
        Zoo zoo = Zoo.builtIn();
        assertEquals(
                List.of("glow", "maf", "nice", "nsf", "realnvp"),
                List.copyOf(zoo.models().keySet()));
        for (String d : List.of(
                "two-moons", "8gaussians", "checkerboard", "rings", "spirals", "mnist", "fashion-mnist", "csv")) {
            assertTrue(
                    zoo.datasets().containsKey(d), d + " in " + zoo.datasets().keySet());
        }
        zoo.models().forEach((name, f) -> assertEquals(name, f.family(), "keyed by its own family name"));
        zoo.datasets().forEach((name, f) -> assertEquals(name, f.name(), "keyed by its own name"));
        assertEquals("realnvp:2d", zoo.complete(ModelSpec.parse("realnvp")).toString());
        assertFalse(zoo.models().containsKey(ToyPlugin.MODEL), "no plugin in the built-in registry");
    }

    @Test
    void plugins_found_by_the_service_loader_add_their_model_and_data_set() {
        Zoo zoo = Zoo.discover();
        assertTrue(
                zoo.models().containsKey(ToyPlugin.MODEL),
                "plugin model in " + zoo.models().keySet());
        assertTrue(zoo.models().containsKey("realnvp"), "built-ins stay");
        assertTrue(
                zoo.datasets().containsKey(ToyPlugin.DATA),
                "plugin data set in " + zoo.datasets().keySet());
        assertEquals("toy:tiny", zoo.complete(ModelSpec.parse("toy")).toString());
    }

    @Test
    void a_plugin_that_reuses_a_built_in_name_fails_naming_both_classes() {
        ToyPlugin.ToyModel clash = new ToyPlugin.ToyModel() {
            @Override
            public String family() {
                return "realnvp";
            }
        };
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> Zoo.of(List.of(new RealNvpFactory(), clash), DataSets.builtIn()));
        assertTrue(
                e.getMessage().contains("'realnvp'") && e.getMessage().contains(RealNvpFactory.class.getName()),
                e.getMessage());
    }

    @Test
    void an_unknown_family_lists_the_known_ones() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Zoo.builtIn().model(ModelSpec.parse("ffjord")));
        assertTrue(e.getMessage().contains("glow, maf, nice, nsf, realnvp"), e.getMessage());
    }
}
