package org.flows4j.zoo.data;

/**
 * Loads or generates the data sets of one family, by name: {@code two-moons},
 * {@code fashion-mnist}, {@code csv}. Registered in the zoo's Guice map of data sets; a plugin
 * adds its own through a contributed Guice module.
 *
 * <p>Implemented by the zoo and by plugins.
 */
public interface DatasetFactory {

    /**
     * The family name: the part of a spec before the first ':' ({@code csv} in {@code csv:/data/x.csv}).
     *
     * @return the family name, lower case, unique in a {@code Zoo}
     */
    String name();

    /**
     * One line for help output.
     *
     * @return a one-line description of the family for help output
     */
    String description();

    /**
     * Whether the family reads files from a directory ({@link DataRequest#dataDir()}), as
     * {@code mnist} and {@code fashion-mnist} do (and {@code csv:PATH}, whose relative path
     * resolves against it); a generated family does not, and a directory given for it is a
     * mistake the command refuses rather than ignores. Plugins that read a directory override this; the default is
     * {@code true}, so a plugin written before this method existed keeps working.
     *
     * @return whether {@link DataRequest#dataDir()} is used; {@code true} unless overridden
     */
    default boolean readsDataDirectory() {
        return true;
    }

    /**
     * Loads the data set the request names.
     *
     * @param request the spec, data directory, seed and sample limit
     * @return the data set, with its three splits held on the host
     * @throws DataException when a file is missing, truncated or malformed, saying which and why
     */
    Dataset load(DataRequest request);
}
