package io.github.vcnn.testing;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * Heap bytes allocated by given threads ({@code com.sun.management.ThreadMXBean.getThreadAllocatedBytes}), read through
 * an exact method handle so that reading allocates nothing itself (the tests compile inside the module, which does not
 * read jdk.management, hence no direct reference).
 */
public final class Allocations {
    private static final Object BEAN = ManagementFactory.getThreadMXBean();
    private static final MethodHandle ALLOCATED;

    static {
        try {
            Class<?> type = Class.forName("com.sun.management.ThreadMXBean");
            ALLOCATED = MethodHandles.publicLookup()
                    .findVirtual(type, "getThreadAllocatedBytes", MethodType.methodType(long.class, long.class))
                    .asType(MethodType.methodType(long.class, Object.class, long.class));
            type.getMethod("setThreadAllocatedMemoryEnabled", boolean.class).invoke(BEAN, true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Allocations() {
    }

    /** The sum of the bytes allocated so far by the threads with these ids (a thread that ended counts 0). */
    public static long allocated(long[] threadIds) {
        long sum = 0;
        for (long id : threadIds) {
            long a;
            try {
                a = (long) ALLOCATED.invokeExact(BEAN, id);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            if (a > 0) sum += a;
        }
        return sum;
    }

    /** The live threads whose name starts with {@code prefix}. */
    public static List<Thread> threadsNamed(String prefix) {
        List<Thread> found = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) if (t.getName().startsWith(prefix)) found.add(t);
        return found;
    }

    public static long[] threadIds(Thread first, List<Thread> more) {
        long[] ids = new long[1 + more.size()];
        ids[0] = first.threadId();
        for (int i = 0; i < more.size(); i++) ids[i + 1] = more.get(i).threadId();
        return ids;
    }

    /**
     * Runs {@code body} in up to {@code windows} windows of {@code callsPerWindow} calls and returns the fewest bytes the
     * threads allocated in one window, stopping at the first window that allocated nothing. "Eventually zero" is the
     * robust form of "allocates nothing in steady state": a JIT recompilation or deoptimization may make one window
     * allocate (the Vector API boxes in the interpreter), but an allocation on every call makes every window allocate.
     */
    public static long smallestWindow(long[] threadIds, int windows, int callsPerWindow, Runnable body) {
        long best = Long.MAX_VALUE;
        for (int w = 0; w < windows && best > 0; w++) {
            long before = allocated(threadIds);
            for (int i = 0; i < callsPerWindow; i++) body.run();
            best = Math.min(best, allocated(threadIds) - before);
        }
        return best;
    }
}
