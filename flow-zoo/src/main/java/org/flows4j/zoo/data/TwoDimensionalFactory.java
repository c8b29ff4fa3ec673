package org.flows4j.zoo.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.flows4j.api.Shape;
import org.flows4j.api.random.RandomSource;

/**
 * The toy 2-D densities of the flow literature, generated from the request's seed: the
 * definitions and constants of FFJORD's {@code lib/toy_data.py} (Grathwohl et al. 2019), also
 * used by nflows and normflows examples. Each sample is drawn independently (FFJORD lays
 * {@code rings} and {@code moons} out on evenly spaced angles; drawing the angle uniformly gives
 * the same density, and i.i.d. samples are what a held-out likelihood assumes).
 *
 * <table>
 *   <caption>Densities; u ~ U[0,1), N(0,1) a standard normal, each draw independent</caption>
 *   <tr><th>name</th><th>definition</th><th>mean, spread</th></tr>
 *   <tr><td>{@code two-moons}</td>
 *       <td>scikit-learn's {@code make_moons(noise=0.1)}: with t = pi u, the upper moon
 *       (cos t, sin t) or the lower (1 - cos t, 0.5 - sin t) with probability 1/2 each, plus
 *       0.1 N(0,1) per coordinate; then, as FFJORD, scaled by 2 and shifted by (-1, -0.2)</td>
 *       <td>mean (0, 0.3); x in about [-3.2, 3.2]</td></tr>
 *   <tr><td>{@code 8gaussians}</td>
 *       <td>one of 8 centres 4 (cos k pi/4, sin k pi/4), k uniform in 0..7, plus 0.5 N(0,1) per
 *       coordinate, all divided by 1.414 (FFJORD's constant)</td>
 *       <td>centres at radius 2.83, std 0.354</td></tr>
 *   <tr><td>{@code checkerboard}</td>
 *       <td>x1 = 4u - 2; x2 = u' - 2b + (floor(x1) mod 2), b uniform in {0, 1}; then (x1, x2)
 *       times 2: uniform on the 8 black squares of side 2 of a 4 x 4 board on [-4, 4]^2</td>
 *       <td>mean (0, 0)</td></tr>
 *   <tr><td>{@code rings}</td>
 *       <td>one of 4 concentric circles of radius 0.75, 1.5, 2.25, 3 (FFJORD's 0.25 .. 1 times 3),
 *       uniformly, at a uniform angle, plus 0.08 N(0,1) per coordinate</td>
 *       <td>mean (0, 0); radii as listed</td></tr>
 *   <tr><td>{@code spirals}</td>
 *       <td>FFJORD's {@code 2spirals}: n = 3 pi sqrt(u) (540 degrees); p = (-n cos n + 0.5u',
 *       n sin n + 0.5u''); p or -p with probability 1/2 each, divided by 3, plus 0.1 N(0,1)
 *       per coordinate</td>
 *       <td>mean (0, 0); radius up to about 3.3</td></tr>
 * </table>
 *
 * <p>Samples: {@link Dataset.Kind#CONTINUOUS}, event shape {@code [2]}, no labels. Splits:
 * {@value #TRAIN_SIZE} training, {@value #VALIDATION_SIZE} validation and {@value #TEST_SIZE}
 * test samples, from three independent streams {@link RandomSource#split() split} in that order
 * from {@code RandomSource.seeded(seed)}. The same seed gives the same data on every JVM. A
 * {@link DataRequest#limit() limit} keeps that many training samples and shrinks the others in
 * proportion ({@link Splits}); as every sample consumes its own draws in order, a limited split
 * is a prefix of the full one.
 */
public final class TwoDimensionalFactory implements DatasetFactory {

    /** Training samples generated. */
    public static final int TRAIN_SIZE = 20000;

    /** Validation samples generated. */
    public static final int VALIDATION_SIZE = 2000;

    /** Test samples generated. */
    public static final int TEST_SIZE = 5000;

    /** The event shape: a point in the plane. */
    public static final Shape EVENT_SHAPE = Shape.of(2);

    /** The family names, in the order of {@link #all()}. */
    public static final List<String> NAMES = List.of("two-moons", "8gaussians", "checkerboard", "rings", "spirals");

    /** FFJORD divides the 8 Gaussians by 1.414, not by sqrt(2); kept so numbers compare. */
    private static final double EIGHT_GAUSSIANS_DIVISOR = 1.414;

    private static final double[][] EIGHT_CENTRES = eightCentres();

    private final String name;

