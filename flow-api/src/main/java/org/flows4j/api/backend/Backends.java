package org.flows4j.api.backend;

import java.util.List;

/**
 * The front door to backend discovery: every call looks the providers up again through
 * {@link java.util.ServiceLoader}, so nothing is discovered in a static initializer.
 * See {@link BackendRegistry} for the selection rules.
 *
 * <pre>{@code
 * try (Backend backend = Backends.create()) {          // flows4j.backend, FLOWS4J_BACKEND, or priority
 *     ...
 * }
 * Backend cpu = Backends.create("cpu", BackendOptions.defaults().withThreads(2));
 * }</pre>
 */
public final class Backends {

    private Backends() {}

    /**
     * Every discovered provider, highest priority first.
     *
     * @return one entry per provider, then one per provider that failed to load; see
     *     {@link BackendRegistry#list()}
     */
    public static List<BackendInfo> list() {
        return BackendRegistry.fromServiceLoader().list();
    }

    /**
     * The requested backend, else the highest-priority one that starts, with default options.
     *
     * @return a new backend, which the caller owns and closes
     * @throws BackendException if the requested backend cannot be created, or none can
     */
    public static Backend create() {
        return BackendRegistry.fromServiceLoader().create(BackendOptions.defaults());
    }

    /**
     * The requested backend, else the highest-priority one that starts.
     *
     * @param options the options to create it with
     * @return a new backend, which the caller owns and closes
     * @throws BackendException if the requested backend cannot be created, or none can
     */
    public static Backend create(BackendOptions options) {
        return BackendRegistry.fromServiceLoader().create(options);
    }

    /**
     * The backend called {@code name}, with default options.
     *
     * @param name the provider's name, case-insensitive; null or blank selects as {@link #create()}
     * @return a new backend, which the caller owns and closes
     * @throws BackendException if there is no such backend or it fails to start
     */
    public static Backend create(String name) {
        return BackendRegistry.fromServiceLoader().create(name, BackendOptions.defaults());
    }

    /**
     * The backend called {@code name}.
     *
     * @param name the provider's name, case-insensitive; null or blank selects as
     *     {@link #create(BackendOptions)}
     * @param options the options to create it with
     * @return a new backend, which the caller owns and closes
     * @throws BackendException if there is no such backend or it fails to start
     */
    public static Backend create(String name, BackendOptions options) {
        return BackendRegistry.fromServiceLoader().create(name, options);
    }
}
