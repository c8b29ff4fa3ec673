package org.flows4j.spark;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.Backends;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.models.ZooModel;
import org.flows4j.zoo.train.Trainer;
import org.flows4j.zoo.train.TrainerConfig;
import org.flows4j.zoo.train.ZooCheckpoints;

/**
 * The models an executor JVM has built, so that a checkpoint is turned into a flow once per
 * JVM and not once per partition or per step. A flow is single-threaded (its memory scopes
 * and autodiff tape are per thread, its parameters are mutable), so concurrent tasks of one
 * executor each borrow a {@link Worker} of their own: a JVM builds at most as many as it runs
 * tasks at once, each on a backend with one thread (the executor's cores are Spark's to share
 * out, one task per core).
 *
 * <p>At most {@value #MAX_MODELS} checkpoints are kept; the least recently used one's idle
 * workers are closed when another arrives.
 */
final class ExecutorFlows {

    static final int MAX_MODELS = 4;

    /** Models built in this JVM since it started (for tests: once per executor, not per task). */
    static final AtomicInteger BUILT = new AtomicInteger();

    private static final Map<String, Deque<Worker>> IDLE = new LinkedHashMap<>(16, 0.75f, true);

    private static volatile Zoo zoo;

    private ExecutorFlows() {}

    /** A model of one checkpoint on one backend, with the trainer that computes its gradients. */
    static final class Worker {

        final String key;
        final Backend backend;
        final ZooModel model;
        private Trainer trainer;
        /** Which step's parameters the flow holds now (training), empty for none. */
        String parametersId = "";

        private Worker(String key, Backend backend, ZooModel model) {
            this.key = key;
            this.backend = backend;
            this.model = model;
        }

        /** A trainer used for {@link Trainer#computeGradients} only (its optimizer is never stepped). */
        Trainer trainer() {
            if (trainer == null) {
                trainer = new Trainer(
                        model.flow(), TrainerConfig.builder().clipNorm(0).build());
            }
            return trainer;
        }
    }

    /** The zoo of this JVM: the built-ins and every plugin on its class path. */
    static Zoo zoo() {
        Zoo z = zoo;
        if (z == null) {
            synchronized (ExecutorFlows.class) {
                if (zoo == null) {
                    zoo = Zoo.discover();
                }
                z = zoo;
            }
        }
        return z;
    }

    /**
     * An idle worker for {@code checkpoint} on {@code backendName} (blank: discovery's choice),
     * built now if every one is busy. Give it back with {@link #release}.
     */
    static Worker borrow(FlowCheckpoint checkpoint, String backendName, boolean rawWeights) {
        return borrow(checkpoint, backendName, rawWeights, false);
    }

    /**
     * As {@link #borrow(FlowCheckpoint, String, boolean)}; {@code training} workers are kept
     * apart, since training sets their parameters.
     */
    static Worker borrow(FlowCheckpoint checkpoint, String backendName, boolean rawWeights, boolean training) {
        String key = checkpoint.key() + "|" + backendName + "|" + rawWeights + (training ? "|train" : "");
        synchronized (IDLE) {
            Deque<Worker> idle = IDLE.get(key);
            if (idle != null && !idle.isEmpty()) {
                return idle.pop();
            }
        }
        Backend backend = open(backendName);
        try {
            ZooModel model = ZooCheckpoints.load(checkpoint.localFile(), zoo(), backend, rawWeights);
            BUILT.incrementAndGet();
            return new Worker(key, backend, model);
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }

    /** Returns a worker for the next task; evicts the least recently used checkpoint's workers beyond {@value #MAX_MODELS}. */
    static void release(Worker worker) {
        synchronized (IDLE) {
            IDLE.computeIfAbsent(worker.key, k -> new ArrayDeque<>()).push(worker);
            Iterator<Map.Entry<String, Deque<Worker>>> it = IDLE.entrySet().iterator();
            while (IDLE.size() > MAX_MODELS && it.hasNext()) {
                Map.Entry<String, Deque<Worker>> eldest = it.next();
                if (!eldest.getKey().equals(worker.key)) {
                    eldest.getValue().forEach(w -> w.backend.close());
                    it.remove();
                }
            }
        }
    }

    /** A backend with one thread, by name through discovery (blank: the highest priority that starts). */
    static Backend open(String backendName) {
        BackendOptions options = BackendOptions.defaults().withThreads(1);
        return backendName == null || backendName.isBlank()
                ? Backends.create(options)
                : Backends.create(backendName.trim(), options);
    }
}
