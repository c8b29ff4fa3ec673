package org.flows4j.zoo.data;

import java.util.Arrays;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.tensor.Tensor;

/**
 * One split of a data set on the host: {@code size} samples of {@code eventShape}, row-major in
 * one float array, with an optional label per sample. Immutable: the arrays are not exposed.
 */
public final class DataSplit {

    private final Shape eventShape;
    private final int size;
    private final float[] values;
    private final int[] labels;
    private final float[] context;
    private final int contextSize;

    /**
     * @param eventShape the shape of one sample
     * @param values {@code size * eventShape.size()} values, sample by sample (copied)
     * @param labels one label per sample, or null
     */
    public DataSplit(Shape eventShape, float[] values, int[] labels) {
        int per = eventShape.size();
        if (per == 0 || values.length % per != 0) {
            throw new IllegalArgumentException(
                    values.length + " values are not a whole number of samples of shape " + eventShape);
        }
        this.eventShape = eventShape;
        this.size = values.length / per;
        if (labels != null && labels.length != size) {
            throw new IllegalArgumentException(labels.length + " labels for " + size + " samples");
        }
        this.values = values.clone();
        this.labels = labels == null ? null : labels.clone();
        this.context = null;
        this.contextSize = 0;
    }

    private DataSplit(DataSplit base, float[] context, int contextSize) {
        this.eventShape = base.eventShape;
        this.size = base.size;
        this.values = base.values;
        this.labels = base.labels;
        this.context = context;
        this.contextSize = contextSize;
    }

    /**
     * This split with a context row of {@code contextSize} values per sample (the context
     * columns of a CSV file, for conditional models), sample by sample (copied).
     *
     * @param values {@code size() * contextSize} context values, sample by sample (copied)
     * @param contextSize the context values per sample, at least 1
     * @return a new split sharing this one's samples and labels, with the context; this one is unchanged
     * @throws IllegalArgumentException naming {@code values} if it does not hold
     *     {@code size() * contextSize} values, or {@code contextSize} if it is not positive
     */
    public DataSplit withContext(float[] values, int contextSize) {
        if (contextSize < 1) {
            throw new IllegalArgumentException("contextSize must be positive, got " + contextSize);
        }
        if (values.length != size * contextSize) {
            throw new IllegalArgumentException(
                    "values: " + values.length + " context values for " + size + " samples of " + contextSize);
        }
        return new DataSplit(this, values.clone(), contextSize);
    }

    /**
     * Whether each sample has a context row ({@link #withContext}).
     *
     * @return whether {@link #contextBatch} may be called
     */
    public boolean hasContext() {
        return context != null;
    }

    /**
     * The context values per sample (0 without a context).
     *
     * @return the length of each sample's context row, or 0 when the split has no context
     */
    public int contextSize() {
        return contextSize;
    }

    /**
     * The context rows of the samples at {@code indices}, {@code [indices.length, contextSize]}.
     *
     * @param backend the backend to create the tensor on
     * @param dtype the tensor's element type; the float values are widened or rounded to it
     * @param indices the samples to take, each in {@code [0, size())}, in the order of the batch's rows;
     *     repeats allowed
     * @return a new tensor on {@code backend}, freed with the enclosing
     *     {@link org.flows4j.api.tensor.MemoryScope} or by {@link Tensor#free()}
     * @throws IllegalStateException if this split has no context
     */
    public Tensor contextBatch(Backend backend, DType dtype, int[] indices) {
        if (context == null) {
            throw new IllegalStateException("this split has no context");
        }
        double[] out = new double[indices.length * contextSize];
        for (int b = 0; b < indices.length; b++) {
            for (int k = 0; k < contextSize; k++) {
                out[b * contextSize + k] = context[indices[b] * contextSize + k];
            }
        }
        return Tensor.of(backend, dtype, out, Shape.of(indices.length, contextSize));
    }

