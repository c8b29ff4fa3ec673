package org.flows4j.conformance.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.backend.Storage;
import org.flows4j.api.tensor.MemoryScope;
import org.flows4j.api.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Memory scopes free what they made, exactly once, in an order that keeps views valid. The
 * backend is the reference one behind a proxy that records every storage it frees.
 */
@SuppressWarnings("try") // scopes opened only for their close()
class MemoryScopeTest {

    private Backend cpu;
    private Backend backend;
    private final Set<Storage> freed = Collections.newSetFromMap(new IdentityHashMap<>());
    private int freeCalls;

    @BeforeEach
    void open() {
        cpu = Backends.create("cpu");
        backend = (Backend) Proxy.newProxyInstance(
                Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (proxy, method, args) -> {
                    if (method.getName().equals("free")) {
                        freeCalls++;
                        assertTrue(freed.add((Storage) args[0]), "a storage was freed twice");
                    }
                    if (method.getName().equals("holdsNativeMemory")) {
                        return true; // behave like a native backend: frees matter
                    }
                    try {
                        return method.invoke(cpu, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @AfterEach
    void close() {
        cpu.close();
    }

    private Tensor vector(double... v) {
        return Tensor.of(backend, v, v.length);
    }

    @Test
    void freesWhatItMadeAndUsingItAfterwardsThrows() {
        Tensor a;
        Tensor b;
        try (MemoryScope ignored = MemoryScope.open()) {
            a = vector(1, 2, 3);
            b = a.exp();
            assertFalse(b.isFreed());
        }
        assertTrue(a.isFreed() && b.isFreed());
        assertEquals(2, freeCalls);
        IllegalStateException e = assertThrows(IllegalStateException.class, b::toDoubleArray);
        assertTrue(e.getMessage().contains("was freed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> a.add(a));
    }

    @Test
    void keptTensorsMoveToTheEnclosingScope() {
        Tensor kept;
        try (MemoryScope outer = MemoryScope.open()) {
            try (MemoryScope inner = MemoryScope.open()) {
                Tensor t = vector(1, 2);
                kept = inner.keep(t.mul(t));
            }
            assertEquals(1, freeCalls);
            assertArrayEquals(new double[] {1, 4}, kept.toDoubleArray());
        }
        assertTrue(kept.isFreed());
        assertEquals(2, freeCalls);
    }

    @Test
    void keptAtTheOutermostLevelLivesUntilFreedExplicitly() {
        Tensor kept;
        try (MemoryScope scope = MemoryScope.open()) {
            kept = vector(5).keep();
        }
        assertEquals(0, freeCalls);
        assertEquals(5, kept.item());
        kept.free();
        kept.free();
        assertEquals(1, freeCalls);
    }

    @Test
    void closingTwiceIsHarmlessAndClosingAnOuterScopeClosesInnerOnes() {
        MemoryScope outer = MemoryScope.open();
        MemoryScope inner = MemoryScope.open();
        Tensor t = vector(1);
        outer.close();
        assertTrue(t.isFreed());
        inner.close();
        outer.close();
        assertEquals(1, freeCalls);
        try (MemoryScope fresh = MemoryScope.open()) {
            Tensor u = vector(2);
            assertEquals(2, u.item()); // the stack is usable again after the out-of-order close
        }
    }

    @Test
    void aKeptViewKeepsItsBaseAlive() {
        Tensor view;
        Tensor base;
        try (MemoryScope scope = MemoryScope.open()) {
            base = Tensor.of(backend, new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
            view = scope.keep(base.reshape(3, 2));
        }
        assertTrue(base.isFreed(), "the base tensor itself is freed");
        assertThrows(IllegalStateException.class, base::toDoubleArray);
        assertArrayEquals(
                new double[] {1, 2, 3, 4, 5, 6}, view.toDoubleArray(), "the view's elements outlive the base tensor");
        int before = freeCalls;
        view.free();
        assertTrue(freeCalls > before, "freeing the last view frees the storage");
    }

    @Test
    void tensorsOfOtherThreadsAreNotAdopted() throws InterruptedException {
        Tensor[] made = new Tensor[1];
        try (MemoryScope scope = MemoryScope.open()) {
            Thread th = new Thread(() -> made[0] = vector(3));
            th.start();
            th.join();
        }
        assertFalse(made[0].isFreed(), "a scope owns only what its own thread made");
        made[0].free();
    }
}
