package io.github.vcnn.cli;

import io.github.vcnn.exec.WorkerPool;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code vcnn bench-onnx MODEL}: whole-model latency of a compiled ONNX model on the service path
 * ({@code predict(batch, in, out)}, nothing allocated per call), and with {@code --vs-ort} the same model, input, batch
 * and threads through ONNX Runtime Java in a separate JVM ({@link OrtPeer}: ONNX Runtime never enters this class path).
 */
@Command(name = "bench-onnx", mixinStandardHelpOptions = true,
        description = {"Times predict on an ONNX model after a warm-up and prints 'median <x> ms, p99 <y> ms, <z> inferences/s' "
                + "(inferences/s: samples per second of wall time over the measured calls).",
                "--vs-ort also runs ONNX Runtime Java on the same model, input, batch and intra-op threads, after vcnn in the same run, "
                        + "and prints its line and the ratios vcnn/ORT. It needs the ./vcnn launcher, which builds the benchmark-only "
                        + "module bench/peers/ort and passes its class path (-D" + OrtPeer.CLASSPATH_PROPERTY + ").",
                "Hold the benchmark lock for timed runs: flock /tmp/bench.lock ./vcnn bench-onnx ...",
                "Exit 0 on success, 1 if the model cannot be run, 2 for a usage mistake."})
