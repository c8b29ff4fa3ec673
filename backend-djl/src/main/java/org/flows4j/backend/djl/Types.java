package org.flows4j.backend.djl;

import ai.djl.ndarray.types.DataType;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;

/** Conversions between the API's dtypes and shapes and DJL's. */
final class Types {

    private Types() {}

    static DataType dataType(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> DataType.FLOAT32;
            case FLOAT64 -> DataType.FLOAT64;
        };
    }

    static DType dtype(DataType type) {
        if (type == DataType.FLOAT32) {
            return DType.FLOAT32;
        }
        if (type == DataType.FLOAT64) {
            return DType.FLOAT64;
        }
        throw new IllegalStateException("a djl storage holds " + type + ", not float32 or float64");
    }

    static ai.djl.ndarray.types.Shape shape(Shape shape) {
        int[] d = shape.dims();
        long[] l = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            l[i] = d[i];
        }
        return new ai.djl.ndarray.types.Shape(l);
    }
}
