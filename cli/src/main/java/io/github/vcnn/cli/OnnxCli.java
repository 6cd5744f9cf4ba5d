package io.github.vcnn.cli;

import io.github.vcnn.graph.CompileOptions;
import io.github.vcnn.kernels.KernelProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * What the ONNX commands share: the kernel/thread options as compile options, and their usage mistakes found while
 * running (a list of the wrong length, a shape that does not match) as the usage errors of {@link Cli}'s policy.
 */
final class OnnxCli {
    private OnnxCli() {
    }

    /** A usage mistake found while running, its message starting with the argument: exit 2 through {@link #usage}. */
    static final class UsageError extends RuntimeException {
        UsageError(String message) {
            super(message, null, false, false);
        }
    }

    /** The usage error {@link Cli} prints as one line with exit code 2. */
    static ParameterException usage(CommandSpec spec, UsageError e) {
        return new ParameterException(spec.commandLine(), e.getMessage());
    }

    /**
     * A usage mistake found while running, printed here as {@link Cli} prints parse errors (one line naming the
     * argument); returns exit code 2. For commands whose catch-all would swallow a thrown {@link ParameterException}.
     */
    static int usage(CommandSpec spec, String message) {
        java.io.PrintWriter err = spec.commandLine().getErr();
        err.println(spec.qualifiedName() + ": " + message + " (see '" + spec.qualifiedName() + " --help')");
        err.flush();
        return 2;
    }

    /** Failed work, one line as {@link Cli}'s execution-error handler prints it; returns exit code 1. */
    static int failed(CommandSpec spec, String message) {
        java.io.PrintWriter err = spec.commandLine().getErr();
        err.println(spec.qualifiedName() + ": " + message.replace('\n', ' '));
        err.flush();
        return 1;
    }

    /** A failure's one-line message, naming the file for file-system errors. */
    static String message(Throwable e) {
        return Cli.describe(e).replace('\n', ' ');
    }

    /** As {@link #options(KernelProvider, int)} with the variant by name (case-insensitive); UsageError for an unknown one. */
    static CompileOptions options(String kernels, int threads) {
        KernelProvider k = null;
        if (kernels != null) {
            try {
                k = io.github.vcnn.kernels.Kernels.byName(kernels);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new UsageError("--kernels: " + e.getMessage());
            }
        }
        return options(k, threads);
    }

    /** {@code --kernels} (null: the start-up choice) and {@code --threads}, both already validated by their converters. */
    static CompileOptions options(KernelProvider kernels, int threads) {
        CompileOptions o = CompileOptions.defaults();
        if (kernels != null) o = o.withKernels(kernels);
        return o.withThreads(threads);
    }
}
