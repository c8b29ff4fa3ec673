package org.flows4j.conformance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.testing.Tolerance;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;

/**
 * The conformance suite of a flows4j backend, as JUnit dynamic tests. A backend author adds
 * one test class:
 *
 * <pre>{@code
 * class MyBackendConformanceTest {
 *     @TestFactory
 *     Stream<DynamicNode> conformance() {
 *         return ConformanceKit.forBackend("mine").dynamicTests();
 *     }
 * }
 * }</pre>
 *
 * <p>The tests are grouped as
 * <ul>
 *   <li>"backend 'mine' starts": the backend is created by name through discovery; if it
 *       cannot be, this test fails with discovery's message (every backend found and why each
 *       is unusable) and all others are aborted;</li>
 *   <li>"kernels [float64]", "kernels [float32]": every primitive of the SPI through the
 *       {@code Tensor} API, compared with the reference backend on the same seeded inputs and
 *       with a host computation of the specification, including broadcasting, size-0 and
 *       size-1 dimensions, scalars, NaN and infinities;</li>
 *   <li>"gradients [float64]": every differentiable operation's autodiff gradient on the
 *       target against central finite differences, plus second-order gradients;</li>
 *   <li>"bijectors [float64]": the bijector contract for every bijector of flow-layers and for
 *       chains of all of them: round trip, inverse log-det, log-det against a numeric
 *       Jacobian in both directions, and batch independence;</li>
 *   <li>"models": the zoo's nice:small, realnvp:2d, realnvp:small and glow:small, built with one
 *       seed on the target and the reference: the same log-likelihoods and bits/dim, exact
 *       inversion, the same samples, the same losses over five Adam steps, and checkpoints
 *       that load across the two;</li>
 *   <li>"behaviour": error messages, memory scopes and views, NaN propagation, no-grad mode.</li>
 * </ul>
 * Tolerances are those of {@link Tolerance}. Every run with one seed uses the same inputs.
 *
 * <p>Backends are created lazily, once per stream, and closed when JUnit closes the stream
 * returned by {@link #dynamicTests()}. Instances are immutable: each method returns a new kit.
 */
public final class ConformanceKit {

    /** The seed used unless {@link #seed(long)} says otherwise. */
    public static final long DEFAULT_SEED = 20_240_601L;

    private final String target;
    private final String reference;
    private final BackendOptions options;
    private final long seed;
    private final List<DType> dtypes;

    private ConformanceKit(String target, String reference, BackendOptions options, long seed, List<DType> dtypes) {
        this.target = target;
        this.reference = reference;
        this.options = options;
        this.seed = seed;
        this.dtypes = dtypes;
    }

    /**
     * The kit for the backend that discovery knows as {@code name}, compared with {@code cpu}.
     *
     * @param name the backend's name as discovery knows it (e.g. {@code "djl"}); surrounding blanks
     *        are trimmed
     * @return a kit with the default options, {@link #DEFAULT_SEED} and both float64 and float32
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public static ConformanceKit forBackend(String name) {
        return new ConformanceKit(
                requireName(name, "backend"),
                "cpu",
                BackendOptions.defaults(),
                DEFAULT_SEED,
                List.of(DType.FLOAT64, DType.FLOAT32));
    }

    private static String requireName(String name, String what) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("the " + what + " to test must be named, got '" + name + "'");
        }
        return name.trim();
    }

    /**
     * Compares with the backend called {@code name} instead of {@code cpu}.
     *
     * @param name the reference backend's name as discovery knows it; surrounding blanks are trimmed
     * @return a new kit that differs from this one only in its reference
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public ConformanceKit reference(String name) {
        return new ConformanceKit(target, requireName(name, "reference backend"), options, seed, dtypes);
    }

    /**
     * Creates the target with {@code options} (the reference always gets the defaults).
     *
     * @param options the options the target backend is created with; not null
     * @return a new kit that differs from this one only in the target's options
     */
    public ConformanceKit options(BackendOptions options) {
        return new ConformanceKit(target, reference, Objects.requireNonNull(options, "options"), seed, dtypes);
    }

    /**
     * Draws every random input from {@code seed}.
     *
     * @param seed the seed of every random input; runs with the same seed use the same inputs
     * @return a new kit that differs from this one only in its seed
     */
    public ConformanceKit seed(long seed) {
        return new ConformanceKit(target, reference, options, seed, dtypes);
    }

    /**
     * Checks kernels in these dtypes only (both by default). Gradient checks run in float64
     * and only when float64 is among them.
     *
     * @param dtypes the dtypes to check, at least one; duplicates are ignored and the order is kept
     * @return a new kit that differs from this one only in its dtypes
     * @throws IllegalArgumentException if no dtype is given
     */
    public ConformanceKit dtypes(DType... dtypes) {
        if (dtypes.length == 0) {
            throw new IllegalArgumentException("name at least one dtype");
        }
        List<DType> d = List.copyOf(new LinkedHashSet<>(Arrays.asList(dtypes)));
        return new ConformanceKit(target, reference, options, seed, d);
    }

    /**
     * The conformance tests as nested containers. Close the stream to close the backends;
     * JUnit does so for a {@code @TestFactory}.
     *
     * @return the test containers in the order of the class comment, backends not yet created (they
     *         start when the first test runs); the caller closes the stream
     */
    public Stream<DynamicNode> dynamicTests() {
        Session session = new Session(target, reference, options);
        List<DynamicNode> nodes = new ArrayList<>();
        nodes.add(DynamicTest.dynamicTest("backend '" + target + "' starts (created by name through discovery)", () -> {
            Backend b = session.startTarget();
            if (!b.name().equalsIgnoreCase(target)) {
                throw new AssertionError(
                        "asked for backend '" + target + "', got one that calls itself '" + b.name() + "'");
            }
        }));
        nodes.add(DynamicTest.dynamicTest("reference backend '" + reference + "' starts", session::startReference));
        for (DType dtype : dtypes) {
            nodes.add(KernelSuite.container(session, seed, dtype));
            nodes.add(FusedSuite.container(session, seed, dtype));
        }
        if (dtypes.contains(DType.FLOAT64)) {
            nodes.add(GradientSuite.container(session, seed));
            nodes.add(BijectorSuite.container(session, seed));
        }
        nodes.add(ModelSuite.container(session, seed, dtypes));
        nodes.add(BehaviourSuite.container(session));
        return nodes.stream().onClose(session::close);
    }

    /** Describes the configuration, for test reports. */
    @Override
    public String toString() {
        return "ConformanceKit[backend " + target + ", reference " + reference + ", seed " + seed + ", dtypes " + dtypes
                + ", threads " + options.threads() + ", device " + options.device() + "]";
    }
}
