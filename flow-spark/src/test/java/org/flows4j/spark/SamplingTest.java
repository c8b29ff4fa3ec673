package org.flows4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.models.ZooModel;
import org.flows4j.zoo.train.ZooCheckpoints;
import org.junit.jupiter.api.Test;

/** Sampling into a DataFrame: the same rows for a seed whatever the number of partitions, and those of one JVM. */
@SuppressWarnings("try")
class SamplingTest {

    private static float[][] collect(List<Row> rows) {
        float[][] out = new float[rows.size()][];
        for (Row r : rows) {
            List<Object> v = r.getList(1);
            float[] x = new float[v.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (Float) v.get(i);
            }
            out[(int) r.getLong(0)] = x;
        }
        return out;
    }

    @Test
    void samples_depend_on_the_seed_not_on_the_partitions() {
        SparkSession spark = SparkTesting.local();
        FlowCheckpoint ckpt;
        try (Backend backend = Backends.create("cpu")) {
            ckpt = SparkTesting.checkpoint(
                    backend,
                    "realnvp:2d",
                    Shape.of(2),
                    org.flows4j.zoo.data.Dataset.Kind.CONTINUOUS,
                    DType.FLOAT32,
                    11);
        }
        int n = 2500;
        float[][] one = collect(
                FlowSampler.sample(spark, ckpt, n, 7, 1, "cpu", 1.0, 300).collectAsList());
        float[][] five = collect(
                FlowSampler.sample(spark, ckpt, n, 7, 5, "cpu", 1.0, 300).collectAsList());
        assertEquals(n, one.length);
        for (int i = 0; i < n; i++) {
            assertArrayEquals(one[i], five[i], "sample " + i);
        }
        float[][] other = collect(
                FlowSampler.sample(spark, ckpt, 10, 8, 2, "cpu", 1.0, 300).collectAsList());
        assertEquals(false, java.util.Arrays.equals(one[0], other[0]), "another seed, other samples");

        // Block 1 (ids 300..599) is flow.sample(300, blockRandom(7, 1)) in one JVM.
        try (Backend backend = Backends.create("cpu");
                MemoryScope scope = MemoryScope.open()) {
            ZooModel model = ZooCheckpoints.load(ckpt.localFile(), Zoo.discover(), backend);
            model.flow().setTraining(false);
            float[] block =
                    model.flow().sample(300, FlowSampler.blockRandom(7, 1), 1.0).toFloatArray();
            for (int i = 0; i < 300; i++) {
                assertArrayEquals(new float[] {block[2 * i], block[2 * i + 1]}, one[300 + i], "sample " + (300 + i));
            }
        }
    }
}
