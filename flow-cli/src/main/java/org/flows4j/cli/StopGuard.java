package org.flows4j.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.flows4j.zoo.train.ZooTrainer;

/**
 * Ctrl-C during training: a shutdown hook asks the trainer to stop after the current step and
 * write {@code last.safetensors}, then holds the JVM's exit until the command has reported
 * (closed this guard), at most {@value #WAIT_SECONDS} seconds, so that a step that hangs cannot
 * keep the process alive forever.
 */
final class StopGuard implements AutoCloseable {

    static final int WAIT_SECONDS = 60;

    private final CountDownLatch reported = new CountDownLatch(1);
    private final Thread hook;

    StopGuard(ZooTrainer trainer, Terminal terminal) {
        hook = new Thread(
                () -> {
                    if (reported.getCount() == 0) {
                        return;
                    }
                    terminal.err().println();
                    terminal.err()
                            .println("flows4j: stopping after this step; writing the checkpoint (waiting at most "
                                    + WAIT_SECONDS + " s)");
                    terminal.err().flush();
                    trainer.requestStop();
                    try {
                        if (!reported.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                            terminal.err()
                                    .println(
                                            "flows4j: gave up waiting for the checkpoint after " + WAIT_SECONDS + " s");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                "flows4j-stop");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** The command has reported: the hook lets the JVM exit, and a normal exit no longer runs it. */
    @Override
    public void close() {
        reported.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running (Ctrl-C) and has just been released
        }
    }
}
