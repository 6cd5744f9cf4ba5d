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

    /** {@code --kernels} (null: the start-up choice) and {@code --threads}, both already validated by their converters. */
    static CompileOptions options(KernelProvider kernels, int threads) {
        CompileOptions o = CompileOptions.defaults();
        if (kernels != null) o = o.withKernels(kernels);
        return o.withThreads(threads);
    }
}
