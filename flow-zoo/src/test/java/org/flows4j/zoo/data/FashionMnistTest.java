package org.flows4j.zoo.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import org.flows4j.api.Shape;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The real Fashion-MNIST where Debian's {@code dataset-fashion-mnist} installs it
 * ({@code /usr/share/datasets/fashion-mnist/*-ubyte.gz}); skipped when the package is not
 * installed. CI installs it. One full load (about 2 s: 30 MB of gzip, 220 MB of floats).
 */
class FashionMnistTest {

    @Test
    void loads_the_debian_package_from_the_default_directory() {
        Assumptions.assumeTrue(
                Files.isDirectory(IdxImagesFactory.FASHION_MNIST_DEBIAN_DIR),
                "dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)");
        Dataset d = IdxImagesFactory.fashionMnist().load(new DataRequest("fashion-mnist", null, 0, 0));

        assertEquals(Dataset.Kind.IMAGE_8BIT, d.kind());
        assertEquals(Shape.of(1, 28, 28), d.eventShape());
        assertEquals(10, d.labelNames().size());
        assertEquals("Ankle boot", d.labelNames().get(9));
        // 60000 training images: the last 6000 validate
        assertEquals(54000, d.train().size());
        assertEquals(6000, d.validation().size());
        assertEquals(10000, d.test().size());

        // the first labels, as in the files' bytes after the header (od -A d -t u1 on the unzipped files)
        assertEquals(
                List.of(9, 0, 0, 3),
                List.of(
                        d.train().label(0),
                        d.train().label(1),
                        d.train().label(2),
                        d.train().label(3)));
        assertEquals(
                List.of(9, 2, 1, 1),
                List.of(
                        d.test().label(0),
                        d.test().label(1),
                        d.test().label(2),
                        d.test().label(3)));

        for (DataSplit s : List.of(d.train(), d.validation(), d.test())) {
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            int[] counts = new int[10];
            int fractional = 0;
            for (int i = 0; i < s.size(); i++) {
                counts[s.label(i)]++;
                for (float v : s.sample(i)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                    fractional += v == Math.rint(v) ? 0 : 1;
                }
            }
            assertEquals(0, min);
            assertEquals(255, max);
            assertEquals(0, fractional, "pixels are integers");
            for (int c = 0; c < 10; c++) {
                // Fashion-MNIST is balanced: 6000 per class in training, 1000 in test
                assertTrue(counts[c] > s.size() / 20, "class " + c + " has only " + counts[c] + " of " + s.size());
            }
        }
    }
}
