package org.flows4j.spark.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Where a data-parallel training step's time goes, from Spark's own event timestamps
 * (milliseconds): each job's start and end, and the duration of every task (launch to finish,
 * on the executor) by stage. A step of {@code DataParallelTrainer} is one job (a
 * {@code treeAggregate}), so the last {@code steps} jobs of a run are its steps.
 */
final class StepTimes extends SparkListener {

    /** A job: when it was submitted and ended (driver clock, ms), its stages. */
    record Job(int id, long start, long end, List<Integer> stages) {}

    private final Map<Integer, long[]> jobs = new ConcurrentHashMap<>();
    private final Map<Integer, List<Integer>> stagesOf = new ConcurrentHashMap<>();
    /** Per stage: the longest task (ms), the sum of task times (ms), the task count. */
    private final Map<Integer, long[]> stages = new ConcurrentHashMap<>();

    @Override
    public void onJobStart(SparkListenerJobStart e) {
        jobs.put(e.jobId(), new long[] {e.time(), -1});
        List<Integer> ids = new ArrayList<>();
        for (Object o : scala.jdk.javaapi.CollectionConverters.asJava(e.stageIds())) {
            ids.add((Integer) o);
        }
        stagesOf.put(e.jobId(), ids);
    }

    @Override
    public void onJobEnd(SparkListenerJobEnd e) {
        long[] j = jobs.get(e.jobId());
        if (j != null) {
            j[1] = e.time();
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
        long d = e.taskInfo().duration();
        stages.merge(e.stageId(), new long[] {d, d, 1}, (a, b) ->
                new long[] {Math.max(a[0], b[0]), a[1] + b[1], a[2] + b[2]});
    }

    /** Waits until Spark has delivered every event posted so far. */
    static void drain(SparkContext sc) {
        try {
            sc.listenerBus().waitUntilEmpty();
        } catch (TimeoutException e) {
            throw new IllegalStateException("Spark's listener bus did not empty in time", e);
        }
    }

    /** The ids of the jobs seen so far, in order. */
    List<Integer> jobIds() {
        List<Integer> ids = new ArrayList<>(jobs.keySet());
        ids.sort(null);
        return ids;
    }

    /** A job's times and stages. */
    Job job(int id) {
        long[] j = jobs.get(id);
        return new Job(id, j[0], j[1], stagesOf.getOrDefault(id, List.of()));
    }

    /** A stage's longest task in ms (0 if none ran, a skipped stage). */
    long slowestTask(int stage) {
        long[] s = stages.get(stage);
        return s == null ? 0 : s[0];
    }

    /** A stage's tasks (0 if none ran). */
    long tasks(int stage) {
        long[] s = stages.get(stage);
        return s == null ? 0 : s[2];
    }
}
