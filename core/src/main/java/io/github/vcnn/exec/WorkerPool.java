package io.github.vcnn.exec;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The library's worker threads: one fixed set of daemon threads, created once, that runs numbered tasks
 * with the calling thread taking part. {@link #shared()} is the pool every part of vcnn uses
 * ({@code Sequential}'s batch slices, and kernels that split one call); private pools ({@link #WorkerPool(int)})
 * exist for tests and for callers that want isolation.
 *
 * <h2>Size</h2>
 * {@link #threads()} counts the caller: a pool of {@code T} threads has {@code T - 1} workers. The shared pool's
 * size is, in this order: {@link #configureShared(int)} if it was called before the first {@link #shared()};
 * the system property {@value #THREADS_PROPERTY} ({@code -Dvcnn.threads=4}); the number of available processors.
 * Workers spin for {@value #SPIN_PROPERTY} microseconds (default {@value #DEFAULT_SPIN_MICROS}) after a job
 * before they park, so that back-to-back calls (one per kernel) do not pay a wake-up each.
 *
 * <h2>Running tasks</h2>
 * {@link #run(int, int, Task)} calls {@code task.run(i)} exactly once for every {@code i} in {@code [0, tasks)}
 * and returns when all have finished. The caller claims tasks itself and the idle workers claim the others
 * (at most {@code maxThreads - 1} of them), so a call makes progress even when every worker is busy with
 * another caller's job. Which thread runs task {@code i} is not fixed, but what task {@code i} covers is:
 * {@link #runRanges} gives task {@code i} the range {@code [rangeStart(n, tasks, i), rangeStart(n, tasks, i + 1))},
 * which depends on {@code n} and {@code tasks} only. Results that must not depend on the thread count should
 * therefore fix the task count and combine per-task results in task order (as {@code Sequential} does).
 *
 * <ul>
 * <li><b>No allocation per call</b> once a calling thread has made its first call: each calling thread owns one
 *     reusable job object; tasks are objects the caller creates once (a field holding {@code this::method},
 *     not a capturing lambda per call).</li>
 * <li><b>Thread-safe</b>: any number of application threads may call at once; each waits only for its own tasks.</li>
 * <li><b>Nested calls run inline</b>: a call from inside a task (on a worker or on the caller) runs all its tasks
 *     on the current thread, in index order, so nesting can never deadlock.</li>
 * <li><b>Failures</b>: the first exception thrown by a task stops the claiming of further tasks; the call rethrows
 *     it once the tasks already started have finished (later exceptions are added as suppressed).</li>
 * <li>Writes made by the caller before the call are visible to every task, and writes made by the tasks are
 *     visible to the caller after the call returns.</li>
 * </ul>
 */
public final class WorkerPool implements AutoCloseable {
    /** System property: the shared pool's size, the caller included (default: available processors). */
    public static final String THREADS_PROPERTY = "vcnn.threads";
    /** System property: how long an idle worker spins before it parks, in microseconds. */
    public static final String SPIN_PROPERTY = "vcnn.threads.spinMicros";
    static final int DEFAULT_SPIN_MICROS = 50;
    /** The largest pool size accepted. */
    public static final int MAX_THREADS = 1024;

    /** One numbered task; {@code index} is in {@code [0, tasks)}. */
    @FunctionalInterface
    public interface Task {
        void run(int index);
    }

    /** Task {@code index} of a split range: it covers {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int index, int from, int to);
    }

    private static final Object SHARED_LOCK = new Object();
    private static volatile WorkerPool shared;
    private static int configuredThreads;

    private final int threads;
    private final long spinNanos;
    private final Worker[] workers;
    private final ThreadLocal<Job> jobs = ThreadLocal.withInitial(Job::new);
    /** Guards the queue of published jobs (an intrusive list through {@link Job#nextQueued}). */
    private final Object lock = new Object();
    private Job head, tail;
    /** Bumped on every publication, so spinning workers notice new work without taking the lock. */
    private volatile long epoch;
    private volatile boolean closed;

    /**
     * A private pool of {@code threads} threads, the caller included: starts {@code threads - 1} daemon workers
     * named {@code vcnn-pool-N-worker-M}. {@link #close()} stops them.
     */
    public WorkerPool(int threads) {
        this(threads, "vcnn-pool-" + POOLS.incrementAndGet() + "-worker-", spinMicros());
    }

    private static final AtomicInteger POOLS = new AtomicInteger();

    private WorkerPool(int threads, String namePrefix, long spinMicros) {
        checkThreads(threads, "threads");
        this.threads = threads;
        this.spinNanos = spinMicros * 1000L;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(this, namePrefix + (i + 1));
        }
        for (Worker w : workers) w.start();
    }

    // ---- the shared pool ----------------------------------------------------------------------------------------

    /** The library-wide pool, created (with its threads) on the first call. */
    public static WorkerPool shared() {
        WorkerPool p = shared;
        if (p != null) return p;
        synchronized (SHARED_LOCK) {
            if (shared == null) {
                int t = configuredThreads > 0 ? configuredThreads : defaultThreads();
                shared = new WorkerPool(t, "vcnn-worker-", spinMicros());
            }
            return shared;
        }
    }

    /**
     * Sets the shared pool's size (the caller included) before its first use. Calling it again with the same size,
     * or after the pool exists with that size, is fine; any other size after the pool was created throws
     * {@link IllegalStateException}, since the threads are created only once.
     */
    public static void configureShared(int threads) {
        checkThreads(threads, "threads");
        synchronized (SHARED_LOCK) {
            if (shared != null && shared.threads != threads) {
                throw new IllegalStateException("the shared vcnn worker pool already runs with " + shared.threads
                        + " threads; configure it (" + threads + ") before its first use, or set -D" + THREADS_PROPERTY);
            }
            configuredThreads = threads;
        }
    }

    /** True once {@link #shared()} has created the shared pool. */
    public static boolean sharedStarted() {
        return shared != null;
    }

    /** The size the shared pool gets without {@link #configureShared}: {@value #THREADS_PROPERTY}, else the available processors. */
    public static int defaultThreads() {
        String v = System.getProperty(THREADS_PROPERTY);
        if (v == null || v.isBlank()) return Math.min(MAX_THREADS, Runtime.getRuntime().availableProcessors());
        int t;
        try {
            t = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalStateException("-D" + THREADS_PROPERTY + "=" + v + " is not a whole number", e);
        }
        if (t < 1 || t > MAX_THREADS) throw new IllegalStateException("-D" + THREADS_PROPERTY + "=" + v + " must be in [1, " + MAX_THREADS + "]");
        return t;
    }

    private static long spinMicros() {
        String v = System.getProperty(SPIN_PROPERTY);
        if (v == null || v.isBlank()) return DEFAULT_SPIN_MICROS;
        try {
            long s = Long.parseLong(v.trim());
            if (s >= 0 && s <= 1_000_000) return s;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalStateException("-D" + SPIN_PROPERTY + "=" + v + " must be a whole number of microseconds in [0, 1000000]");
    }

    private static void checkThreads(int threads, String name) {
        if (threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException(name + " must be in [1, " + MAX_THREADS + "], got " + threads);
        }
    }

    // ---- running ------------------------------------------------------------------------------------------------

    /** The pool's size: its workers plus the calling thread. */
    public int threads() {
        return threads;
    }

    /**
     * The threads a kernel call asking for {@code threads} can use: 1 from inside a worker (a nested call runs inline),
     * else {@code threads} capped by the {@link #shared()} pool's size.
     */
    public static int usable(int threads) {
        return threads <= 1 || inWorker() ? 1 : Math.min(threads, shared().threads());
    }

    /** Elementwise work on fewer elements than this runs on the caller: a pool hand-off costs more (see {@link #runElements}). */
    public static final int PARALLEL_ELEMENTS_MIN = 1 << 15;

    /**
     * An elementwise pass over {@code [0, n)} on up to {@code threads} threads: {@code body.run(0, 0, n)} on the caller
     * under {@link #PARALLEL_ELEMENTS_MIN} elements or one usable thread (the shared pool is not started for it), else
     * {@link #runRanges} on the {@link #shared()} pool, one range per usable thread. The split never changes a result
     * when each element's update depends on that element only (a gradient sum, an optimizer step).
     */
    public static void runElements(int n, int threads, RangeTask body) {
        int t = n < PARALLEL_ELEMENTS_MIN ? 1 : usable(threads);
        if (t == 1) body.run(0, 0, n);
        else shared().runRanges(n, t, t, body);
    }

    /** True when the current thread is a worker of some vcnn pool (a call from it runs inline). */
    public static boolean inWorker() {
        return Thread.currentThread() instanceof Worker;
    }

    /** {@link #run(int, int, Task)} on up to {@link #threads()} threads. */
    public void run(int tasks, Task task) {
        run(tasks, threads, task);
    }

    /**
     * Runs {@code task.run(i)} once for each {@code i} in {@code [0, tasks)} on at most {@code maxThreads} threads,
     * the caller included, and returns when all are done. Inline (on the caller, in index order) when
     * {@code tasks} or {@code maxThreads} is 1, in a nested call, and after {@link #close()}.
     */
    public void run(int tasks, int maxThreads, Task task) {
        if (task == null) throw new IllegalArgumentException("task is null");
        execute(tasks, maxThreads, task, null, 0);
    }

    /**
     * Splits {@code [0, n)} into {@code tasks} contiguous ranges and runs {@code body.run(i, from, to)} for each on
     * at most {@code maxThreads} threads, as {@link #run(int, int, Task)}. Range {@code i} is
     * {@code [rangeStart(n, tasks, i), rangeStart(n, tasks, i + 1))} whatever the thread count (some may be empty
     * when {@code tasks > n}).
     */
    public void runRanges(int n, int tasks, int maxThreads, RangeTask body) {
        if (body == null) throw new IllegalArgumentException("body is null");
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
        execute(tasks, maxThreads, null, body, n);
    }

    /** The first index of range {@code i} when {@code [0, n)} is cut into {@code tasks} near-equal contiguous ranges. */
    public static int rangeStart(int n, int tasks, int i) {
        return (int) ((long) n * i / tasks);
    }

    private void execute(int tasks, int maxThreads, Task task, RangeTask body, int n) {
        if (tasks < 0) throw new IllegalArgumentException("tasks must be >= 0, got " + tasks);
        if (maxThreads < 1) throw new IllegalArgumentException("maxThreads must be >= 1, got " + maxThreads);
        if (tasks == 0) return;
        int helpers = Math.min(Math.min(maxThreads, threads), tasks) - 1;
        if (helpers <= 0 || closed || Thread.currentThread() instanceof Worker) {
            inline(tasks, task, body, n);
            return;
        }
        Job job = jobs.get();
        if (job.active) { // called from inside one of this thread's own tasks
            inline(tasks, task, body, n);
            return;
        }
        job.start(Thread.currentThread(), tasks, helpers, task, body, n);
        publish(job);
        wake(helpers);
        try {
            job.work();
        } finally {
            withdraw(job);
            job.awaitHelpers(spinNanos);
            job.active = false;
        }
        Throwable failure = job.finish();
        if (failure != null) throw rethrow(failure);
    }

    private static void inline(int tasks, Task task, RangeTask body, int n) {
        for (int i = 0; i < tasks; i++) {
            if (task != null) task.run(i);
            else body.run(i, rangeStart(n, tasks, i), rangeStart(n, tasks, i + 1));
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        throw new IllegalStateException("a vcnn worker task failed", t);
    }

    private void publish(Job job) {
        synchronized (lock) {
            if (tail == null) head = job;
            else tail.nextQueued = job;
            tail = job;
            epoch++;
        }
    }

    /** Takes the job off the queue: no worker joins it from now on. */
    private void withdraw(Job job) {
        synchronized (lock) {
            Job prev = null;
            for (Job j = head; j != null; prev = j, j = j.nextQueued) {
                if (j != job) continue;
                if (prev == null) head = j.nextQueued;
                else prev.nextQueued = j.nextQueued;
                if (tail == j) tail = prev;
                j.nextQueued = null;
                return;
            }
        }
    }

    /** Unparks up to {@code n} parked workers. */
    private void wake(int n) {
        for (int i = 0; i < workers.length && n > 0; i++) {
            Worker w = workers[i];
            if (w.parked) {
                n--;
                LockSupport.unpark(w);
            }
        }
    }

    /** A queued job that still has unclaimed tasks and room for a helper, joined as a helper; or null. */
    private Job take() {
        synchronized (lock) {
            for (Job j = head; j != null; j = j.nextQueued) {
                if (j.hasUnclaimed() && j.helpers.get() < j.maxHelpers) {
                    j.helpers.incrementAndGet();
                    return j;
                }
            }
            return null;
        }
    }

    private boolean hasWork() {
        synchronized (lock) {
            for (Job j = head; j != null; j = j.nextQueued) {
                if (j.hasUnclaimed() && j.helpers.get() < j.maxHelpers) return true;
            }
            return false;
        }
    }

    private void workerLoop(Worker self) {
        while (!closed) {
            long seen = epoch; // read before looking: a job published after this read changes it
            Job job = take();
            if (job != null) {
                try {
                    job.work();
                } finally {
                    job.leave();
                }
                continue;
            }
            long deadline = System.nanoTime() + spinNanos;
            boolean fresh = false;
            while (System.nanoTime() < deadline) {
                if (epoch != seen || closed) {
                    fresh = true;
                    break;
                }
                Thread.onSpinWait();
            }
            if (fresh) continue;
            self.parked = true;
            if (!hasWork() && !closed) LockSupport.park(this);
            self.parked = false;
            Thread.interrupted(); // a worker's interrupt status means nothing; park must not return at once forever
        }
    }

    /**
     * Stops the workers of a private pool (they finish the task they run); later calls run inline on the caller.
     * The shared pool cannot be closed.
     */
    @Override
    public void close() {
        if (this == shared) throw new IllegalStateException("the shared vcnn worker pool cannot be closed");
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w);
    }

    @Override
    public String toString() {
        return "WorkerPool[" + threads + " threads" + (closed ? ", closed" : "") + "]";
    }

    // ---- internals ----------------------------------------------------------------------------------------------

    private static final class Worker extends Thread {
        private final WorkerPool pool;
        volatile boolean parked;

        Worker(WorkerPool pool, String name) {
            super(name);
            this.pool = pool;
            setDaemon(true);
        }

        @Override
        public void run() {
            pool.workerLoop(this);
        }
    }

    /** One call's tasks; owned by its calling thread and reused by its next call. */
    private static final class Job {
        final AtomicInteger next = new AtomicInteger();
        /** Workers that joined the job and have not left it yet. */
        final AtomicInteger helpers = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread owner;
        int count, maxHelpers, n;
        Task task;
        RangeTask body;
        /** True from start to the end of the owner's call (a call of the owner while true is nested). */
        boolean active;
        /** The next job in the pool's queue (guarded by the pool's lock). */
        Job nextQueued;

        void start(Thread owner, int count, int maxHelpers, Task task, RangeTask body, int n) {
            this.owner = owner;
            this.count = count;
            this.maxHelpers = maxHelpers;
            this.task = task;
            this.body = body;
            this.n = n;
            this.failure.set(null);
            this.helpers.set(0);
            this.active = true;
            this.next.set(0); // last: a plain-field write before this volatile write is visible to every claimer
        }

        boolean hasUnclaimed() {
            return next.get() < count;
        }

        /** Claims and runs tasks until none is left (or one failed). */
        void work() {
            int c = count;
            for (int i = next.getAndIncrement(); i < c; i = next.getAndIncrement()) {
                try {
                    if (task != null) task.run(i);
                    else body.run(i, rangeStart(n, c, i), rangeStart(n, c, i + 1));
                } catch (Throwable t) {
                    if (!failure.compareAndSet(null, t)) {
                        Throwable first = failure.get();
                        if (first != t) first.addSuppressed(t);
                    }
                    next.set(c); // no further claims
                    return;
                }
            }
        }

        void leave() {
            Thread o = owner; // read before leaving: once the last helper left, the owner may reuse the job
            helpers.decrementAndGet();
            LockSupport.unpark(o);
        }

        /** Waits (spinning up to {@code spinNanos}, then parked) until every helper has left. */
        void awaitHelpers(long spinNanos) {
            if (helpers.get() == 0) return;
            long deadline = System.nanoTime() + spinNanos;
            while (helpers.get() != 0 && System.nanoTime() < deadline) Thread.onSpinWait();
            boolean interrupted = false;
            while (helpers.get() != 0) {
                LockSupport.park(this);
                if (Thread.interrupted()) interrupted = true;
            }
            if (interrupted) Thread.currentThread().interrupt();
        }

        /** The failure of this call (or null), and forgets the call's references. */
        Throwable finish() {
            Throwable f = failure.getAndSet(null);
            task = null;
            body = null;
            owner = null;
            return f;
        }
    }
}
