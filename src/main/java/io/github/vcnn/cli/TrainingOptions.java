package io.github.vcnn.cli;

import io.github.vcnn.exec.WorkerPool;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.Kernels;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options {@code vcnn train} and {@code vcnn finetune} share (a picocli mixin). */
public final class TrainingOptions {

    @Option(names = "--batch", defaultValue = "64", description = "batch size (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--threads", defaultValue = "1",
            description = "threads per batch (default ${DEFAULT-VALUE}); a seed gives bit-identical weights with 1 to 4 threads")
    int threads;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Adam learning rate (default ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--seed", defaultValue = "42", description = "seed of initialisation, dropout and shuffling (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--data", paramLabel = "DIR",
            description = "Fashion-MNIST folder (default: ~/.cache/vcnn/fashion-mnist, then /usr/share/datasets/fashion-mnist)")
    Path data;

    @Option(names = "--kernels", paramLabel = "VARIANT", description = "scalar, auto or simd (default: chosen at start-up)")
    String kernels;

    @Option(names = "--no-progress", description = "no progress bar (e.g. for logs)")
    boolean noProgress;

    /**
     * Makes the shared worker pool big enough for --threads when it has not started yet (its size otherwise comes from
     * -Dvcnn.threads or the processor count, and {@code Sequential.threads} is capped by it).
     */
    void sizeWorkerPool() {
        if (!WorkerPool.sharedStarted() && threads > WorkerPool.defaultThreads()) WorkerPool.configureShared(Math.min(threads, WorkerPool.MAX_THREADS));
    }

    /** The kernel set named by --kernels, or the one chosen at start-up. */
    KernelProvider kernelProvider() {
        return kernels == null ? Kernels.get() : Kernels.byName(kernels);
    }
}
