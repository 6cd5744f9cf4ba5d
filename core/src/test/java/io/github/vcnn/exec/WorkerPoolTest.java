package io.github.vcnn.exec;

import io.github.vcnn.testing.Allocations;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The shared worker pool: every task once, real parallelism, caps, nesting, several callers, failures, no allocation. */
class WorkerPoolTest {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static WorkerPool pool;

    @BeforeAll
    static void start() {
        pool = new WorkerPool(4); // four threads whatever the machine has: the tests need real concurrency
    }

    @AfterAll
    static void stop() {
        pool.close();
    }

    @Test
    void runsEveryTaskExactlyOnce() {
        for (int tasks : new int[]{1, 2, 3, 4, 5, 17, 1000}) {
            for (int max : new int[]{1, 2, 3, 4, 64}) {
                AtomicIntegerArray runs = new AtomicIntegerArray(tasks);
                pool.run(tasks, max, runs::incrementAndGet);
                for (int i = 0; i < tasks; i++) assertEquals(1, runs.get(i), "task " + i + " of " + tasks + ", maxThreads " + max);
            }
        }
        pool.run(0, 4, i -> fail("no task for tasks = 0"));
    }

    @Test
    void rangesDependOnTheTaskCountOnly() {
        int n = 103, tasks = 7;
        for (int max : new int[]{1, 2, 4}) {
            int[][] got = new int[tasks][];
            AtomicInteger covered = new AtomicInteger();
            pool.runRanges(n, tasks, max, (i, from, to) -> {
                got[i] = new int[]{from, to};
                covered.addAndGet(to - from);
            });
            assertEquals(n, covered.get());
            for (int i = 0; i < tasks; i++) {
                assertEquals(WorkerPool.rangeStart(n, tasks, i), got[i][0], "start of range " + i);
                assertEquals(WorkerPool.rangeStart(n, tasks, i + 1), got[i][1], "end of range " + i);
                assertTrue(got[i][1] - got[i][0] == n / tasks || got[i][1] - got[i][0] == n / tasks + 1, "near-equal ranges");
            }
            assertEquals(0, got[0][0]);
            assertEquals(n, got[tasks - 1][1]);
        }
    }

    /** Four tasks that each wait for the other three can only finish when four threads run them at once. */
    @Test
    void runsTasksInParallelWithTheCallerTakingPart() {
        assertTimeoutPreemptively(LIMIT, () -> {
            for (int round = 0; round < 50; round++) {
                CyclicBarrier barrier = new CyclicBarrier(4);
                Set<Thread> threads = ConcurrentHashMap.newKeySet();
                pool.run(4, 4, i -> {
                    threads.add(Thread.currentThread());
                    await(barrier);
                });
                assertEquals(4, threads.size());
                assertTrue(threads.contains(Thread.currentThread()), "the caller runs tasks too");
            }
        });
    }

    @Test
    void neverRunsOnMoreThreadsThanAsked() {
        assertTimeoutPreemptively(LIMIT, () -> {
            AtomicInteger running = new AtomicInteger(), peak = new AtomicInteger();
            Set<Thread> threads = ConcurrentHashMap.newKeySet();
            for (int round = 0; round < 20; round++) {
                pool.run(8, 2, i -> {
                    threads.add(Thread.currentThread());
                    peak.accumulateAndGet(running.incrementAndGet(), Math::max);
                    sleep(2);
                    running.decrementAndGet();
                });
            }
            assertTrue(peak.get() <= 2, "at most 2 at once, saw " + peak.get());
            assertEquals(2, peak.get(), "two threads overlapped at some point");
            assertTrue(threads.size() >= 2);
        });
    }

    @Test
    void nestedCallsRunInlineWithoutDeadlock() {
        assertTimeoutPreemptively(LIMIT, () -> {
            AtomicIntegerArray inner = new AtomicIntegerArray(4 * 5);
            AtomicInteger wrongThread = new AtomicInteger(), onWorkers = new AtomicInteger();
            CyclicBarrier allBusy = new CyclicBarrier(4);
            pool.run(4, 4, i -> {
                Thread outer = Thread.currentThread();
                boolean worker = WorkerPool.inWorker();
                if (worker) onWorkers.incrementAndGet();
                await(allBusy); // every thread of the pool is busy now, the caller included
                // a nested call must not wait for a worker: it runs all its tasks on this thread
                pool.run(5, 4, j -> {
                    if (Thread.currentThread() != outer) wrongThread.incrementAndGet();
                    inner.incrementAndGet(i * 5 + j);
                });
                // from a worker, a call into another pool runs inline too
                WorkerPool.shared().run(3, 2, j -> {
                    if (worker && Thread.currentThread() != outer) wrongThread.incrementAndGet();
                });
            });
            for (int k = 0; k < inner.length(); k++) assertEquals(1, inner.get(k), "inner task " + k);
            assertEquals(0, wrongThread.get(), "nested tasks run on the thread that made the nested call");
            assertEquals(3, onWorkers.get(), "three of the four outer tasks ran on workers");
        });
    }

