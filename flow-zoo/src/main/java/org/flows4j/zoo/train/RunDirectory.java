package org.flows4j.zoo.train;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.flows4j.layers.io.CheckpointException;

/**
 * A training run's output directory, held by one writer at a time: an exclusive lock on
 * {@value #LOCK_FILE} inside it, taken when the directory is opened and released on
 * {@link #close()} or when the process ends (the operating system drops the lock of a killed
 * process, so a lock is never stale after a crash). The lock file holds the holder's process id,
 * for the message another writer gets.
 *
 * <p>Opening the directory also removes what killed writers left: the temporary files of
 * atomic checkpoint writes ({@code .NAME.<hex>.tmp}), which only a live writer can be
 * writing, and none is live once the lock is held.
 */
public final class RunDirectory implements AutoCloseable {

    /** The lock file's name inside the directory. */
    public static final String LOCK_FILE = ".flows4j.lock";

    /** What {@code Checkpoints.save} names its temporary files: {@code .NAME.<hex>.tmp}. */
    private static final Pattern TEMPORARY = Pattern.compile("\\..+\\.safetensors\\.[0-9a-f]{1,16}\\.tmp");

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;
    private final List<Path> removed;

    private RunDirectory(Path dir, FileChannel channel, FileLock lock, List<Path> removed) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
        this.removed = removed;
    }

    /**
     * Creates {@code dir} if needed, locks it for this process and removes stale temporary
     * checkpoint files.
     *
     * @param dir the run's output directory; created with its parents if missing
     * @return the locked directory, the caller's to {@link #close()} (try-with-resources) to release the lock
     * @throws RunDirectoryLockedException if another live process (or another run in this one)
     *     writes the directory, naming its process id
     * @throws CheckpointException if the directory or its lock file cannot be created
     */
    public static RunDirectory open(Path dir) {
        Path lockFile = dir.resolve(LOCK_FILE);
        FileChannel channel = null;
        try {
            Files.createDirectories(dir);
            channel = FileChannel.open(
                    lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException sameProcess) {
                lock = null;
            }
            if (lock == null) {
                String holder = holder(channel);
                channel.close();
                throw new RunDirectoryLockedException(dir, holder);
            }
            channel.truncate(0);
            channel.write(
                    ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            channel.force(false);
            return new RunDirectory(dir, channel, lock, removeTemporaries(dir));
        } catch (IOException e) {
            closeQuietly(channel);
            throw new CheckpointException(lockFile, "cannot lock the run directory " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String holder(FileChannel channel) {
        try {
            ByteBuffer b = ByteBuffer.allocate(32);
            channel.read(b, 0);
            String pid = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).strip();
            return pid.matches("\\d{1,19}") ? pid : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static List<Path> removeTemporaries(Path dir) throws IOException {
        List<Path> removed = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                if (TEMPORARY.matcher(f.getFileName().toString()).matches() && Files.isRegularFile(f)) {
                    Files.deleteIfExists(f);
                    removed.add(f);
                }
            }
        }
        return List.copyOf(removed);
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the open failure is the one to report
            }
        }
    }

    /**
     * The directory.
     *
     * @return the directory as given to {@link #open}
     */
    public Path dir() {
        return dir;
    }

    /**
     * The stale temporary files removed when the directory was opened.
     *
     * @return the removed files, immutable; empty when there were none
     */
    public List<Path> removedTemporaryFiles() {
        return removed;
    }

    /** Releases the lock; the lock file stays (removing it would let two writers lock two files). */
    @Override
    public void close() throws IOException {
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } finally {
            channel.close();
        }
    }
}
