package io.github.vcnn.cli;

import io.github.vcnn.graph.CompileOptions;
import io.github.vcnn.graph.CompiledModel;
import io.github.vcnn.onnx.OnnxImporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * {@code vcnn soak MODEL}: many threads predicting on ONE compiled model for minutes, as a service would. Every interval
 * it prints the calls, the median and p99 latency of that interval, the heap after a forced GC (flat?), the bytes the
 * predicting threads allocated per call, and mismatches against the serial output (each thread checks every result bit
 * for bit). At the end the same over the whole run and the two verdicts of issue 7: heap flat, p99 &lt;= 1.5x median.
 * Latencies go into per-thread log-scale histograms (1% buckets), so the threads allocate nothing to record them.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
        description = {"Runs THREADS threads calling predict on one compiled ONNX model for MINUTES minutes; prints per interval and overall: "
                + "calls, median and p99 latency, heap after GC, bytes allocated per call by the predicting threads, mismatches.",
                "Hold the benchmark lock: flock /tmp/bench.lock ./vcnn soak MODEL ...",
                "Exit 0 when every prediction equalled the serial one, 1 otherwise or if the model cannot run, 2 for a usage mistake."})
public final class SoakCommand implements Callable<Integer> {
    /** Histogram buckets: 1% wide from 1 microsecond (bucket 0) up to about 1000 s. */
    private static final double STEP = Math.log(1.01);
    private static final int BUCKETS = (int) Math.ceil(Math.log(1e9) / STEP) + 1;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "the .onnx model", converter = Cli.Readable.class)
    Path model;

    @Option(names = "--threads", paramLabel = "T", defaultValue = "8", converter = Cli.Threads.class,
            description = "predicting threads (default ${DEFAULT-VALUE}); each call uses 1 intra-op thread")
    int threads;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "1", converter = Cli.Batch.class, description = "samples per call (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "600", converter = Cli.BenchSeconds.class,
            description = "measured seconds (default ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--interval", paramLabel = "S", defaultValue = "60", converter = Cli.BenchSeconds.class,
            description = "seconds between reports (each forces a GC to read the heap; default ${DEFAULT-VALUE})")
    double interval;

    @Option(names = "--warmup", paramLabel = "S", defaultValue = "20", converter = Cli.BenchSeconds.class,
            description = "warm-up seconds with all threads before measuring (default ${DEFAULT-VALUE})")
    double warmup;

    @Option(names = "--max-concurrent", paramLabel = "M", converter = Cli.Threads.class,
            description = "arenas of the compiled model, i.e. calls running at once (default: the model's default, the number of processors)")
    Integer maxConcurrent;

    @Option(names = "--kernels", paramLabel = "VARIANT", description = "scalar, auto or simd (default: the one chosen at start-up)")
    String kernels;

    /** One predicting thread's counters: written by it only, read by the reporter. */
    private static final class Probe {
        final AtomicLongArray hist = new AtomicLongArray(BUCKETS);
        final AtomicLong mismatches = new AtomicLong();
        volatile Throwable failure;

        void record(long ns) {
            int b = ns <= 1000 ? 0 : Math.min(BUCKETS - 1, (int) (Math.log(ns / 1000.0) / STEP));
            hist.setRelease(b, hist.getPlain(b) + 1);
        }
    }

    private volatile boolean measuring, stop;

    @Override
    public Integer call() {
        try {
            if (model == null) return OnnxCli.usage(spec, "missing MODEL (an .onnx file)");
            if (!Files.isRegularFile(model)) return OnnxCli.usage(spec, "MODEL '" + model + "' is not a file");
            if (interval > seconds) return OnnxCli.usage(spec, "--interval " + interval + " is longer than --seconds " + seconds);
            CompileOptions options = OnnxCli.options(kernels, 1);
            if (maxConcurrent != null) options = options.withMaxConcurrent(maxConcurrent);
            try (CompiledModel m = CompiledModel.compile(OnnxImporter.load(model), options)) {
                if (m.inputCount() != 1 || m.outputCount() != 1) return OnnxCli.failed(spec, model + ": soak runs single-input, single-output models");
                if (!m.anyBatch() && batch != m.declaredBatch()) return OnnxCli.usage(spec, "--batch " + batch + ": the model runs batch " + m.declaredBatch() + " only");
                return soak(m, options);
            }
        } catch (OnnxCli.UsageError e) {
            return OnnxCli.usage(spec, e.getMessage());
        } catch (IOException | RuntimeException e) {
            return OnnxCli.failed(spec, OnnxCli.message(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OnnxCli.failed(spec, "interrupted");
        }
    }

    private int soak(CompiledModel m, CompileOptions options) throws InterruptedException {
        PrintWriter o = spec.commandLine().getOut();
        int distinct = 16;
        float[][] in = new float[distinct][], expected = new float[distinct][];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < distinct; i++) {
            in[i] = new float[m.inputSize() * batch];
            for (int j = 0; j < in[i].length; j++) in[i][j] = (float) r.nextDouble();
            expected[i] = new float[m.outputSize() * batch];
            m.predict(batch, in[i], expected[i]);
        }
        Probe[] probes = new Probe[threads];
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            Probe p = probes[t] = new Probe();
            int tt = t;
            workers[t] = Thread.ofPlatform().daemon().name("vcnn-soak-" + t).unstarted(() -> {
                float[] y = new float[m.outputSize() * batch];
                try {
                    for (int k = tt; !stop; k++) {
                        int i = k % distinct;
                        long t0 = System.nanoTime();
                        m.predict(batch, in[i], y);
                        long ns = System.nanoTime() - t0;
                        if (measuring) {
                            p.record(ns);
                            if (!Arrays.equals(y, expected[i])) p.mismatches.incrementAndGet();
                        }
                    }
                } catch (Throwable e) {
                    p.failure = e;
                }
            });
        }
        long[] ids = new long[threads];
        for (int t = 0; t < threads; t++) ids[t] = workers[t].threadId();
        o.println(String.format(Locale.ROOT, "soak %s: %d threads, batch %d, kernels %s, max concurrent %d, %.0f s warm-up, %.0f s measured, report every %.0f s",
                BenchOnnxCommand.name(model), threads, batch, options.kernels().name(), options.maxConcurrent(), warmup, seconds, interval));
        o.println("JVM " + System.getProperty("java.vm.name") + " " + Runtime.version() + ", max heap " + mb(Runtime.getRuntime().maxMemory()) + " MB, "
                + Runtime.getRuntime().availableProcessors() + " processors");
        o.flush();
        for (Thread w : workers) w.start();
        Thread.sleep((long) (warmup * 1000));

        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        long[] total = new long[BUCKETS], last = new long[BUCKETS], window = new long[BUCKETS];
        double firstHeap = heapAfterGc(mem)[0], lastHeap = firstHeap, maxHeap = firstHeap;
        o.println(String.format(Locale.ROOT, "t=0 s: heap after GC %.2f MB", firstHeap));
        o.flush();
        long alloc0 = allocated(ids), allocLast = alloc0, start = System.nanoTime();
        measuring = true;
        long end = start + (long) (seconds * 1e9), next = start;
        long callsTotal = 0;
        while (true) {
            next = Math.min(end, next + (long) (interval * 1e9));
            long sleep = next - System.nanoTime();
            if (sleep > 0) Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
            boolean done = System.nanoTime() >= end;
            if (done) measuring = false;
            Arrays.fill(total, 0);
            for (Probe p : probes) for (int b = 0; b < BUCKETS; b++) total[b] += p.hist.getAcquire(b);
            for (int b = 0; b < BUCKETS; b++) window[b] = total[b] - last[b];
            System.arraycopy(total, 0, last, 0, BUCKETS);
            long calls = count(window), alloc = allocated(ids);
            double[] heap = heapAfterGc(mem);
            lastHeap = heap[0];
            maxHeap = Math.max(maxHeap, lastHeap);
            callsTotal += calls;
            o.println(String.format(Locale.ROOT, "t=%.0f s: %d calls (%.1f/s), median %.3f ms, p99 %.3f ms, heap after GC %.2f MB (GC %.0f ms), "
                            + "allocated %.1f B/call, mismatches %d",
                    (System.nanoTime() - start) / 1e9, calls, calls / interval, quantile(window, 0.5), quantile(window, 0.99), heap[0], heap[1],
                    calls == 0 ? 0.0 : (double) (alloc - allocLast) / calls, mismatches(probes)));
            o.flush();
            allocLast = alloc;
            if (done) break;
        }
        stop = true;
        for (Thread w : workers) w.join(60_000);
        long bad = mismatches(probes);
        for (Probe p : probes) {
            if (p.failure != null) {
                o.flush();
                return OnnxCli.failed(spec, "a predicting thread failed: " + OnnxCli.message(p.failure));
            }
        }
        double med = quantile(total, 0.5), p99 = quantile(total, 0.99);
        o.println(String.format(Locale.ROOT, "overall: %d calls in %.0f s (%.1f/s), median %.3f ms, p99 %.3f ms, p99/median %.2f (<= 1.5: %s)",
                callsTotal, seconds, callsTotal / seconds, med, p99, p99 / med, p99 <= 1.5 * med ? "yes" : "no"));
        o.println(String.format(Locale.ROOT, "heap after GC: first %.2f MB, last %.2f MB, max %.2f MB (growth %+.2f MB); allocated %.1f B/call by the predicting threads; "
                        + "mismatches against serial %d", firstHeap, lastHeap, maxHeap, lastHeap - firstHeap,
                callsTotal == 0 ? 0.0 : (double) (allocLast - alloc0) / callsTotal, bad));
        o.flush();
        return bad == 0 ? 0 : 1;
    }

    private static long mismatches(Probe[] probes) {
        long n = 0;
        for (Probe p : probes) n += p.mismatches.get();
        return n;
    }

    private static long count(long[] h) {
        long n = 0;
        for (long c : h) n += c;
        return n;
    }

    /** The {@code q} quantile (nearest rank) in ms: the geometric middle of its bucket; NaN when empty. */
    static double quantile(long[] h, double q) {
        long n = count(h);
        if (n == 0) return Double.NaN;
        long rank = Math.max(1, (long) Math.ceil(q * n)), seen = 0;
        for (int b = 0; b < h.length; b++) {
            seen += h[b];
            if (seen >= rank) return 1e-3 * Math.exp((b + 0.5) * STEP);
        }
        return Double.NaN;
    }

    /** Heap used after a forced GC (MB) and how long the GC took (ms). */
    private static double[] heapAfterGc(MemoryMXBean mem) {
        long t0 = System.nanoTime();
        System.gc();
        double ms = (System.nanoTime() - t0) / 1e6;
        return new double[]{mem.getHeapMemoryUsage().getUsed() / 1048576.0, ms};
    }

    private static double mb(long bytes) {
        return Math.round(bytes / 1048576.0);
    }

    /** Bytes allocated so far by the given threads (com.sun.management.ThreadMXBean, reached reflectively: the module does not read jdk.management); -1 when unsupported. */
    private static long allocated(long[] ids) {
        if (ALLOCATED == null) return -1;
        try {
            long[] a = (long[]) ALLOCATED.invoke(ManagementFactory.getThreadMXBean(), ids);
            long s = 0;
            for (long v : a) if (v > 0) s += v;
            return s;
        } catch (Throwable t) {
            return -1;
        }
    }

    private static final MethodHandle ALLOCATED = allocatedHandle();

    private static MethodHandle allocatedHandle() {
        try {
            Class<?> type = Class.forName("com.sun.management.ThreadMXBean");
            return MethodHandles.publicLookup().findVirtual(type, "getThreadAllocatedBytes", MethodType.methodType(long[].class, long[].class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
