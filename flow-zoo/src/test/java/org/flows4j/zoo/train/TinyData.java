package org.flows4j.zoo.train;

import java.util.List;
import org.flows4j.api.Shape;
import org.flows4j.api.random.RandomSource;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;

/** A small data set made in the test: the zoo's own factories are tested in their package. */
public record TinyData(String name, Shape eventShape, Kind kind, DataSplit train, DataSplit validation, DataSplit test)
        implements Dataset {

    @Override
    public List<String> labelNames() {
        return List.of();
    }

    /** Two Gaussian blobs in 2-D: a density a flow learns in a few dozen steps. */
    public static TinyData blobs(int n, long seed) {
        RandomSource r = RandomSource.seeded(seed);
        Shape e = Shape.of(2);
        return new TinyData("blobs", e, Kind.CONTINUOUS, split(e, n, r), split(e, n / 4, r), split(e, n / 4, r));
    }

    private static DataSplit split(Shape e, int n, RandomSource r) {
        double[] z = r.normal(2 * n);
        float[] v = new float[2 * n];
        for (int i = 0; i < n; i++) {
            double centre = i % 2 == 0 ? -2 : 2;
            v[2 * i] = (float) (centre + 0.3 * z[2 * i]);
            v[2 * i + 1] = (float) (0.5 * centre + 0.3 * z[2 * i + 1]);
        }
        return new DataSplit(e, v, null);
    }

    /** Random 8-bit images of {@code shape}: integers 0..255 with a smooth gradient so they are not pure noise. */
    public static TinyData images(Shape shape, int n, long seed) {
        RandomSource r = RandomSource.seeded(seed);
        return new TinyData(
                "tiny-images", shape, Kind.IMAGE_8BIT, pixels(shape, n, r), pixels(shape, 8, r), pixels(shape, 8, r));
    }

    private static DataSplit pixels(Shape shape, int n, RandomSource r) {
        int per = shape.size();
        float[] v = new float[n * per];
        for (int i = 0; i < n; i++) {
            int base = r.nextInt(128);
            for (int k = 0; k < per; k++) {
                v[i * per + k] = Math.min(255, base + (k * 97) % 64 + r.nextInt(32));
            }
        }
        return new DataSplit(shape, v, null);
    }
}
