package org.flows4j.layers.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.AbstractComponent;
import org.flows4j.layers.optim.Optimizer;

/**
 * Small modules and a fake optimizer, made here so these tests depend on no other package
 * of flow-layers, plus helpers that write safetensors bytes by hand.
 */
final class Fixtures {

    private Fixtures() {}

    /** The leaf of {@link Net}: a parameter of each dtype and two state slots, like actnorm's. */
    static final class Inner extends AbstractComponent {
        final Parameter scale;
        final Parameter initialized;
        final Parameter runningMean;

        Inner(Backend backend, RandomSource random, DType stateDType) {
            scale = parameter("scale", random.normal(backend, DType.FLOAT64, Shape.of(2), 0, 1));
            initialized = state("initialized", Tensor.scalar(backend, DType.FLOAT32, 1));
            runningMean = state("running_mean", random.normal(backend, stateDType, Shape.of(2), 0, 1));
        }
    }

    /**
     * A two-level module: {@code weight} [3, 4] and {@code bias} [4] of {@code dtype},
     * {@code inner.scale} [2] float64, {@code inner.initialized} [] float32 and
     * {@code inner.running_mean} [2] of {@code dtype}.
     */
    static final class Net extends AbstractComponent {
        final Parameter weight;
        final Parameter bias;
        final Inner inner;

        Net(Backend backend, RandomSource random, DType dtype) {
            weight = parameter("weight", random.normal(backend, dtype, Shape.of(3, 4), 0, 1));
            bias = parameter("bias", random.normal(backend, dtype, Shape.of(4), 0, 1));
            inner = child("inner", new Inner(backend, random, dtype));
        }

        /**
         * A scalar computed from every slot, in the way a log-density would be: matmul, add,
         * log-sum. Bit-identical slots must give a bit-identical value.
         */
        double score(Tensor x) {
            Tensor h = x.matmul(weight.value()).add(bias.value()).tanh().sum();
            double s = inner.scale
                    .value()
                    .mul(inner.runningMean.value().to(DType.FLOAT64))
                    .sum()
                    .item();
            return h.item() + s + inner.initialized.value().item();
        }
    }

    /** A module with one float32 slot {@code weight} of the given shape, filled with {@code value}. */
    static final class Single extends AbstractComponent {
        Single(Backend backend, DType dtype, Shape shape, double value) {
            parameter("weight", Tensor.full(backend, dtype, shape, value));
        }
    }

    /** A flat module whose slots are the given initial values, trainable, in order. */
    static final class Slots extends AbstractComponent {
        Slots(Map<String, Tensor> initial) {
            initial.forEach(this::parameter);
        }
    }

    /**
     * An optimizer with Adam-like moment buffers {@code m.<name>} and {@code v.<name>} per
     * parameter; {@link #loadState} validates like the real ones and can be told to refuse.
     */
    static final class FakeOptimizer implements Optimizer {
        private final Map<String, Parameter> parameters;
        private final Map<String, Tensor> state = new LinkedHashMap<>();
        private long steps;
        boolean refuse;

        FakeOptimizer(Map<String, Parameter> parameters, RandomSource random, long steps) {
            this.parameters = parameters;
            this.steps = steps;
            parameters.forEach((name, p) -> {
                Backend b = p.value().backend();
                state.put(
                        "m." + name,
                        random.normal(b, p.dtype(), p.shape(), 0, 1).unscoped());
                state.put(
                        "v." + name,
                        random.uniform(b, p.dtype(), p.shape(), 0, 1).unscoped());
            });
        }

        @Override
        public Map<String, Parameter> parameters() {
            return parameters;
        }

        @Override
        public void step(Map<String, Tensor> gradients) {
            steps++;
        }

        @Override
        public long steps() {
            return steps;
        }

        @Override
        public double learningRate() {
            return 1e-3;
        }

        @Override
        public Map<String, Tensor> state() {
            // copies owned by the caller, as Optimizer#state promises
            Map<String, Tensor> copies = new LinkedHashMap<>();
            state.forEach((k, t) -> copies.put(k, t.add(0.0)));
            return java.util.Collections.unmodifiableMap(copies);
        }

        @Override
        public void loadState(Map<String, Tensor> next, long nextSteps) {
            if (refuse) {
                throw new IllegalArgumentException("refused on purpose");
            }
            if (!next.keySet().equals(state.keySet())) {
                throw new IllegalArgumentException("names differ: " + next.keySet() + " vs " + state.keySet());
            }
            next.forEach((k, t) -> {
                Tensor old = state.get(k);
                if (!old.shape().equals(t.shape()) || old.dtype() != t.dtype()) {
                    throw new IllegalArgumentException(k + " differs");
                }
            });
            state.putAll(next);
            steps = nextSteps;
        }
    }

    /** The raw bits of every slot, by name: float32 as int bits widened, float64 as long bits. */
    static Map<String, long[]> bits(Map<String, Parameter> slots) {
        Map<String, long[]> out = new LinkedHashMap<>();
        slots.forEach((k, p) -> out.put(k, bits(p.value())));
        return out;
    }

    /** The raw bits of a tensor's elements in its own dtype. */
    static long[] bits(Tensor t) {
        if (t.dtype() == DType.FLOAT32) {
            float[] f = t.toFloatArray();
            long[] out = new long[f.length];
            for (int i = 0; i < f.length; i++) {
                out[i] = Float.floatToRawIntBits(f[i]);
            }
            return out;
        }
        double[] d = t.toDoubleArray();
        long[] out = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = Double.doubleToRawLongBits(d[i]);
        }
        return out;
    }

    /** The raw bits of a stored tensor's elements in its own dtype. */
    static long[] bits(StoredTensor t) {
        long[] out;
        if (t.dtype() == DType.FLOAT32) {
            float[] f = t.toFloatArray();
            out = new long[f.length];
            for (int i = 0; i < f.length; i++) {
                out[i] = Float.floatToRawIntBits(f[i]);
            }
        } else {
            double[] d = t.toDoubleArray();
            out = new long[d.length];
            for (int i = 0; i < d.length; i++) {
                out[i] = Double.doubleToRawLongBits(d[i]);
            }
        }
        return out;
    }

    /** A safetensors file by hand: the 8-byte little-endian length, {@code json} unpadded, then {@code data}. */
    static byte[] safetensors(String json, byte[] data) {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + header.length + data.length)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length)
                .put(header)
                .put(data)
                .array();
    }

    /** Little-endian bytes of floats then doubles, in that order. */
    static byte[] littleEndian(float[] floats, double[] doubles) {
        ByteBuffer b =
                ByteBuffer.allocate(floats.length * 4 + doubles.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : floats) {
            b.putFloat(f);
        }
        for (double d : doubles) {
            b.putDouble(d);
        }
        return b.array();
    }

    /** The metadata of a minimal valid flows4j checkpoint as a JSON object. */
    static String flowsMetadata() {
        return "{\"format\":\"flows4j-checkpoint\",\"format_version\":\"1\",\"model_spec\":\"test:hand\","
                + "\"dtype\":\"float32\",\"step\":\"7\"}";
    }

    static Path write(Path file, byte[] bytes) throws IOException {
        return Files.write(file, bytes);
    }

    /** The names of the files in {@code dir}, sorted. */
    static List<String> listing(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
