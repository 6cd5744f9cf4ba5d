package io.github.vcnn.graph;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * A bounded pool of scratch objects handed out per call: at most {@code max} exist, created on first need; a caller
 * finding none free waits, first come first served (a virtual thread parks, freeing its carrier). Taking and returning
 * one is a semaphore permit and a compare-and-set: no allocation when uncontended; a caller that has to wait allocates
 * the semaphore's queue node (some 30 bytes) for that wait.
 */
final class ArenaPool<T> {
    private final Semaphore permits;
    private final AtomicReferenceArray<T> free;
    private final Supplier<T> factory;
    private final java.util.concurrent.atomic.AtomicInteger created = new java.util.concurrent.atomic.AtomicInteger();

    ArenaPool(int max, Supplier<T> factory) {
        // fair: waiting callers get arenas in arrival order; a barging semaphore lets a few threads starve for many
        // calls when there are more callers than arenas, which is what a service's p99 latency sees
        this.permits = new Semaphore(max, true);
        this.free = new AtomicReferenceArray<>(max);
        this.factory = factory;
        for (int i = 0; i < max; i++) free.set(i, null);
    }

    /** Number of slots (the most objects that can exist). */
    int capacity() {
        return free.length();
    }

    T take() {
        permits.acquireUninterruptibly();
        int n = free.length();
        for (int i = 0; i < n; i++) {
            T t = free.get(i);
            if (t != null && free.compareAndSet(i, t, null)) return t;
        }
        // None idle (or one was given back just after the scan passed its slot): create one. At most max are out at
        // once; an extra object made in that race finds no free slot on return and is dropped.
        try {
            T t = factory.get();
            created.incrementAndGet();
            return t;
        } catch (RuntimeException | Error e) {
            permits.release();
            throw e;
        }
    }

    void give(T t) {
        int n = free.length();
        for (int i = 0; i < n; i++) {
            if (free.get(i) == null && free.compareAndSet(i, null, t)) {
                permits.release();
                return;
            }
        }
        permits.release(); // cannot happen (at most max exist); drop the object
    }

    /** Objects created so far. */
    int created() {
        return created.get();
    }

    /** Objects created so far and idle now (for tests and the summary). */
    int idle() {
        int c = 0;
        for (int i = 0; i < free.length(); i++) if (free.get(i) != null) c++;
        return c;
    }
}
