package org.flows4j.backend.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import org.flows4j.api.backend.BackendProvider;
import org.junit.jupiter.api.Test;

/**
 * The backend as a JPMS module, as {@code java -p ... -m} runs it: flow-api, backend-support and
 * this module in a module layer of their own, ND4J on the class path. The provider must be found through the
 * module descriptor's {@code provides}, and creating the backend must give the named module
 * its read edge to ND4J (otherwise the first ND4J call fails with IllegalAccessError).
 */
class ModuleDiscoveryTest {

    @Test
    void the_module_provides_the_backend_and_reaches_nd4j_on_the_class_path() throws Exception {
        Path api = Path.of(BackendProvider.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        Path self = Path.of(Nd4jBackendProvider.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        Path support = Path.of(org.flows4j.backend.support.DirectAdam.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        ModuleFinder finder = ModuleFinder.of(api, support, self);
        ModuleLayer boot = ModuleLayer.boot();
        Configuration cf =
                boot.configuration().resolveAndBind(finder, ModuleFinder.of(), Set.of("org.flows4j.backend.nd4j"));
        // the parent is the application loader, which sees ND4J's jars on the class path
        ModuleLayer layer = boot.defineModulesWithOneLoader(cf, ClassLoader.getSystemClassLoader());

        ModuleDescriptor descriptor =
                layer.findModule("org.flows4j.backend.nd4j").orElseThrow().getDescriptor();
        assertTrue(descriptor.exports().isEmpty(), "exports nothing: " + descriptor.exports());

        ClassLoader loader = layer.findLoader("org.flows4j.api");
        Class<?> service = loader.loadClass(BackendProvider.class.getName());
        List<Object> found = new ArrayList<>();
        ServiceLoader.load(layer, service).forEach(found::add);
        assertEquals(1, found.size(), found.toString());
        Object provider = found.get(0);
        assertTrue(provider.getClass().getModule().isNamed());
        assertEquals("nd4j", service.getMethod("name").invoke(provider));
        assertEquals(true, service.getMethod("isAvailable").invoke(provider));

        Class<?> optionsType = loader.loadClass("org.flows4j.api.backend.BackendOptions");
        Object options = optionsType.getMethod("defaults").invoke(null);
        Object backend = service.getMethod("create", optionsType).invoke(provider, options);
        Class<?> backendType = loader.loadClass("org.flows4j.api.backend.Backend");
        Class<?> shapeType = loader.loadClass("org.flows4j.api.Shape");
        Class<?> dtypeType = loader.loadClass("org.flows4j.api.DType");
        try {
            Object shape = shapeType.getMethod("of", int[].class).invoke(null, (Object) new int[] {2});
            Object float64 = dtypeType.getField("FLOAT64").get(null);
            Object storage = backendType
                    .getMethod("full", shapeType, dtypeType, double.class)
                    .invoke(backend, shape, float64, 2.5);
            Class<?> storageType = loader.loadClass("org.flows4j.api.backend.Storage");
            assertArrayEquals(new double[] {2.5, 2.5}, (double[])
                    backendType.getMethod("toDoubles", storageType).invoke(backend, storage));
        } finally {
            backendType.getMethod("close").invoke(backend);
        }
    }
}
