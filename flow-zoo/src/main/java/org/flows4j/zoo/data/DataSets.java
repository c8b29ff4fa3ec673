package org.flows4j.zoo.data;

import java.util.ArrayList;
import java.util.List;

/**
 * The zoo's built-in data set families, for whoever registers them (the zoo's Guice module binds
 * each under its {@link DatasetFactory#name()}):
 * <ul>
 *   <li>{@code mnist}, {@code fashion-mnist}: {@link IdxImagesFactory}</li>
 *   <li>{@code two-moons}, {@code 8gaussians}, {@code checkerboard}, {@code rings},
 *       {@code spirals}: {@link TwoDimensionalFactory}</li>
 *   <li>{@code csv}: {@link CsvFactory}</li>
 * </ul>
 * The factories are immutable, so one instance may serve concurrent loads; the data sets they
 * return are immutable too.
 */
public final class DataSets {

    private DataSets() {}

    /**
     * A new instance of every built-in factory, names unique, in the order above.
     *
     * @return an immutable list of new factories, in the order above
     */
    public static List<DatasetFactory> builtIn() {
        List<DatasetFactory> all = new ArrayList<>();
        all.add(IdxImagesFactory.mnist());
        all.add(IdxImagesFactory.fashionMnist());
        all.addAll(TwoDimensionalFactory.all());
        all.add(new CsvFactory());
        return List.copyOf(all);
    }
}
