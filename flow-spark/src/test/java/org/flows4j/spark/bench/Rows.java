package org.flows4j.spark.bench;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * The benchmark's rows, made on the fly from the row id alone: row {@code id} of a model with
 * {@code dims} features is the same wherever it is made (a Spark task, a thread of the
 * single-JVM side), so both sides score the same numbers and pay the same generation cost, and
 * nothing of size {@code rows x dims} is ever held in memory.
 *
 * <p>Continuous rows are uniform in {@code [-3, 3)} (24 random bits each, so exact in
 * float32); image rows are 8-bit pixel values {@code 0..255} (8 per 64-bit draw). Every value is
 * a float, so the {@code array<float>} column Spark holds and the doubles the single JVM hands
 * the backend are the same numbers.
 */
final class Rows {

    private static final long SEED = 0x5EED_F10E_5A7BL;

    private Rows() {}

    /** SplitMix64's finalizer (Steele et al.). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Writes row {@code id}'s {@code dims} features into {@code out} from {@code offset}. */
    static void fill(long id, int dims, boolean images, double[] out, int offset) {
        long state = mix(SEED + id * 0x9E3779B97F4A7C15L);
        if (images) {
            for (int i = 0; i < dims; i += 8) {
                long r = mix(state + i);
                int end = Math.min(dims, i + 8);
                for (int j = i; j < end; j++) {
                    out[offset + j] = (double) (r & 0xFF);
                    r >>>= 8;
                }
            }
        } else {
            for (int i = 0; i < dims; i++) {
                long r = mix(state + i);
                float u = (float) ((r >>> 40) * 0x1.0p-24);
                out[offset + i] = u * 6f - 3f;
            }
        }
    }

    /** Row {@code id}'s features as the {@code float[]} of an {@code array<float>} column. */
    static float[] row(long id, int dims, boolean images) {
        double[] d = new double[dims];
        fill(id, dims, images, d, 0);
        float[] f = new float[dims];
        for (int i = 0; i < dims; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    /**
     * Rows {@code 0 .. n-1} in {@code partitions} partitions of consecutive ids ({@code spark.range}),
     * each made in its task when a job runs: lazy, never cached.
     *
     * <p>The features come from a UDF, so they are Spark's own {@code array<float>} values, read
     * back as any stored column is. (A typed {@code map} to {@code Encoders.row} would not do:
     * Spark then hands the function's own {@code Row} objects, with their {@code float[]},
     * straight to {@code javaRDD()}, and flow-spark's reader takes an array column to be a
     * {@code Seq}.)
     */
    static Dataset<Row> frame(SparkSession spark, long n, int partitions, int dims, boolean images) {
        UserDefinedFunction features = functions
                .udf(
                        (UDF1<Long, float[]>) id -> row(id, dims, images),
                        DataTypes.createArrayType(DataTypes.FloatType, false))
                .asNonNullable();
        return spark.range(0, n, 1, partitions).toDF("id").withColumn("features", features.apply(functions.col("id")));
    }

    /** The first row id of each of {@code partitions} partitions of {@code spark.range(0, n, 1, partitions)}, and n. */
    static long[] bounds(long n, int partitions) {
        long[] b = new long[partitions + 1];
        for (int p = 0; p <= partitions; p++) {
            // RangeExec's split: partition p holds [p * n / k, (p + 1) * n / k), computed in BigInt.
            b[p] = java.math.BigInteger.valueOf(n)
                    .multiply(java.math.BigInteger.valueOf(p))
                    .divide(java.math.BigInteger.valueOf(partitions))
                    .longValueExact();
        }
        return b;
    }
}
