package org.flows4j.spark;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Reads one sample's features from a row: an {@code array<float>} (or any numeric array), an ML
 * {@code Vector}, or several numeric columns, checked against the schema once on the driver.
 * Rows are read straight from Spark's row objects into a batch buffer, so the backend sees
 * tensors of a batch, never single rows.
 */
final class FeatureReader implements Serializable {

    private static final long serialVersionUID = 1L;

    private enum Kind {
        ARRAY,
        VECTOR,
        COLUMNS
    }

    /** A number's type in Spark's internal rows, read with its typed getter. */
    private enum Num {
        BYTE,
        SHORT,
        INT,
        LONG,
        FLOAT,
        DOUBLE
    }

    private final Kind kind;
    private final int[] indices;
    private final String description;
    /**
     * The type of each column ({@code COLUMNS}) or of the array's elements ({@code ARRAY}) as
     * read from Spark's internal rows; null where those rows cannot be read here (vectors,
     * decimals), and then only {@link #read(Row, double[], int, int)} reads.
     */
    private final Num[] internal;

    private FeatureReader(Kind kind, int[] indices, String description, Num[] internal) {
        this.kind = kind;
        this.indices = indices;
        this.description = description;
        this.internal = internal;
    }

    /**
     * A reader of {@code inputCols} (numeric columns, one feature each) when any are given, else
     * of {@code featuresCol} (a numeric array or an ML vector).
     *
     * @throws IllegalArgumentException naming the column that is missing or of the wrong type
     */
    static FeatureReader of(StructType schema, String featuresCol, String[] inputCols) {
        if (inputCols != null && inputCols.length > 0) {
            int[] idx = new int[inputCols.length];
            Num[] nums = new Num[inputCols.length];
            for (int i = 0; i < inputCols.length; i++) {
                StructField f = field(schema, inputCols[i]);
                if (!(f.dataType() instanceof NumericType)) {
                    throw new IllegalArgumentException("input column '" + inputCols[i] + "' must be numeric, but it is "
                            + f.dataType().simpleString());
                }
                idx[i] = schema.fieldIndex(inputCols[i]);
                nums[i] = num(f.dataType());
            }
            boolean internal = Arrays.stream(nums).allMatch(n -> n != null);
            return new FeatureReader(
                    Kind.COLUMNS, idx, "columns " + Arrays.toString(inputCols), internal ? nums : null);
        }
        StructField f = field(schema, featuresCol);
        DataType t = f.dataType();
        int[] idx = {schema.fieldIndex(featuresCol)};
        if (t instanceof ArrayType a && a.elementType() instanceof NumericType) {
            Num element = num(a.elementType());
            return new FeatureReader(
                    Kind.ARRAY,
                    idx,
                    "column '" + featuresCol + "' (" + t.simpleString() + ")",
                    element == null ? null : new Num[] {element});
        }
        if (t.equals(SQLDataTypes.VectorType())) {
            return new FeatureReader(Kind.VECTOR, idx, "column '" + featuresCol + "' (vector)", null);
        }
        throw new IllegalArgumentException("features column '" + featuresCol + "' must be an array of numbers "
                + "(array<float>, array<double>) or an ML vector, but it is " + t.simpleString()
                + "; for numeric columns set inputCols");
    }

    /** The internal-row type of a number of type {@code t}; null for decimals and others. */
    private static Num num(DataType t) {
        if (t instanceof FloatType) {
            return Num.FLOAT;
        }
        if (t instanceof DoubleType) {
            return Num.DOUBLE;
        }
        if (t instanceof IntegerType) {
            return Num.INT;
        }
        if (t instanceof LongType) {
            return Num.LONG;
        }
        if (t instanceof ShortType) {
            return Num.SHORT;
        }
        if (t instanceof ByteType) {
            return Num.BYTE;
        }
        return null;
    }

    /**
     * Whether {@link #read(InternalRow, double[], int, int)} reads these features: arrays and
     * columns of bytes, shorts, ints, longs, floats or doubles (not vectors or decimals).
     */
    boolean readsInternal() {
        return internal != null;
    }