public final class BenchOnnxCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "the .onnx model", converter = Cli.Readable.class)
    Path model;

    @Option(names = "--batch", paramLabel = "N", converter = Cli.Batch.class,
            description = "samples per call (default: the model's declared batch)")
    Integer batch;

    @Option(names = "--threads", paramLabel = "T", defaultValue = "1", converter = Cli.Threads.class,
            description = "intra-op threads per call (default ${DEFAULT-VALUE}; the shared worker pool's size caps it)")
    int threads;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "5", converter = Cli.BenchSeconds.class,
            description = "measured seconds (default ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--warmup", paramLabel = "S", defaultValue = "10", converter = Cli.BenchSeconds.class,
            description = "warm-up seconds before measuring, for each engine (default ${DEFAULT-VALUE}: with 3 s, C2 was still "
                    + "compiling kernels on 2 busy cores and LeNet batch 64's p99 doubled)")
    double warmup;

    @Option(names = "--kernels", paramLabel = "VARIANT", description = "scalar, auto or simd (default: the one chosen at start-up)")
    String kernels;

    /** The activation layout between layers (CompileOptions.blocked). */
    enum LayoutChoice { blocked, nchw }

    @Option(names = "--layout", paramLabel = "LAYOUT", defaultValue = "blocked",
            description = "activations between layers: blocked (nChw{L}c where the kernels compute in it, the default) or nchw")
    LayoutChoice layout;

    @Option(names = "--vs-ort", description = "also run ONNX Runtime Java (separate JVM) and print the ratios")
    boolean vsOrt;

    @Option(names = "--profile", description = "after the timing, time each step of the plan on its own (median of as many calls as the measured "
            + "seconds allow) and print one line per step with its share of the total")
    boolean profile;

    @Override
    public Integer call() {
        try {
            if (model == null) return OnnxCli.usage(spec, "missing MODEL (an .onnx file)");
            if (!Files.isRegularFile(model)) return OnnxCli.usage(spec, "MODEL '" + model + "' is not a file");
            OrtPeer ort = null;
            if (vsOrt) {
                ort = OrtPeer.fromSystemProperty();
                if (ort == null) {
                    return OnnxCli.usage(spec, "--vs-ort: ONNX Runtime is not on hand; run through the ./vcnn launcher, which builds bench/peers/ort "
                            + "and sets -D" + OrtPeer.CLASSPATH_PROPERTY);
                }
            }
            CompileOptions options = OnnxCli.options(kernels, threads).withBlocked(layout == LayoutChoice.blocked);
            long t0 = System.nanoTime();
            try (CompiledModel m = CompiledModel.compile(OnnxImporter.load(model), options)) {
                double loadMs = (System.nanoTime() - t0) / 1e6;  // read, import, optimise, pack, plan: what a service pays at start-up
                if (m.inputCount() != 1 || m.outputCount() != 1) {
                    return OnnxCli.failed(spec, model + " has " + m.inputCount() + " inputs and " + m.outputCount() + " outputs; bench-onnx runs single-input, single-output models");
                }
                int n = batch != null ? batch : m.declaredBatch();
                if (!m.anyBatch() && n != m.declaredBatch()) {
                    return OnnxCli.usage(spec, "--batch " + n + ": " + model.getFileName() + " runs batch " + m.declaredBatch() + " only");
                }
                float[] x = input(m.inputSize() * n);
                float[] y = new float[m.outputSize() * n];
                LatencyTimer.Result r = LatencyTimer.time(() -> m.predict(n, x, y), n, warmup, seconds);
                PrintWriter o = spec.commandLine().getOut();
                int pool = WorkerPool.defaultThreads();
                o.println(String.format(Locale.ROOT, "%s: load + compile %.1f ms, batch %d, threads %d%s, kernels %s, %.1f s warm-up, %d calls in %.1f s",
                        name(model), loadMs, n, threads,
                        threads > pool ? " (pool of " + pool + ")" : "", options.kernels().name(), warmup, r.calls(), r.seconds()));
                o.println(r.line());
                if (profile) printProfile(o, m, n, x, r.calls());
                o.flush();
                if (ort != null) {
                    OrtPeer.Result q = ort.run(model, x, n, threads, warmup, seconds);
                    o.println(String.format(Locale.ROOT, "onnxruntime %s: session creation %.1f ms, %s", q.version(), q.sessionMs(), q.timing().line()));
                    o.println(String.format(Locale.ROOT, "vcnn/onnxruntime: median latency %.3fx, p99 %.3fx, throughput %.3fx, load + compile %.3fx "
                                    + "(latency or load below 1 and throughput above 1: vcnn faster)",
                            r.medianMs() / q.timing().medianMs(), r.p99Ms() / q.timing().p99Ms(), r.perSecond() / q.timing().perSecond(), loadMs / q.sessionMs()));
                    o.flush();
                }
                return 0;
            }
        } catch (OnnxCli.UsageError e) {
            return OnnxCli.usage(spec, e.getMessage());
        } catch (IOException | RuntimeException e) {
            return OnnxCli.failed(spec, OnnxCli.message(e));
        }
    }

    /** One line per step: median µs, share of the steps' total, what it is and what it computes. */
    private static void printProfile(PrintWriter o, CompiledModel m, int n, float[] x, long calls) {
        List<CompiledModel.StepTime> steps = m.profile(n, x, (int) Math.max(11, Math.min(calls, 2001)));
        long total = 0;
        for (CompiledModel.StepTime s : steps) total += s.medianNanos();
        o.println(String.format(Locale.ROOT, "profile: %d steps, %.1f µs in total (step by step, medians)", steps.size(), total / 1e3));
        for (CompiledModel.StepTime s : steps) {
            o.println(String.format(Locale.ROOT, "  %9.1f µs %5.1f%%  %s: %s", s.medianNanos() / 1e3, 100.0 * s.medianNanos() / Math.max(1, total),
                    s.step(), s.description()));
        }
    }

    /** The folder's name for {@code .../resnet18/model.onnx}, the file's otherwise. */
    static String name(Path model) {
        Path parent = model.toAbsolutePath().getParent();
        return model.getFileName().toString().equals("model.onnx") && parent != null && parent.getFileName() != null
                ? parent.getFileName().toString() : model.getFileName().toString();
    }

    /** A fixed input (seed 1, uniform [0, 1)), the same every run, and the one handed to ONNX Runtime. */
    static float[] input(int n) {
        SplittableRandom r = new SplittableRandom(1);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextDouble();
        return x;
    }
}
