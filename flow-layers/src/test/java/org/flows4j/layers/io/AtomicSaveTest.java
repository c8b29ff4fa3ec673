package org.flows4j.layers.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.random.RandomSource;
import org.flows4j.layers.io.Fixtures.Net;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A save that fails at any point leaves the previous file byte for byte, and no temporary file. */
class AtomicSaveTest {

    @TempDir
    Path dir;

    private static final CheckpointMetadata META = CheckpointMetadata.of("test:net", DType.FLOAT32);

    @Test
    void a_tensor_that_cannot_be_read_midway_leaves_the_old_file_and_no_temp_file() throws IOException {
        try (Backend backend = Backends.create("cpu")) {
            Path file = dir.resolve("c.safetensors");
            Checkpoints.save(file, new Net(backend, RandomSource.seeded(1), DType.FLOAT32), null, META);
            byte[] old = Files.readAllBytes(file);

            // Data order is inner.scale (float64 first), weight, bias, ...: bias fails after two
            // tensors were already written to the temporary file.
            Net broken = new Net(backend, RandomSource.seeded(2), DType.FLOAT32);
            broken.bias.value().free();
            CheckpointException e = assertThrows(
                    CheckpointException.class, () -> Checkpoints.save(file, broken, null, META.withStep(5)));

            assertTrue(
                    e.getMessage()
                            .contains("not written (any previous file is unchanged): reading tensor "
                                    + "'model.bias' failed: "),
                    e.getMessage());
            assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e.getCause()));
            assertArrayEquals(old, Files.readAllBytes(file));
            assertEquals(List.of("c.safetensors"), Fixtures.listing(dir));
            assertEquals(0, Checkpoints.readInfo(file).metadata().step());
        }
    }

    @Test
    void a_failed_rename_leaves_no_temp_file() throws IOException {
        try (Backend backend = Backends.create("cpu")) {
            // The target is a non-empty directory, so the final rename cannot replace it.
            Path target = Files.createDirectory(dir.resolve("c.safetensors"));
            Files.writeString(target.resolve("keep.txt"), "x");
            CheckpointException e = assertThrows(
                    CheckpointException.class,
                    () -> Checkpoints.save(
                            target, new Net(backend, RandomSource.seeded(1), DType.FLOAT32), null, META));
            assertTrue(e.getMessage().contains("not written (any previous file is unchanged): "), e.getMessage());
            assertEquals(List.of("c.safetensors"), Fixtures.listing(dir));
            assertEquals(List.of("keep.txt"), Fixtures.listing(target));
        }
    }

    @Test
    void a_missing_directory_fails_clearly() {
        try (Backend backend = Backends.create("cpu")) {
            Path file = dir.resolve("no-such-dir").resolve("c.safetensors");
            CheckpointException e = assertThrows(
                    CheckpointException.class,
                    () -> Checkpoints.save(file, new Net(backend, RandomSource.seeded(1), DType.FLOAT32), null, META));
            assertTrue(e.getMessage().startsWith("checkpoint " + file + ": not written"), e.getMessage());
            assertFalse(Files.exists(dir.resolve("no-such-dir")));
        }
    }

    @Test
    void metadata_that_is_not_unicode_is_refused_before_any_file_is_made() throws IOException {
        try (Backend backend = Backends.create("cpu")) {
            Path file = dir.resolve("c.safetensors");
            CheckpointException e = assertThrows(
                    CheckpointException.class,
                    () -> Checkpoints.save(
                            file,
                            new Net(backend, RandomSource.seeded(1), DType.FLOAT32),
                            null,
                            META.withExtra("note", "\ud800")));
            assertTrue(e.getMessage().contains("not valid Unicode"), e.getMessage());
            assertEquals(List.of(), Fixtures.listing(dir));
        }
    }
}
