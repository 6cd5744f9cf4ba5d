package io.github.vcnn.graph;

import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.Kernels;

/**
 * How {@link CompiledModel#compile(Graph, CompileOptions)} builds a model.
 *
 * @param threads        intra-op threads per call (default 1): each convolution runs on up to this many threads of
 *                       the shared {@link io.github.vcnn.exec.WorkerPool}, with bit-identical results for every count;
 *                       services that scale by requests keep 1
 * @param maxConcurrent  how many calls may run at once, each on its own pooled arena of intermediate buffers (default:
 *                       the number of processors); further callers wait for an arena, so memory stays bounded
 *                       whatever the number of (virtual) threads
 * @param kernels        the kernel set (default {@link Kernels#get()})
 * @param optimize       run {@link Passes#optimize} (batch-norm folding, activation fusion); default true
 * @param blocked        keep activations channel-blocked ({@code nChw{L}c}) between the layers that compute in that
 *                       layout, where the kernel set has one ({@link io.github.vcnn.kernels.ConvKernels#blockLanes()});
 *                       default true. Results are the same bits either way; the model's {@code describe()} shows the
 *                       layouts chosen and the reorders at the edges of the blocked parts
 */
public record CompileOptions(int threads, int maxConcurrent, KernelProvider kernels, boolean optimize, boolean blocked) {
    /** The most intra-op threads a compiled model takes. */
    public static final int MAX_THREADS = 256;

    public CompileOptions {
        if (threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("threads must be in [1, " + MAX_THREADS + "], got " + threads);
        }
        if (maxConcurrent < 1 || maxConcurrent > 4096) throw new IllegalArgumentException("maxConcurrent must be in [1, 4096], got " + maxConcurrent);
        if (kernels == null) throw new IllegalArgumentException("kernels is null");
    }

    /** The options without a choice of layout: blocked where the kernels have it. */
    public CompileOptions(int threads, int maxConcurrent, KernelProvider kernels, boolean optimize) {
        this(threads, maxConcurrent, kernels, optimize, true);
    }

    public static CompileOptions defaults() {
        return new CompileOptions(1, Runtime.getRuntime().availableProcessors(), Kernels.get(), true, true);
    }

    public CompileOptions withThreads(int t) {
        return new CompileOptions(t, maxConcurrent, kernels, optimize, blocked);
    }

    public CompileOptions withMaxConcurrent(int m) {
        return new CompileOptions(threads, m, kernels, optimize, blocked);
    }

    public CompileOptions withKernels(KernelProvider k) {
        return new CompileOptions(threads, maxConcurrent, k, optimize, blocked);
    }

    public CompileOptions withOptimize(boolean o) {
        return new CompileOptions(threads, maxConcurrent, kernels, o, blocked);
    }

    public CompileOptions withBlocked(boolean b) {
        return new CompileOptions(threads, maxConcurrent, kernels, optimize, b);
    }
}
