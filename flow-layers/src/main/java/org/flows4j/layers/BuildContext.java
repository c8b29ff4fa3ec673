package org.flows4j.layers;

import java.util.Objects;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;

/**
 * Where and how a model's parameters are made: the {@link Backend} they live on, their
 * {@link DType} and the {@link RandomSource} their initial values come from. Passed once to
 * every network, bijector and distribution that has parameters, in place of the
 * {@code (backend, dtype, ..., random)} triple.
 *
 * <pre>{@code
 * BuildContext ctx = BuildContext.of(backend, DType.FLOAT32, RandomSource.seeded(42));
 * Coupling c = Coupling.affine(ctx, Masks.halves(2, false), Mlp.hidden(64, 64), Scale.TANH);
 * }</pre>
 *
 * <p><b>Randomness.</b> A component built from a context draws its initial values from
 * {@link #random()} in the order its Javadoc states (a {@code Linear} draws its weight, then
 * its bias), so the context's source advances and the next component gets different values.
 * Composites give each child its own stream with {@link #split()} (an {@code Mlp} builds each
 * {@code Linear} from a fresh split, in order), so how many values a child draws does not
 * shift its siblings. Pass {@code ctx.split()} to give a component an independent stream of
 * its own. The same seed gives the same parameters on every backend.
 *
 * <p>Immutable apart from the random source it shares, which is not thread-safe: build on
 * one thread, or give each thread its own {@link #split()}.
 */
public final class BuildContext {

    private final Backend backend;
    private final DType dtype;
    private final RandomSource random;

    private BuildContext(Backend backend, DType dtype, RandomSource random) {
        this.backend = backend;
        this.dtype = dtype;
        this.random = random;
    }

    /**
     * A context that makes parameters of {@code dtype} on {@code backend}, initialized from
     * {@code random} (shared, not copied: building advances it).
     *
     * @param backend the backend every parameter is made on
     * @param dtype the precision of every parameter
     * @param random the source of initial values; shared, so building from the context advances it
     * @return the new context
     * @throws NullPointerException naming the argument that is null
     */
    public static BuildContext of(Backend backend, DType dtype, RandomSource random) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(random, "random");
        return new BuildContext(backend, dtype, random);
    }

    /**
     * The backend the parameters live on.
     *
     * @return the backend, never null
     */
    public Backend backend() {
        return backend;
    }

    /**
     * The precision of the parameters.
     *
     * @return the dtype, never null
     */
    public DType dtype() {
        return dtype;
    }

    /**
     * The source of every initial value (shared: drawing from it advances this context).
     *
     * @return the shared random source, never null
     */
    public RandomSource random() {
        return random;
    }

    /**
     * The same backend and dtype with an independent stream, {@code random().split()}: this
     * context's source advances by one draw.
     *
     * @return a new context on the same backend and dtype with a split-off random stream
     */
    public BuildContext split() {
        return new BuildContext(backend, dtype, random.split());
    }

    /**
     * This context with another random source (the same backend and dtype).
     *
     * @param other the random source of the new context; shared, not copied
     * @return a new context; this one is unchanged
     * @throws NullPointerException if {@code other} is null
     */
    public BuildContext withRandom(RandomSource other) {
        return new BuildContext(backend, dtype, Objects.requireNonNull(other, "other"));
    }

    /**
     * A tensor of {@code shape} filled with 0, of this context's dtype and backend; draws nothing.
     *
     * @param shape the shape of the tensor
     * @return a new tensor of zeros
     */
    public Tensor zeros(Shape shape) {
        return Tensor.full(backend, dtype, shape, 0);
    }

    /**
     * A tensor of {@code shape} filled with {@code value}; draws nothing.
     *
     * @param shape the shape of the tensor
     * @param value the value of every element (rounded to float for float32)
     * @return a new tensor of this context's dtype and backend
     */
    public Tensor full(Shape shape, double value) {
        return Tensor.full(backend, dtype, shape, value);
    }

    /**
     * A tensor of {@code shape} from row-major {@code values}; draws nothing.
     *
     * @param values the elements in row-major order, {@code shape.size()} of them; copied
     * @param shape the shape of the tensor
     * @return a new tensor of this context's dtype and backend
     */
    public Tensor tensor(double[] values, Shape shape) {
        return Tensor.of(backend, dtype, values, shape);
    }

    /**
     * A tensor of {@code shape} uniform in {@code [low, high)}, drawn row-major from
     * {@link #random()} ({@code shape.size()} draws).
     *
     * @param shape the shape of the tensor
     * @param low the inclusive lower bound
     * @param high the exclusive upper bound
     * @return a new tensor of this context's dtype and backend
     */
    public Tensor uniform(Shape shape, double low, double high) {
        return random.uniform(backend, dtype, shape, low, high);
    }

    /**
     * A tensor of {@code shape} normal with {@code mean} and standard deviation {@code std},
     * drawn row-major from {@link #random()} (Box-Muller, see {@link RandomSource}).
     *
     * @param shape the shape of the tensor
     * @param mean the mean of every element
     * @param std the standard deviation of every element, {@code >= 0}
     * @return a new tensor of this context's dtype and backend
     */
    public Tensor normal(Shape shape, double mean, double std) {
        return random.normal(backend, dtype, shape, mean, std);
    }

    @Override
    public String toString() {
        return "BuildContext(" + backend.name() + ", " + dtype.label() + ")";
    }
}
