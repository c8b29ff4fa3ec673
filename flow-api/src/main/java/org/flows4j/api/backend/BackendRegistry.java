package org.flows4j.api.backend;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * Discovers backend providers and selects one, predictably and loudly.
 *
 * <p>Selection: an explicit name wins (an argument, else the system property
 * {@value #PROPERTY}, else the environment variable {@value #ENVIRONMENT}); an unknown name
 * fails listing every provider found. Without a name, providers are tried from the highest
 * priority down and the first that creates successfully is used; each one that fails is
 * logged as a warning and never hides the others. A provider that cannot even be loaded
 * ({@link ServiceConfigurationError}, {@link LinkageError}) is skipped with a warning. Two
 * providers with one name are an error, since which one wins would depend on the class path.
 *
 * <p>{@link Backends} is the static front door over the {@link ServiceLoader}; this class
 * also takes any iterable of providers, which plugin authors can use in tests.
 */
public final class BackendRegistry {

    /** The system property that names the backend to use. */
    public static final String PROPERTY = "flows4j.backend";
    /** The environment variable that names the backend to use, read after {@link #PROPERTY}. */
    public static final String ENVIRONMENT = "FLOWS4J_BACKEND";

    private static final System.Logger LOG = System.getLogger(BackendRegistry.class.getName());

    private final List<BackendProvider> providers;
    private final List<BackendInfo> broken;

    private BackendRegistry(List<BackendProvider> providers, List<BackendInfo> broken) {
        this.providers = providers;
        this.broken = broken;
    }

    /**
     * The providers that {@link ServiceLoader} finds on the module path and the class path.
     *
     * @return a new registry of the providers found now
     */
    public static BackendRegistry fromServiceLoader() {
        return of(ServiceLoader.load(BackendProvider.class));
    }

    /**
     * The providers an iterable yields. An element whose loading throws
     * {@link ServiceConfigurationError} or {@link LinkageError} is recorded as broken and
     * skipped; iteration continues with the next.
     *
     * @param source the providers, for example a {@link ServiceLoader} or a list in a test
     * @return a registry of the providers that loaded
     */
    public static BackendRegistry of(Iterable<? extends BackendProvider> source) {
        List<BackendProvider> found = new ArrayList<>();
        List<BackendInfo> broken = new ArrayList<>();
        Iterator<? extends BackendProvider> it = source.iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                found.add(it.next());
            } catch (ServiceConfigurationError | LinkageError e) {
                LOG.log(Level.WARNING, "skipping a backend provider that could not be loaded: " + e);
                broken.add(new BackendInfo(describe(e), Integer.MIN_VALUE, "failed to load", false, String.valueOf(e)));
                if (broken.size() > 1000) {
                    break; // an iterator that fails forever must not hang discovery
                }
            }
        }
        return new BackendRegistry(List.copyOf(found), List.copyOf(broken));
    }

    private static String describe(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int colon = m.indexOf(':');
        return colon > 0
                ? m.substring(colon + 1).trim().split("\\s", 2)[0]
                : e.getClass().getSimpleName();
    }

    /**
     * Every provider found, highest priority first, then the ones that failed to load.
     *
     * @return a new list; a provider that is unavailable, fails its availability check or shares
     *     its name with another is listed as unavailable with the reason
     */
    public List<BackendInfo> list() {
        List<BackendInfo> out = new ArrayList<>();
        for (BackendProvider p : sorted()) {
            boolean available;
            String problem = null;
            try {
                available = p.isAvailable();
                if (!available) {
                    problem = "its classes are not present";
                }
            } catch (RuntimeException | LinkageError e) {
                available = false;
                problem = String.valueOf(e);
            }
            if (duplicates().containsKey(p.name())) {
                available = false;
                problem = "another provider has the same name";
            }
            out.add(new BackendInfo(p.name(), p.priority(), p.description(), available, problem));
        }
        out.addAll(broken);
        return out;
    }

    /**
     * The name that {@link #PROPERTY} or {@link #ENVIRONMENT} requests, or {@code null}.
     *
     * @return the trimmed name, or {@code null} when neither is set or both are blank
     */
    public static String requestedName() {
        String name = System.getProperty(PROPERTY);
        if (name == null || name.isBlank()) {
            name = System.getenv(ENVIRONMENT);
        }
        return name == null || name.isBlank() ? null : name.trim();
    }

    /**
     * Creates the backend named by {@link #requestedName()}, or else the highest-priority
     * one that creates successfully, with the given options.
     *
     * @param options the options to create it with
     * @return a new backend, which the caller owns and closes
     * @throws BackendException if the requested backend cannot be created, if none can, or if two
     *     providers share a name
     */
    public Backend create(BackendOptions options) {
        String requested = requestedName();
        return requested != null ? create(requested, options) : createByPriority(options);
    }

    /**
     * Creates the backend called {@code name}, failing with the list of what was found if there is none.
     *
     * @param name the provider's name, case-insensitive; null or blank selects as
     *     {@link #create(BackendOptions)}
     * @param options the options to create it with
     * @return a new backend, which the caller owns and closes
     * @throws BackendException if there is no such backend, it is unavailable or fails to start, or
     *     two providers share a name
     */
    public Backend create(String name, BackendOptions options) {
        if (name == null || name.isBlank()) {
            return create(options);
        }
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        failOnDuplicates();
        for (BackendProvider p : providers) {
            if (p.name().equals(wanted)) {
                if (!safeAvailable(p)) {
                    throw new BackendException("backend '" + wanted + "' was found but is not available: "
                            + "its classes are not present; found: " + summary());
                }
                try {
                    return p.create(options);
                } catch (BackendException e) {
                    throw e;
                } catch (RuntimeException | LinkageError e) {
                    throw new BackendException("backend '" + wanted + "' failed to start: " + e, e);
                }
            }
        }
        throw new BackendException("no backend named '" + name + "'; found: " + summary());
    }

    private Backend createByPriority(BackendOptions options) {
        failOnDuplicates();
        List<String> failures = new ArrayList<>();
        for (BackendProvider p : sorted()) {
            if (!safeAvailable(p)) {
                failures.add(p.name() + ": not available");
                continue;
            }
            try {
                return p.create(options);
            } catch (RuntimeException | LinkageError e) {
                LOG.log(Level.WARNING, "backend '" + p.name() + "' failed to start, trying the next one: " + e);
                failures.add(p.name() + ": " + e.getMessage());
            }
        }
        for (BackendInfo b : broken) {
            failures.add(b.name() + ": " + b.problem());
        }
        throw new BackendException(
                failures.isEmpty()
                        ? "no backend found: put backend-cpu (or another flows4j backend) on the module path or class path"
                        : "no backend could be started: " + String.join("; ", failures));
    }

    private static boolean safeAvailable(BackendProvider p) {
        try {
            return p.isAvailable();
        } catch (RuntimeException | LinkageError e) {
            LOG.log(Level.WARNING, "backend '" + p.name() + "' failed its availability check: " + e);
            return false;
        }
    }

    private List<BackendProvider> sorted() {
        List<BackendProvider> s = new ArrayList<>(providers);
        s.sort(Comparator.comparingInt(BackendProvider::priority).reversed().thenComparing(BackendProvider::name));
        return s;
    }

    private Map<String, List<BackendProvider>> duplicates() {
        Map<String, List<BackendProvider>> byName = new LinkedHashMap<>();
        for (BackendProvider p : providers) {
            byName.computeIfAbsent(p.name(), k -> new ArrayList<>()).add(p);
        }
        byName.values().removeIf(l -> l.size() < 2);
        return byName;
    }

    private void failOnDuplicates() {
        Map<String, List<BackendProvider>> dup = duplicates();
        if (!dup.isEmpty()) {
            String detail = dup.entrySet().stream()
                    .map(e -> "'" + e.getKey() + "' by "
                            + e.getValue().stream()
                                    .map(p -> p.getClass().getName())
                                    .collect(Collectors.joining(" and ")))
                    .collect(Collectors.joining("; "));
            throw new BackendException("two backend providers have the same name: " + detail
                    + "; remove one of them from the module path or class path");
        }
    }

    private String summary() {
        List<BackendInfo> all = list();
        if (all.isEmpty()) {
            return "none (put backend-cpu or another flows4j backend on the module path or class path)";
        }
        return all.stream()
                .map(b -> b.name() + " (priority " + (b.priority() == Integer.MIN_VALUE ? "?" : b.priority())
                        + (b.available() ? ", available" : ", unavailable: " + b.problem()) + ")")
                .collect(Collectors.joining(", "));
    }
}