    /**
     * Reads {@code row}'s {@code dims} features into {@code out} from {@code offset}, as
     * {@link #read(Row, double[], int, int)} reads the same row's external form, without boxing a
     * number; false (and nothing written) when the features are null. Only where
     * {@link #readsInternal}.
     *
     * @throws IllegalArgumentException if the row has another number of features or a null element
     */
    boolean read(InternalRow row, double[] out, int offset, int dims) {
        if (kind == Kind.COLUMNS) {
            for (int i = 0; i < indices.length; i++) {
                if (row.isNullAt(indices[i])) {
                    return false;
                }
            }
            check(indices.length, dims);
            for (int i = 0; i < indices.length; i++) {
                int c = indices[i];
                out[offset + i] = switch (internal[i]) {
                    case BYTE -> row.getByte(c);
                    case SHORT -> row.getShort(c);
                    case INT -> row.getInt(c);
                    case LONG -> row.getLong(c);
                    case FLOAT -> row.getFloat(c);
                    case DOUBLE -> row.getDouble(c);
                };
            }
            return true;
        }
        if (row.isNullAt(indices[0])) {
            return false;
        }
        ArrayData a = row.getArray(indices[0]);
        check(a.numElements(), dims);
        for (int i = 0; i < dims; i++) {
            if (a.isNullAt(i)) {
                throw new IllegalArgumentException(description + " holds a null element at index " + i);
            }
        }
        switch (internal[0]) {
            case FLOAT -> {
                for (int i = 0; i < dims; i++) {
                    out[offset + i] = a.getFloat(i);
                }
            }
            case DOUBLE -> {
                for (int i = 0; i < dims; i++) {
                    out[offset + i] = a.getDouble(i);
                }
            }
            case INT -> {
                for (int i = 0; i < dims; i++) {
                    out[offset + i] = a.getInt(i);
                }
            }
            case LONG -> {
                for (int i = 0; i < dims; i++) {
                    out[offset + i] = a.getLong(i);
                }
            }
            case SHORT -> {
                for (int i = 0; i < dims; i++) {
                    out[offset + i] = a.getShort(i);
                }
            }
            case BYTE -> {
                for (int i = 0; i < dims; i++) {
                    out[offset + i] = a.getByte(i);
                }
            }
        }
        return true;
    }

    private static StructField field(StructType schema, String name) {
        if (name == null || !Arrays.asList(schema.fieldNames()).contains(name)) {
            throw new IllegalArgumentException(
                    "no column '" + name + "' among " + Arrays.toString(schema.fieldNames()));
        }
        return schema.apply(name);
    }

    /**
     * Reads {@code row}'s {@code dims} features into {@code out} from {@code offset}; false (and
     * nothing written) when the features are null.
     *
     * @throws IllegalArgumentException if the row has another number of features
     */
    boolean read(Row row, double[] out, int offset, int dims) {
        switch (kind) {
            case COLUMNS -> {
                for (int i = 0; i < indices.length; i++) {
                    if (row.isNullAt(indices[i])) {
                        return false;
                    }
                }
                check(indices.length, dims);
                for (int i = 0; i < indices.length; i++) {
                    out[offset + i] = ((Number) row.get(indices[i])).doubleValue();
                }
                return true;
            }
            case VECTOR -> {
                if (row.isNullAt(indices[0])) {
                    return false;
                }
                Vector v = (Vector) row.get(indices[0]);
                check(v.size(), dims);
                for (int i = 0; i < dims; i++) {
                    out[offset + i] = v.apply(i);
                }
                return true;
            }
            default -> {
                if (row.isNullAt(indices[0])) {
                    return false;
                }
                Object value = row.get(indices[0]);
                if (value instanceof float[] a) {
                    check(a.length, dims);
                    for (int i = 0; i < dims; i++) {
                        out[offset + i] = a[i];
                    }
                    return true;
                }
                if (value instanceof double[] a) {
                    check(a.length, dims);
                    System.arraycopy(a, 0, out, offset, dims);
                    return true;
                }
                List<?> values = elements(value);
                check(values.size(), dims);
                for (int i = 0; i < dims; i++) {
                    Object o = values.get(i);
                    if (o == null) {
                        throw new IllegalArgumentException(description + " holds a null element at index " + i);
                    }
                    out[offset + i] = ((Number) o).doubleValue();
                }
                return true;
            }
        }
    }

    /** The number of features in {@code row} (which must not be null). */
    int width(Row row) {
        return switch (kind) {
            case COLUMNS -> indices.length;
            case VECTOR -> ((Vector) row.get(indices[0])).size();
            default -> {
                Object value = row.get(indices[0]);
                if (value instanceof float[] a) {
                    yield a.length;
                }
                if (value instanceof double[] a) {
                    yield a.length;
                }
                yield elements(value).size();
            }
        };
    }

    /**
     * The elements of an array column's value. Spark's own rows hold a Scala {@code Seq}; rows that
     * a user's function made (a typed {@code map} with {@code Encoders.row}, read back through
     * {@code javaRDD()}) hold what the function put there: a Java list or an array, primitive
     * arrays being read directly by the caller.
     */
    private List<?> elements(Object value) {
        if (value instanceof scala.collection.Seq<?> seq) {
            return scala.jdk.javaapi.CollectionConverters.asJava(seq);
        }
        if (value instanceof List<?> list) {
            return list;
        }
        if (value instanceof Object[] array) {
            return java.util.Arrays.asList(array);
        }
        if (value != null && value.getClass().isArray()) {
            int n = java.lang.reflect.Array.getLength(value);
            List<Object> boxed = new java.util.ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                boxed.add(java.lang.reflect.Array.get(value, i));
            }
            return boxed;
        }
        throw new IllegalArgumentException(description + " holds a "
                + (value == null ? "null" : value.getClass().getName()) + ", not an array of numbers");
    }

    private void check(int got, int dims) {
        if (got != dims) {
            throw new IllegalArgumentException(description + " holds " + got + " features but the model takes " + dims);
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