    /**
     * @param name one of {@link #NAMES}
     * @throws IllegalArgumentException for another name, listing the known ones
     */
    public TwoDimensionalFactory(String name) {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException(
                    "unknown 2-D density '" + name + "'; known: " + String.join(", ", NAMES));
        }
        this.name = name;
    }

    /**
     * One factory per density, in the order of {@link #NAMES}.
     *
     * @return an immutable list of five new factories, one per name in {@link #NAMES}
     */
    public static List<TwoDimensionalFactory> all() {
        List<TwoDimensionalFactory> out = new ArrayList<>();
        for (String n : NAMES) {
            out.add(new TwoDimensionalFactory(n));
        }
        return List.copyOf(out);
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * No: generated from the seed.
     *
     * @return {@code false}
     */
    @Override
    public boolean readsDataDirectory() {
        return false;
    }

    @Override
    public String description() {
        return switch (name) {
            case "two-moons" ->
                "2-D: two interleaved half circles (scikit-learn make_moons, noise 0.1, FFJORD scaling)";
            case "8gaussians" -> "2-D: mixture of 8 Gaussians on a circle of radius 2.83, std 0.354";
            case "checkerboard" -> "2-D: uniform on the black squares of a 4x4 checkerboard on [-4, 4]^2";
            case "rings" -> "2-D: four concentric noisy rings of radius 0.75 to 3";
            case "spirals" -> "2-D: two interleaved noisy spirals";
            default -> throw new AssertionError(name);
        };
    }

    @Override
    public Dataset load(DataRequest request) {
        Objects.requireNonNull(request, "request");
        Splits.requireNoArgument(request, name);
        int keptTrain = Splits.keptTrain(TRAIN_SIZE, Splits.limit(request));
        RandomSource root = RandomSource.seeded(request.seed());
        RandomSource trainRng = root.split();
        RandomSource validationRng = root.split();
        RandomSource testRng = root.split();
        DataSplit train = new DataSplit(EVENT_SHAPE, sample(trainRng, keptTrain), null);
        DataSplit validation = new DataSplit(
                EVENT_SHAPE, sample(validationRng, Splits.keptOther(VALIDATION_SIZE, keptTrain, TRAIN_SIZE)), null);
        DataSplit test =
                new DataSplit(EVENT_SHAPE, sample(testRng, Splits.keptOther(TEST_SIZE, keptTrain, TRAIN_SIZE)), null);
        return new InMemoryDataset(
                request.spec(), Dataset.Kind.CONTINUOUS, EVENT_SHAPE, train, validation, test, List.of());
    }

    /**
     * Draws {@code n} points of this density from {@code random}, as {@code x0, y0, x1, y1, ...}:
     * for plotting the true density beside a model's samples. The points are computed in double
     * and rounded to float once.
     *
     * @param random the source of the draws; advanced by them
     * @param n the number of points, 0 or more
     * @return a new array of {@code 2 * n} floats, the points' coordinates interleaved
     * @throws IllegalArgumentException if {@code n} is negative
     */
    public float[] sample(RandomSource random, int n) {
        Objects.requireNonNull(random, "random");
        if (n < 0) {
            throw new IllegalArgumentException("cannot draw " + n + " samples");
        }
        float[] out = new float[2 * n];
        double[] p = new double[2];
        for (int i = 0; i < n; i++) {
            switch (name) {
                case "two-moons" -> twoMoons(random, p);
                case "8gaussians" -> eightGaussians(random, p);
                case "checkerboard" -> checkerboard(random, p);
                case "rings" -> rings(random, p);
                case "spirals" -> spirals(random, p);
                default -> throw new AssertionError(name);
            }
            out[2 * i] = (float) p[0];
            out[2 * i + 1] = (float) p[1];
        }
        return out;
    }

    private static void twoMoons(RandomSource r, double[] p) {
        double t = Math.PI * r.nextDouble();
        boolean upper = r.nextInt(2) == 0;
        double[] noise = r.normal(2);
        double x = upper ? StrictMath.cos(t) : 1 - StrictMath.cos(t);
        double y = upper ? StrictMath.sin(t) : 0.5 - StrictMath.sin(t);
        p[0] = 2 * (x + 0.1 * noise[0]) - 1;
        p[1] = 2 * (y + 0.1 * noise[1]) - 0.2;
    }

    private static void eightGaussians(RandomSource r, double[] p) {
        double[] c = EIGHT_CENTRES[r.nextInt(8)];
        double[] z = r.normal(2);
        p[0] = (c[0] + 0.5 * z[0]) / EIGHT_GAUSSIANS_DIVISOR;
        p[1] = (c[1] + 0.5 * z[1]) / EIGHT_GAUSSIANS_DIVISOR;
    }

    private static void checkerboard(RandomSource r, double[] p) {
        double x1 = 4 * r.nextDouble() - 2;
        double x2 = r.nextDouble() - 2 * r.nextInt(2) + Math.floorMod((int) Math.floor(x1), 2);
        p[0] = 2 * x1;
        p[1] = 2 * x2;
    }

    private static void rings(RandomSource r, double[] p) {
        double radius = 0.75 * (1 + r.nextInt(4));
        double angle = 2 * Math.PI * r.nextDouble();
        double[] z = r.normal(2);
        p[0] = radius * StrictMath.cos(angle) + 0.08 * z[0];
        p[1] = radius * StrictMath.sin(angle) + 0.08 * z[1];
    }

    private static void spirals(RandomSource r, double[] p) {
        double n = StrictMath.sqrt(r.nextDouble()) * 540 * (2 * Math.PI) / 360;
        double x = -StrictMath.cos(n) * n + 0.5 * r.nextDouble();
        double y = StrictMath.sin(n) * n + 0.5 * r.nextDouble();
        double sign = r.nextInt(2) == 0 ? 1 : -1;
        double[] z = r.normal(2);
        p[0] = sign * x / 3 + 0.1 * z[0];
        p[1] = sign * y / 3 + 0.1 * z[1];
    }

    /** FFJORD's order: (1,0), (-1,0), (0,1), (0,-1), then the diagonals; times 4. */
    private static double[][] eightCentres() {
        double d = 1 / Math.sqrt(2);
        double[][] unit = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {d, d}, {d, -d}, {-d, d}, {-d, -d}};
        double[][] out = new double[8][];
        for (int i = 0; i < 8; i++) {
            out[i] = new double[] {4 * unit[i][0], 4 * unit[i][1]};
        }
        return out;
    }

    @Override
    public String toString() {
        return "TwoDimensionalFactory[" + name + "]";
    }

    /** Factories are equal when they generate the same density. */
    @Override
    public boolean equals(Object o) {
        return o instanceof TwoDimensionalFactory other && other.name.equals(name);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }
}
