package org.flows4j.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.testing.Tolerance;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.function.Executable;

/**
 * The API's promises that depend on the backend behaving: errors that name what went wrong,
 * memory freed by scopes and views that outlive their base, NaN that propagates without an
 * exception, and no recording under {@code noGrad}.
 */
final class BehaviourSuite {

    private final Session session;

    private BehaviourSuite(Session session) {
        this.session = session;
    }

    /** The container "behaviour". */
    public static DynamicContainer container(Session session) {
        BehaviourSuite s = new BehaviourSuite(session);
        List<DynamicNode> tests = new ArrayList<>();
        tests.add(s.test(
                "add [2, 3] with [4, 5] throws IllegalArgumentException naming add and both shapes", s::shapeMismatch));
        tests.add(s.test(
                "matmul [2, 3]·[4, 5] throws IllegalArgumentException naming matmul and both shapes",
                s::matmulMismatch));
        tests.add(s.test(
                "add float32 [2] with float64 [2] throws IllegalArgumentException naming both dtypes",
                s::dtypeMismatch));
        tests.add(s.test("a tensor used after its MemoryScope closed throws IllegalStateException", s::usedAfterClose));
        tests.add(s.test("a kept tensor survives its scope, and free() twice is harmless", s::keptSurvives));
        tests.add(s.test("a reshape view kept while its base is freed stays readable", s::viewOutlivesBase));
        tests.add(s.test("NaN propagates through exp, log, add and matmul without an exception", s::nanPropagates));
        tests.add(s.test("noGrad records nothing: results do not require a gradient", s::noGradRecordsNothing));
        tests.add(s.test("concurrent use from 4 threads gives the same results as one", s::concurrentUse));
        tests.add(s.test("Backend.close() twice on a fresh instance is harmless", s::closeTwice));
        return DynamicContainer.dynamicContainer("behaviour", tests);
    }

    private interface Body {
        void run(Backend backend);
    }

    private DynamicTest test(String name, Body body) {
        Executable e = () -> {
            Backend b = session.target();
            KernelCase.inScope(() -> body.run(b));
        };
        return DynamicTest.dynamicTest(name, e);
    }

    private static IllegalArgumentException expectIae(String what, Runnable r) {
        try {
            r.run();
        } catch (IllegalArgumentException e) {
            return e;
        } catch (RuntimeException e) {
            throw new AssertionError(what + " threw " + e + " instead of IllegalArgumentException", e);
        }
        throw new AssertionError(what + " did not throw");
    }

    private static void expectIse(String what, Runnable r) {
        try {
            r.run();
        } catch (IllegalStateException e) {
            return;
        } catch (RuntimeException e) {
            throw new AssertionError(what + " threw " + e + " instead of IllegalStateException", e);
        }
        throw new AssertionError(what + " did not throw");
    }

    private static void mentions(Exception e, String... parts) {
        String m = String.valueOf(e.getMessage());
        for (String p : parts) {
            if (!m.contains(p)) {
                throw new AssertionError("the message \"" + m + "\" does not mention " + p, e);
            }
        }
    }

    private void shapeMismatch(Backend b) {
        Tensor x = Tensor.zeros(b, DType.FLOAT64, 2, 3);
        Tensor y = Tensor.zeros(b, DType.FLOAT64, 4, 5);
        mentions(expectIae("add [2, 3] with [4, 5]", () -> x.add(y)), "add", "[2, 3]", "[4, 5]");
    }

    private void matmulMismatch(Backend b) {
        Tensor x = Tensor.zeros(b, DType.FLOAT64, 2, 3);
        Tensor y = Tensor.zeros(b, DType.FLOAT64, 4, 5);
        mentions(expectIae("matmul [2, 3]·[4, 5]", () -> x.matmul(y)), "matmul", "[2, 3]", "[4, 5]");
    }

    private void dtypeMismatch(Backend b) {
        Tensor x = Tensor.zeros(b, DType.FLOAT32, 2);
        Tensor y = Tensor.zeros(b, DType.FLOAT64, 2);
        mentions(expectIae("add float32 with float64", () -> x.add(y)), "add", "float32", "float64");
    }

    private void usedAfterClose(Backend b) {
        // the enclosing test scope closes this one too if anything below throws
        MemoryScope inner = MemoryScope.open();
        Tensor t = Tensor.of(b, new double[] {1, 2, 3}, 3);
        Tensor e = t.exp();
        inner.close();
        if (!t.isFreed() || !e.isFreed()) {
            throw new AssertionError("tensors made in a closed scope are not marked freed");
        }
        expectIse("toDoubleArray of a freed tensor", t::toDoubleArray);
        expectIse("exp of a freed tensor", e::exp);
        expectIse(
                "add with a freed tensor",
                () -> Tensor.of(b, new double[] {1, 2, 3}, 3).add(t));
        inner.close(); // twice: harmless
    }

