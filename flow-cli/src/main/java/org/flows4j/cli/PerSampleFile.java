package org.flows4j.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.ZooModel;
import org.flows4j.zoo.train.RowScores;

/**
 * {@code flows4j eval --per-sample FILE}: one CSV line per evaluated sample, {@code index} (the
 * row's position in the split, 0-based), {@code log_prob} (nats), {@code bits_per_dim} (image
 * models only), then the sample's values {@code x0 .. x(D-1)}. The scores are
 * {@link RowScores#logProb}'s, the function flow-spark's scorer uses, with the row index as the
 * row id: the file read into Spark and scored there (id column {@code index}, the same noise
 * seed) gives the same numbers row for row.
 */
final class PerSampleFile {

    private PerSampleFile() {}

    @SuppressWarnings("try") // the scope is opened for its close()
    static void write(Path file, ZooModel model, DataSplit split, int batch, long noiseSeed) {
        boolean images = model.kind() == Dataset.Kind.IMAGE_8BIT;
        int dims = model.eventShape().size();
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                StringBuilder header = new StringBuilder("index,log_prob");
                if (images) {
                    header.append(",bits_per_dim");
                }
                for (int i = 0; i < dims; i++) {
                    header.append(",x").append(i);
                }
                out.write(header.append('\n').toString());
                for (int from = 0; from < split.size(); from += batch) {
                    int to = Math.min(split.size(), from + batch);
                    long[] ids = new long[to - from];
                    for (int i = 0; i < ids.length; i++) {
                        ids[i] = (long) from + i;
                    }
                    double[] logp;
                    try (MemoryScope scope = MemoryScope.open()) {
                        Tensor x = split.range(model.backend(), model.dtype(), from, to);
                        logp = RowScores.logProb(model, x, noiseSeed, ids);
                    }
                    StringBuilder b = new StringBuilder();
                    for (int i = 0; i < ids.length; i++) {
                        b.append(ids[i]).append(',').append(logp[i]);
                        if (images) {
                            b.append(',').append(RowScores.bitsPerDim(logp[i], dims));
                        }
                        for (float v : split.sample(from + i)) {
                            b.append(',').append(v);
                        }
                        b.append('\n');
                    }
                    out.write(b.toString());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
