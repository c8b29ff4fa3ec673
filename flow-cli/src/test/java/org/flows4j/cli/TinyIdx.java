package org.flows4j.cli;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * A tiny MNIST-format data set written into a directory, so that image commands run end to end
 * with {@code --data mnist --data-dir DIR} and need no downloaded data: 28x28 images of a bright
 * bar whose position is the label (three classes), on a noisy dark background.
 */
final class TinyIdx {

    static final int SIDE = 28;
    static final int CLASSES = 3;

    private TinyIdx() {}

    /** Writes the four IDX files: {@code train} training images (a tenth of them become validation) and {@code test}. */
    static Path write(Path dir, int train, int test, long seed) throws IOException {
        Files.createDirectories(dir);
        Random r = new Random(seed);
        images(dir.resolve("train-images-idx3-ubyte"), dir.resolve("train-labels-idx1-ubyte"), train, r);
        images(dir.resolve("t10k-images-idx3-ubyte"), dir.resolve("t10k-labels-idx1-ubyte"), test, r);
        return dir;
    }

    private static void images(Path imageFile, Path labelFile, int n, Random r) throws IOException {
        try (OutputStream fi = Files.newOutputStream(imageFile);
                DataOutputStream img = new DataOutputStream(fi);
                OutputStream fl = Files.newOutputStream(labelFile);
                DataOutputStream lab = new DataOutputStream(fl)) {
            img.writeInt(0x00000803);
            img.writeInt(n);
            img.writeInt(SIDE);
            img.writeInt(SIDE);
            lab.writeInt(0x00000801);
            lab.writeInt(n);
            for (int i = 0; i < n; i++) {
                int label = i % CLASSES;
                lab.writeByte(label);
                int column = 6 + 8 * label;
                for (int y = 0; y < SIDE; y++) {
                    for (int x = 0; x < SIDE; x++) {
                        boolean bar = Math.abs(x - column) <= 2 && y >= 4 && y < 24;
                        int v = bar ? 180 + r.nextInt(60) : r.nextInt(24);
                        img.writeByte(v);
                    }
                }
            }
        }
    }
}
