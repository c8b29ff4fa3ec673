package org.flows4j.cli.inject;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.ProvisionException;
import java.util.List;
import org.flows4j.zoo.Zoo;
import org.junit.jupiter.api.Test;

class ZooModuleTest {

    @Test
    void binds_one_discovered_registry_per_injector() {
        Injector injector = Guice.createInjector(new ZooModule());
        Zoo zoo = injector.getInstance(Zoo.class);
        assertEquals(
                List.of("glow", "maf", "nice", "nsf", "realnvp", "toy"),
                List.copyOf(zoo.models().keySet()),
                "the built-ins and the zoo's test plugin");
        assertSame(zoo, injector.getInstance(Zoo.class), "one registry per injector");
    }

    @Test
    void a_registry_that_cannot_be_built_fails_the_injection_with_its_reason() {
        Injector injector = Guice.createInjector(new ZooModule(() -> {
            throw new IllegalArgumentException("two model family factories are named 'realnvp'");
        }));
        ProvisionException e = assertThrows(ProvisionException.class, () -> injector.getInstance(Zoo.class));
        assertTrue(e.getMessage().contains("'realnvp'"), e.getMessage());
    }
}
