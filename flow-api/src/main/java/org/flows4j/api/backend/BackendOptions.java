package org.flows4j.api.backend;

import java.util.Map;
import java.util.TreeMap;

/**
 * How to create a backend: the number of compute threads, the device and free-form
 * backend-specific properties.
 *
 * @param threads compute threads, {@code >= 1}
 * @param device the device name, {@code cpu} unless a backend offers others
 * @param properties backend-specific settings (for example a native cache directory)
 */
public record BackendOptions(int threads, String device, Map<String, String> properties) {

    /**
     * Validates and copies.
     *
     * @param threads compute threads, {@code >= 1}
     * @param device the device name, not blank
     * @param properties backend-specific settings, copied into an immutable map; no null keys or values
     * @throws IllegalArgumentException if {@code threads < 1} or {@code device} is null or blank
     * @throws NullPointerException if {@code properties} is null or holds a null key or value
     */
    public BackendOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("backend threads must be >= 1, got " + threads);
        }
        if (device == null || device.isBlank()) {
            throw new IllegalArgumentException("backend device must be named");
        }
        properties = Map.copyOf(properties);
    }

    /**
     * One thread per available processor, device {@code cpu}, no properties.
     *
     * @return the default options
     */
    public static BackendOptions defaults() {
        return new BackendOptions(Runtime.getRuntime().availableProcessors(), "cpu", Map.of());
    }

    /**
     * These options with another thread count.
     *
     * @param n compute threads, {@code >= 1}
     * @return new options; these are unchanged
     */
    public BackendOptions withThreads(int n) {
        return new BackendOptions(n, device, properties);
    }

    /**
     * These options with another device.
     *
     * @param name the device name, not blank
     * @return new options; these are unchanged
     */
    public BackendOptions withDevice(String name) {
        return new BackendOptions(threads, name, properties);
    }

    /**
     * These options with one more property.
     *
     * @param key the property name; an existing value for it is replaced
     * @param value the property value, not null
     * @return new options; these are unchanged
     */
    public BackendOptions withProperty(String key, String value) {
        Map<String, String> p = new TreeMap<>(properties);
        p.put(key, value);
        return new BackendOptions(threads, device, p);
    }

    /**
     * A property, or {@code fallback} when it is not set.
     *
     * @param key the property name
     * @param fallback what to return when {@code key} is not set; may be null
     * @return the property's value, or {@code fallback}
     */
    public String property(String key, String fallback) {
        return properties.getOrDefault(key, fallback);
    }
}