    @Test
    void severalApplicationThreadsShareThePool() throws InterruptedException {
        int callers = 6, calls = 300, tasks = 9;
        long[][] sums = new long[callers][calls];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            int caller = c;
            threads.add(new Thread(() -> {
                try {
                    for (int k = 0; k < calls; k++) {
                        long[] parts = new long[tasks];
                        int call = k;
                        pool.runRanges(1000, tasks, 4, (i, from, to) -> {
                            long s = 0;
                            for (int v = from; v < to; v++) s += (long) v * (caller + 1) + call;
                            parts[i] = s;
                        });
                        long s = 0;
                        for (long p : parts) s += p;
                        sums[caller][k] = s;
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }, "caller-" + c));
        }
        for (Thread t : threads) t.start();
        for (Thread t : threads) {
            t.join(LIMIT.toMillis());
            assertFalse(t.isAlive(), t.getName() + " did not finish: deadlock?");
        }
        if (failure.get() != null) throw new AssertionError(failure.get());
        for (int c = 0; c < callers; c++) {
            for (int k = 0; k < calls; k++) {
                assertEquals(499_500L * (c + 1) + 1000L * k, sums[c][k], "caller " + c + " call " + k);
            }
        }
    }

    @Test
    void aFailingTaskFailsTheCallAndThePoolStaysUsable() {
        assertTimeoutPreemptively(LIMIT, () -> {
            IllegalStateException boom = new IllegalStateException("task 5 failed");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.run(16, 4, i -> {
                if (i == 5) throw boom;
            }));
            assertSame(boom, e);
            AssertionError error = assertThrows(AssertionError.class, () -> pool.run(4, 4, i -> {
                throw new AssertionError("all fail " + i);
            }));
            assertTrue(error.getMessage().startsWith("all fail"));
            // inline path (one thread) throws the task's own exception too
            assertSame(boom, assertThrows(IllegalStateException.class, () -> pool.run(3, 1, i -> {
                throw boom;
            })));
            AtomicIntegerArray runs = new AtomicIntegerArray(100);
            pool.run(100, 4, runs::incrementAndGet);
            for (int i = 0; i < 100; i++) assertEquals(1, runs.get(i));
        });
    }

    @Test
    void aCallAllocatesNothingOnceTheCallerHasMadeOne() {
        long[] sink = new long[8];
        WorkerPool.Task task = i -> sink[i] += i; // created once, as a model's slice tasks are
        WorkerPool.RangeTask ranges = (i, from, to) -> sink[i] += to - from;
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        CyclicBarrier barrier = new CyclicBarrier(4);
        pool.run(4, 4, i -> {
            threads.add(Thread.currentThread());
            await(barrier);
        });
        threads.remove(Thread.currentThread());
        long[] ids = Allocations.threadIds(Thread.currentThread(), new ArrayList<>(threads)); // the caller and the 3 workers
        for (int i = 0; i < 2000; i++) {
            pool.run(8, 4, task);
            pool.runRanges(1000, 8, 4, ranges);
        }
        Runnable calls = () -> {
            pool.run(8, 4, task);
            pool.runRanges(1000, 8, 4, ranges);
        };
        long best = Allocations.smallestWindow(ids, 20, 500, calls);
        assertEquals(0, best, "500 pool calls allocated at least " + best + " bytes on the caller and the workers");
        // the measurement can see an allocation: one array per call makes every window allocate
        long perCall = Allocations.smallestWindow(ids, 20, 500, () -> pool.run(8, 4, i -> sink[i] += new long[4].length));
        assertTrue(perCall >= 500 * 16, "a capturing lambda and an array per call must show: " + perCall);
    }

    @Test
    void closedPoolRunsInline() {
        WorkerPool p = new WorkerPool(3);
        p.close();
        List<Thread> seen = Collections.synchronizedList(new ArrayList<>());
        p.run(5, 3, i -> seen.add(Thread.currentThread()));
        assertEquals(5, seen.size());
        assertTrue(new HashSet<>(seen).equals(Set.of(Thread.currentThread())));
    }

    @Test
    void sharedPoolIsSizedOnceAndCannotBeClosed() {
        WorkerPool shared = WorkerPool.shared();
        assertSame(shared, WorkerPool.shared());
        assertTrue(WorkerPool.sharedStarted());
        WorkerPool.configureShared(shared.threads()); // the same size again is fine
        int other = shared.threads() == 1 ? 2 : 1;
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> WorkerPool.configureShared(other));
        assertTrue(e.getMessage().contains("already runs with " + shared.threads()), e.getMessage());
        assertThrows(IllegalStateException.class, shared::close);
        assertThrows(IllegalArgumentException.class, () -> WorkerPool.configureShared(0));
        assertThrows(IllegalArgumentException.class, () -> new WorkerPool(0));
        assertThrows(IllegalArgumentException.class, () -> pool.run(-1, 1, i -> { }));
        assertThrows(IllegalArgumentException.class, () -> pool.run(1, 0, i -> { }));
        assertThrows(IllegalArgumentException.class, () -> pool.run(1, 1, null));
        String property = System.getProperty(WorkerPool.THREADS_PROPERTY);
        if (property != null) assertEquals(Integer.parseInt(property.trim()), WorkerPool.defaultThreads());
        else assertEquals(Runtime.getRuntime().availableProcessors(), WorkerPool.defaultThreads());
        assertNotEquals(0, shared.threads());
    }

    @Test
    void badPropertyValuesAreReported() {
        String old = System.getProperty(WorkerPool.THREADS_PROPERTY);
        try {
            System.setProperty(WorkerPool.THREADS_PROPERTY, "two");
            assertTrue(assertThrows(IllegalStateException.class, WorkerPool::defaultThreads).getMessage().contains("vcnn.threads=two"));
            System.setProperty(WorkerPool.THREADS_PROPERTY, "0");
            assertThrows(IllegalStateException.class, WorkerPool::defaultThreads);
            System.setProperty(WorkerPool.THREADS_PROPERTY, " 3 ");
            assertEquals(3, WorkerPool.defaultThreads());
        } finally {
            if (old == null) System.clearProperty(WorkerPool.THREADS_PROPERTY);
            else System.setProperty(WorkerPool.THREADS_PROPERTY, old);
        }
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
            throw new AssertionError("the four tasks did not run at the same time", e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