    /**
     * The shape of one sample.
     *
     * @return the shape of one sample, the same for every sample
     */
    public Shape eventShape() {
        return eventShape;
    }

    /**
     * The number of samples.
     *
     * @return the number of samples, 0 or more
     */
    public int size() {
        return size;
    }

    /**
     * Whether each sample has a label.
     *
     * @return whether {@link #label(int)} may be called
     */
    public boolean hasLabels() {
        return labels != null;
    }

    /**
     * The label of sample {@code i}.
     *
     * @param i the sample index, in {@code [0, size())}
     * @return the label of sample {@code i}, an index into {@link Dataset#labelNames()}
     * @throws IllegalStateException if this split has no labels
     * @throws ArrayIndexOutOfBoundsException if {@code i} is out of range
     */
    public int label(int i) {
        if (labels == null) {
            throw new IllegalStateException("this split has no labels");
        }
        return labels[i];
    }

    /**
     * The values of sample {@code i} (a copy).
     *
     * @param i the sample index, in {@code [0, size())}
     * @return a new array of {@code eventShape().size()} values, row-major; the caller may modify it
     */
    public float[] sample(int i) {
        int per = eventShape.size();
        return Arrays.copyOfRange(values, i * per, (i + 1) * per);
    }

    /**
     * The samples at {@code indices} as a tensor {@code [indices.length, ...eventShape]}.
     *
     * @param backend the backend to create the tensor on
     * @param dtype the tensor's element type; the float values are widened or rounded to it
     * @param indices the samples to take, each in {@code [0, size())}, in the order of the batch's rows;
     *     repeats allowed
     * @return a new tensor on {@code backend}, freed with the enclosing
     *     {@link org.flows4j.api.tensor.MemoryScope} or by {@link Tensor#free()}
     * @throws IndexOutOfBoundsException if an index is out of range
     */
    public Tensor batch(Backend backend, DType dtype, int[] indices) {
        int per = eventShape.size();
        double[] out = new double[indices.length * per];
        for (int b = 0; b < indices.length; b++) {
            int i = indices[b];
            if (i < 0 || i >= size) {
                throw new IndexOutOfBoundsException("sample " + i + " of a split of " + size);
            }
            for (int k = 0; k < per; k++) {
                out[b * per + k] = values[i * per + k];
            }
        }
        int[] e = eventShape.dims();
        int[] d = new int[e.length + 1];
        d[0] = indices.length;
        System.arraycopy(e, 0, d, 1, e.length);
        return Tensor.of(backend, dtype, out, Shape.of(d));
    }

    /**
     * Samples {@code [from, to)} as a tensor.
     *
     * @param backend the backend to create the tensor on
     * @param dtype the tensor's element type
     * @param from the first sample, inclusive, at least 0
     * @param to the end, exclusive, at most {@link #size()} and not below {@code from}
     * @return the samples as a tensor {@code [to - from, ...eventShape]}; a new tensor on {@code backend},
     *     freed with the enclosing {@link org.flows4j.api.tensor.MemoryScope} or by {@link Tensor#free()}
     * @throws IndexOutOfBoundsException if {@code from} is negative or {@code to} is above {@link #size()}
     */
    public Tensor range(Backend backend, DType dtype, int from, int to) {
        int[] idx = new int[to - from];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = from + i;
        }
        return batch(backend, dtype, idx);
    }

    /**
     * The first {@code n} samples (or all, if fewer) as a new split.
     *
     * @param n the number of samples to keep, at least 0
     * @return a new split of the first {@code min(n, size())} samples with their labels and context
     */
    public DataSplit head(int n) {
        int m = Math.min(n, size);
        int per = eventShape.size();
        DataSplit out = new DataSplit(
                eventShape, Arrays.copyOf(values, m * per), labels == null ? null : Arrays.copyOf(labels, m));
        return context == null ? out : out.withContext(Arrays.copyOf(context, m * contextSize), contextSize);
    }
}
