package io.github.vcnn.cli;

import io.github.vcnn.exec.WorkerPool;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.Kernels;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code vcnn info}: which kernels this JVM uses and why. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Prints the JVM, the CPU count and the kernel variants available.")
public final class InfoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println("java      " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ", " + System.getProperty("java.home") + ")");
        System.out.println("cpus      " + Runtime.getRuntime().availableProcessors());
        System.out.println("pool      " + WorkerPool.defaultThreads() + " threads, the caller included (set with -D" + WorkerPool.THREADS_PROPERTY + "=N)");
        KernelProvider k = Kernels.get();
        System.out.println("kernels   " + k.name() + " (override with -D" + Kernels.PROPERTY + "=scalar|auto|simd)");
        System.out.println("available " + Kernels.available().stream().map(KernelProvider::name).toList());
        if (!Kernels.simdAvailable()) System.out.println("simd      disabled: start java with " + Kernels.ENABLE_HINT);
        return 0;
    }
}
