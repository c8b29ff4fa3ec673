package org.flows4j.zoo.data;

import java.nio.file.Path;

/**
 * What to load: the spec as the user wrote it ({@code two-moons}, {@code csv:/data/x.csv}),
 * the directory to read files from (null for the family's default), the seed for generated
 * data and splits, and a cap on training samples (0 for all).
 *
 * @param spec the data set spec
 * @param dataDir where to read files, or null for the default location
 * @param seed the seed of generated data and of the split
 * @param limit at most this many training samples (0: no limit), for quick runs and tests
 */
public record DataRequest(String spec, Path dataDir, long seed, int limit) {

    /**
     * The part of the spec after the first ':', or empty.
     *
     * @return what follows the first ':' ({@code /data/x.csv} in {@code csv:/data/x.csv}), or {@code ""} when
     *     the spec has no ':'
     */
    public String argument() {
        int i = spec.indexOf(':');
        return i < 0 ? "" : spec.substring(i + 1);
    }

    /**
     * The part of the spec before the first ':'.
     *
     * @return the family name that selects the {@link DatasetFactory}; the whole spec when it has no ':'
     */
    public String family() {
        int i = spec.indexOf(':');
        return i < 0 ? spec : spec.substring(0, i);
    }
}
