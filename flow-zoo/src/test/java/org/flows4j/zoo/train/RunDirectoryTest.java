package org.flows4j.zoo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One writer per run directory, and what killed writers left is removed when it is opened. */
class RunDirectoryTest {

    @Test
    void a_second_writer_is_refused_naming_the_holders_pid_until_the_first_closes(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        try (RunDirectory first = RunDirectory.open(run)) {
            assertTrue(Files.isDirectory(run));
            RunDirectoryLockedException e =
                    assertThrows(RunDirectoryLockedException.class, () -> RunDirectory.open(run));
            assertEquals(Long.toString(ProcessHandle.current().pid()), e.holderPid());
            assertTrue(
                    e.getMessage()
                            .contains("(process " + ProcessHandle.current().pid() + ")"),
                    e.getMessage());
        }
        try (RunDirectory again = RunDirectory.open(run)) {
            assertEquals(run, again.dir());
        }
    }

    @Test
    void stale_temporary_checkpoints_are_removed_and_nothing_else(@TempDir Path dir) throws Exception {
        Path stale = Files.write(dir.resolve(".last.safetensors.1f2e3d4c5b6a7988.tmp"), new byte[16]);
        Path checkpoint = Files.write(dir.resolve("last.safetensors"), new byte[16]);
        Path other = Files.write(dir.resolve(".notes.tmp"), new byte[1]);
        try (RunDirectory run = RunDirectory.open(dir)) {
            assertEquals(List.of(stale), run.removedTemporaryFiles());
        }
        assertFalse(Files.exists(stale));
        assertTrue(Files.exists(checkpoint) && Files.exists(other));
    }
}
