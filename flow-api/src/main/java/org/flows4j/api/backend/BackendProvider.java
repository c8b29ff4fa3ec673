package org.flows4j.api.backend;

/**
 * A cheap descriptor of a backend, found by {@link java.util.ServiceLoader}. Implemented by
 * backend plugins, which declare it with {@code provides org.flows4j.api.backend.BackendProvider
 * with ...} in their module-info and with the same line in
 * {@code META-INF/services/org.flows4j.api.backend.BackendProvider} for class-path users.
 *
 * <p>Constructing a provider and calling {@link #name}, {@link #priority} and
 * {@link #isAvailable} must be cheap and must not load native code: discovery calls them for
 * every provider. Heavy work happens in {@link #create}.
 */
public interface BackendProvider {

    /**
     * The unique, lower-case name users select it by, for example {@code cpu}.
     *
     * @return the name
     */
    String name();

    /**
     * The priority for automatic selection: the highest that creates successfully wins.
     * The project's backends use {@code cpu} 10, {@code nd4j} 20, {@code djl} 30.
     *
     * @return the priority; higher is tried first
     */
    int priority();

    /**
     * One line for listings, for example the engine and its version.
     *
     * @return the description; the default is {@link #name()}
     */
    default String description() {
        return name();
    }

    /**
     * Whether the classes this backend needs are present. Must not load native libraries.
     *
     * @return true if {@link #create} can be attempted
     */
    boolean isAvailable();

    /**
     * Creates a backend instance, loading native code if needed.
     *
     * @param options the thread count, device and backend-specific properties
     * @return a new backend, which the caller owns and closes
     * @throws BackendException when it cannot, saying why (a native library missing, an
     *     unsupported device or option)
     */
    Backend create(BackendOptions options);
}
