package org.flows4j.api.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.ServiceConfigurationError;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BackendRegistryTest {

    /** A provider whose backend is a proxy answering only name() and options(). */
    private record FakeProvider(String name, int priority, boolean available, RuntimeException failure)
            implements BackendProvider {

        static FakeProvider ok(String name, int priority) {
            return new FakeProvider(name, priority, true, null);
        }

        @Override
        public boolean isAvailable() {
            return available;
        }

        @Override
        public Backend create(BackendOptions options) {
            if (failure != null) {
                throw failure;
            }
            return (Backend) Proxy.newProxyInstance(
                    Backend.class.getClassLoader(),
                    new Class<?>[] {Backend.class},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "name" -> name;
                        case "options" -> options;
                        case "toString" -> "fake " + name;
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> null;
                    });
        }
    }

    /** Yields the given items; an item that is an Error is thrown from next() instead, as ServiceLoader does. */
    private static Iterable<BackendProvider> source(Object... items) {
        return () -> new Iterator<>() {
            private int i;

            @Override
            public boolean hasNext() {
                return i < items.length;
            }

            @Override
            public BackendProvider next() {
                if (i >= items.length) {
                    throw new NoSuchElementException();
                }
                Object item = items[i++];
                if (item instanceof Error e) {
                    throw e;
                }
                return (BackendProvider) item;
            }
        };
    }

    @AfterEach
    void clearProperty() {
        System.clearProperty(BackendRegistry.PROPERTY);
    }

    @Test
    void picksTheHighestPriorityThatStarts() {
        BackendRegistry r = BackendRegistry.of(
                source(FakeProvider.ok("cpu", 10), FakeProvider.ok("djl", 30), FakeProvider.ok("nd4j", 20)));
        assertEquals("djl", r.create(BackendOptions.defaults()).name());
        assertEquals(
                List.of("djl", "nd4j", "cpu"),
                r.list().stream().map(BackendInfo::name).toList());
    }

    @Test
    void aProviderThatFailsToStartDoesNotHideTheOthers() {
        BackendRegistry r = BackendRegistry.of(source(
                FakeProvider.ok("cpu", 10),
                new FakeProvider("djl", 30, true, new BackendException("libtorch could not be loaded")),
                new FakeProvider("nd4j", 20, false, null)));
        assertEquals("cpu", r.create(BackendOptions.defaults()).name());
    }

    @Test
    void aProviderThatCannotBeLoadedIsSkippedAndListed() {
        BackendRegistry r = BackendRegistry.of(source(
                new ServiceConfigurationError(
                        "org.flows4j.api.backend.BackendProvider: com.example.Broken could not be instantiated"),
                FakeProvider.ok("cpu", 10),
                new NoClassDefFoundError("org/nd4j/linalg/factory/Nd4j")));
        assertEquals("cpu", r.create(BackendOptions.defaults()).name());
        List<BackendInfo> infos = r.list();
        assertEquals(3, infos.size());
        assertTrue(
                infos.get(1).problem().contains("com.example.Broken"),
                infos.get(1).toString());
        assertFalse(infos.get(2).available());
    }

    @Test
    void anUnknownNameFailsListingWhatWasFound() {
        BackendRegistry r =
                BackendRegistry.of(source(FakeProvider.ok("cpu", 10), new FakeProvider("nd4j", 20, false, null)));
        BackendException e = assertThrows(BackendException.class, () -> r.create("tpu", BackendOptions.defaults()));
        assertEquals(
                "no backend named 'tpu'; found: nd4j (priority 20, unavailable: its classes are not present), "
                        + "cpu (priority 10, available)",
                e.getMessage());
    }

    @Test
    void anExplicitNameWinsOverPriorityAndIsCaseInsensitive() {
        BackendRegistry r = BackendRegistry.of(source(FakeProvider.ok("cpu", 10), FakeProvider.ok("djl", 30)));
        assertEquals("cpu", r.create(" CPU ", BackendOptions.defaults()).name());
    }

    @Test
    void theSystemPropertySelects() {
        BackendRegistry r = BackendRegistry.of(source(FakeProvider.ok("cpu", 10), FakeProvider.ok("djl", 30)));
        System.setProperty(BackendRegistry.PROPERTY, "cpu");
        assertEquals("cpu", r.create(BackendOptions.defaults()).name());
        System.setProperty(BackendRegistry.PROPERTY, "nope");
        BackendException e = assertThrows(BackendException.class, () -> r.create(BackendOptions.defaults()));
        assertTrue(e.getMessage().startsWith("no backend named 'nope'"), e.getMessage());
    }

    @Test
    void twoProvidersWithOneNameAreAnError() {
        BackendRegistry r = BackendRegistry.of(source(FakeProvider.ok("cpu", 10), FakeProvider.ok("cpu", 15)));
        BackendException e = assertThrows(BackendException.class, () -> r.create(BackendOptions.defaults()));
        assertTrue(e.getMessage().startsWith("two backend providers have the same name: 'cpu' by "), e.getMessage());
        assertTrue(e.getMessage().contains("remove one"), e.getMessage());
        assertThrows(BackendException.class, () -> r.create("cpu", BackendOptions.defaults()));
        assertTrue(r.list().stream().noneMatch(BackendInfo::available));
    }

    @Test
    void anExplicitlyNamedProviderThatFailsSaysWhy() {
        BackendRegistry r = BackendRegistry.of(
                source(new FakeProvider("djl", 30, true, new IllegalStateException("no libtorch for this platform"))));
        BackendException e = assertThrows(BackendException.class, () -> r.create("djl", BackendOptions.defaults()));
        assertEquals(
                "backend 'djl' failed to start: java.lang.IllegalStateException: no libtorch for this platform",
                e.getMessage());
    }

    @Test
    void nothingFoundSaysWhatToAdd() {
        BackendException e = assertThrows(
                BackendException.class, () -> BackendRegistry.of(source()).create(BackendOptions.defaults()));
        assertTrue(e.getMessage().contains("backend-cpu"), e.getMessage());
        BackendException all = assertThrows(
                BackendException.class,
                () -> BackendRegistry.of(
                                source(new FakeProvider("djl", 30, true, new BackendException("native load failed"))))
                        .create(BackendOptions.defaults()));
        assertEquals("no backend could be started: djl: native load failed", all.getMessage());
    }

    @Test
    void optionsValidate() {
        assertThrows(
                IllegalArgumentException.class, () -> BackendOptions.defaults().withThreads(0));
        BackendOptions o = BackendOptions.defaults().withThreads(3).withProperty("cache", "/tmp/x");
        assertEquals(3, o.threads());
        assertEquals("/tmp/x", o.property("cache", null));
        assertEquals("d", o.property("missing", "d"));
    }
}