    private void keptSurvives(Backend b) {
        MemoryScope inner = MemoryScope.open();
        Tensor kept = inner.keep(Tensor.of(b, new double[] {1, 2, 3}, 3).mul(2.0));
        Tensor dropped = Tensor.of(b, new double[] {4}, 1);
        inner.close();
        if (!dropped.isFreed() || kept.isFreed()) {
            throw new AssertionError(
                    "after the scope closed: kept freed " + kept.isFreed() + ", other freed " + dropped.isFreed());
        }
        Tolerance.EXACT.assertAllclose("a kept tensor", kept.toDoubleArray(), new double[] {2, 4, 6});
        Tolerance.EXACT.assertAllclose(
                "a kept tensor used in a new operation", kept.add(1.0).toDoubleArray(), new double[] {3, 5, 7});
        kept.free();
        kept.free();
        expectIse("a tensor after free()", kept::toDoubleArray);
    }

    private void viewOutlivesBase(Backend b) {
        MemoryScope inner = MemoryScope.open();
        Tensor base = Tensor.of(b, new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor view = inner.keep(base.reshape(3, 2));
        Tensor flat = base.reshape(-1);
        inner.close();
        if (!base.isFreed()) {
            throw new AssertionError("the base was not freed with its scope");
        }
        Tolerance.EXACT.assertAllclose(
                "a kept reshape view after its base's scope closed",
                view.toDoubleArray(),
                new double[] {1, 2, 3, 4, 5, 6});
        Tolerance.EXACT.assertAllclose(
                "a kept view used in a kernel", view.transpose().toDoubleArray(), new double[] {1, 3, 5, 2, 4, 6});
        expectIse("a view freed with its scope", flat::toDoubleArray);
        // the other order: the base freed explicitly while a view in the current scope lives
        Tensor base2 = Tensor.of(b, new double[] {7, 8, 9, 10}, 4);
        Tensor view2 = base2.reshape(2, 2);
        base2.free();
        Tolerance.EXACT.assertAllclose("a view after base.free()", view2.toDoubleArray(), new double[] {7, 8, 9, 10});
    }

    private void nanPropagates(Backend b) {
        double nan = Double.NaN;
        Tensor x = Tensor.of(b, new double[] {nan, 1, 2, 3}, 2, 2);
        check("exp", x.exp(), nan, Math.exp(1), Math.exp(2), Math.exp(3));
        check("log", x.log(), nan, 0, Math.log(2), Math.log(3));
        check("add", x.add(Tensor.of(b, new double[] {1, nan}, 2)), nan, nan, 3, nan);
        // IEEE: NaN * 0 is NaN, so the whole first row is NaN even against an identity matrix
        check("matmul", x.matmul(Tensor.of(b, new double[] {1, 0, 0, 1}, 2, 2)), nan, nan, 2, 3);
        check("sum", x.sum(1), nan, 5);
    }

    private static void check(String op, Tensor t, double... expected) {
        Tolerance.FLOAT64.assertAllclose(op + " with a NaN input", t.toDoubleArray(), expected);
    }

    private void noGradRecordsNothing(Backend b) {
        Tensor x = Tensor.of(b, new double[] {1, 2}, 2).requiringGrad();
        if (!x.exp().requiresGrad()) {
            throw new AssertionError("exp of a variable does not require a gradient with recording on");
        }
        Autodiff.NoGrad off = Autodiff.noGrad();
        try {
            Tensor y = x.exp().add(x).mul(x).sum();
            if (y.requiresGrad() || Autodiff.isRecording()) {
                throw new AssertionError("under noGrad: result requires a gradient " + y.requiresGrad() + ", recording "
                        + Autodiff.isRecording());
            }
        } finally {
            off.close();
        }
        if (!Autodiff.isRecording()) {
            throw new AssertionError("recording did not resume after noGrad closed");
        }
        Tensor z = Autodiff.noGrad(() -> x.square().sum());
        if (z.requiresGrad()) {
            throw new AssertionError("noGrad(supplier) result requires a gradient");
        }
    }

    /** The SPI promises that one backend instance serves several threads at once. */
    private void concurrentUse(Backend b) {
        Gen g = new Gen(0, "concurrent use");
        Data a = g.normal(40, 30);
        Data w = g.normal(30, 20);
        double[] expected = work(b, a, w);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<double[]>> results = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                // each task runs on a pool thread, so it opens that thread's own scope
                results.add(pool.submit(() -> {
                    double[][] out = new double[1][];
                    KernelCase.inScope(() -> out[0] = work(b, a, w));
                    return out[0];
                }));
            }
            for (Future<double[]> f : results) {
                // not EXACT: a parallel reduction may legitimately sum in another order on each run;
                // the values are sums of positive terms, so relative to themselves is the right scale
                Tolerance.FLOAT64.assertAllclose("a result computed concurrently", get(f), expected);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static double[] work(Backend b, Data a, Data w) {
        Tensor x = a.on(b, DType.FLOAT64);
        return x.matmul(w.on(b, DType.FLOAT64))
                .tanh()
                .add(x.sum(true, 1))
                .exp()
                .sum(0)
                .toDoubleArray();
    }

    private static double[] get(Future<double[]> f) {
        try {
            return f.get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("a concurrent computation failed: " + e.getCause(), e);
        }
    }

    private void closeTwice(Backend target) {
        Backend fresh = Backends.create(session.targetName(), session.options());
        if (fresh == target) {
            throw new AssertionError("Backends.create returned the same instance twice");
        }
        Tensor t = Tensor.of(fresh, new double[] {1, 2}, 2);
        Tolerance.EXACT.assertAllclose("a fresh instance", t.toDoubleArray(), new double[] {1, 2});
        t.free();
        fresh.close();
        fresh.close();
    }
}
