package io.github.vcnn.cli;

import java.util.Arrays;
import java.util.Locale;

/** Times repeated calls: a warm-up, then every call's wall time for a given duration; median, p99 and samples per second. */
final class LatencyTimer {
    private LatencyTimer() {
    }

    /**
     * @param calls      calls measured
     * @param seconds    wall time of the measured calls
     * @param medianMs   median call, ms
     * @param p99Ms      99th percentile call (nearest rank), ms
     * @param perSecond  samples per second: batch * calls / seconds
     */
    record Result(int calls, double seconds, double medianMs, double p99Ms, double perSecond) {
        String line() {
            return String.format(Locale.ROOT, "median %.3f ms, p99 %.3f ms, %.1f inferences/s", medianMs, p99Ms, perSecond);
        }
    }

    static Result time(Runnable call, int batch, double warmupSeconds, double seconds) {
        long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        do call.run(); while (System.nanoTime() < warmEnd);
        long[] ns = new long[1 << 14];
        int n = 0;
        long start = System.nanoTime(), end = start + (long) (seconds * 1e9), now = start;
        while (now < end || n == 0) {
            long t = now;
            call.run();
            now = System.nanoTime();
            if (n == ns.length) ns = Arrays.copyOf(ns, 2 * n);
            ns[n++] = now - t;
        }
        return of(ns, n, batch, (now - start) / 1e9);
    }

    /** Median and p99 of the first {@code n} durations (nanoseconds; sorted in place). */
    static Result of(long[] ns, int n, int batch, double seconds) {
        Arrays.sort(ns, 0, n);
        double median = (n % 2 == 1 ? ns[n / 2] : 0.5 * (ns[n / 2 - 1] + ns[n / 2])) / 1e6;
        double p99 = ns[Math.max(0, (int) Math.ceil(n * 0.99) - 1)] / 1e6;
        return new Result(n, seconds, median, p99, batch * (double) n / seconds);
    }
}
