package org.flows4j.conformance;

import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.BackendOptions;
import org.flows4j.api.backend.Backends;
import org.junit.jupiter.api.Assumptions;

/**
 * The two backends of one run of the kit, created by name through discovery on first use and
 * closed with the test stream. When the target cannot be created, the test that creates it
 * fails with discovery's message (which lists every backend found) and every other test is
 * aborted rather than failed, so the report shows one cause instead of hundreds of copies.
 */
final class Session implements AutoCloseable {

    private final String targetName;
    private final String referenceName;
    private final BackendOptions options;
    private Backend target;
    private Backend reference;
    private RuntimeException targetFailure;
    private RuntimeException referenceFailure;
    private boolean closed;

    /**
     * @param targetName the backend under test
     * @param referenceName the backend it is compared against
     * @param options the target's options; the reference gets the defaults, since options
     *     such as a device name belong to one backend
     */
    public Session(String targetName, String referenceName, BackendOptions options) {
        this.targetName = targetName;
        this.referenceName = referenceName;
        this.options = options;
    }

    /** The name the target was requested by. */
    public String targetName() {
        return targetName;
    }

    /** The target's options. */
    public BackendOptions options() {
        return options;
    }

    /** The name the reference was requested by. */
    public String referenceName() {
        return referenceName;
    }

    /** Creates the target if needed and throws discovery's failure itself: the body of the "starts" test. */
    public synchronized Backend startTarget() {
        if (target == null && targetFailure == null) {
            checkOpen();
            try {
                target = Backends.create(targetName, options);
            } catch (RuntimeException e) {
                targetFailure = e;
            }
        }
        if (targetFailure != null) {
            throw new AssertionError(
                    "backend '" + targetName + "' could not be created: " + targetFailure.getMessage(), targetFailure);
        }
        return target;
    }

    /** Creates the reference if needed and throws discovery's failure itself. */
    public synchronized Backend startReference() {
        if (reference == null && referenceFailure == null) {
            checkOpen();
            try {
                reference = Backends.create(referenceName, BackendOptions.defaults());
            } catch (RuntimeException e) {
                referenceFailure = e;
            }
        }
        if (referenceFailure != null) {
            throw new AssertionError(
                    "reference backend '" + referenceName + "' could not be created: " + referenceFailure.getMessage(),
                    referenceFailure);
        }
        return reference;
    }

    /** The target, or an aborted test when it could not be created (the "starts" test reports why). */
    public Backend target() {
        try {
            return startTarget();
        } catch (AssertionError e) {
            return Assumptions.abort("skipped: " + e.getMessage());
        }
    }

    /** The reference, or an aborted test when it could not be created. */
    public Backend reference() {
        try {
            return startReference();
        } catch (AssertionError e) {
            return Assumptions.abort("skipped: " + e.getMessage());
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the conformance kit's test stream was closed; make a new one");
        }
    }

    /** Closes whichever backends were created. */
    @Override
    public synchronized void close() {
        closed = true;
        try {
            if (target != null) {
                target.close();
            }
        } finally {
            target = null;
            if (reference != null) {
                reference.close();
            }
            reference = null;
        }
    }
}
