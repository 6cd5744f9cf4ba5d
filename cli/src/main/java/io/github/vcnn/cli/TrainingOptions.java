package io.github.vcnn.cli;

import io.github.vcnn.exec.WorkerPool;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.Kernels;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The options {@code vcnn train} and {@code vcnn finetune} share (a picocli mixin). Every value is checked by its
 * converter while the command line is parsed ({@link Cli}), before anything is loaded.
 */
public final class TrainingOptions {

    /** How training progress is shown on stderr. */
    enum ProgressMode {
        /** a live bar when stderr is a terminal, else plain lines */
        AUTO,
        /** always the live bar */
        BAR,
        /** one plain line every 10 seconds and at the end of each epoch */
        LINES,
        /** nothing */
        NONE
    }

    @Option(names = "--batch", defaultValue = "64", converter = Cli.Batch.class, description = "batch size (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--threads", defaultValue = "1", converter = Cli.Threads.class,
            description = "threads per batch, 1 to 1024 (default ${DEFAULT-VALUE}); a seed gives bit-identical weights with 1 to 4 threads")
    int threads;

    @Option(names = "--lr", defaultValue = "1e-3", converter = Cli.Positive.class, description = "Adam learning rate, > 0 (default ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--seed", defaultValue = "42", converter = Cli.Seed.class,
            description = "seed of initialisation, dropout and shuffling (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--data", paramLabel = "DIR", converter = Cli.ReadableFolder.class,
            description = "Fashion-MNIST folder (default: ~/.cache/vcnn/fashion-mnist, then /usr/share/datasets/fashion-mnist)")
    Path data;

    @Option(names = "--kernels", paramLabel = "VARIANT", converter = Cli.Variant.class,
            description = "scalar, auto or simd, any case (default: chosen at start-up)")
    KernelProvider kernels;

    @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto",
            description = "auto (a live bar when stderr is a terminal, else a plain line every 10 s and per epoch), bar, lines or none "
                    + "(default ${DEFAULT-VALUE})")
    ProgressMode progress;

    @Option(names = "--no-progress", description = "no progress output (the same as --progress none)")
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
        return kernels == null ? Kernels.get() : kernels;
    }

    ProgressMode progressMode() {
        return noProgress ? ProgressMode.NONE : progress;
    }
}
