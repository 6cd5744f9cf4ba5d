package io.github.vcnn.cli;

import io.github.vcnn.graph.CompileOptions;
import io.github.vcnn.kernels.Kernels;
import picocli.CommandLine;

import java.io.PrintWriter;

/**
 * What the ONNX commands share: one-line errors (exit 2 for a usage mistake, naming the argument; exit 1 for work
 * that failed), never a stack trace, and the kernel/thread options.
 */
final class OnnxCli {
    private OnnxCli() {
    }

    /** Marks the commands whose usage errors are printed as one line. */
    interface OneLineErrors {
    }

    /** A usage mistake found while running (a missing file named by an argument, a bad list): exit 2. */
    static final class UsageError extends RuntimeException {
        UsageError(String message) {
            super(message, null, false, false);
        }
    }

    /** Parse errors of the ONNX commands as one line; the other commands keep {@code fallback} (picocli's message and usage help). */
    static CommandLine.IParameterExceptionHandler oneLine(CommandLine.IParameterExceptionHandler fallback) {
        return (ex, args) -> ex.getCommandLine().getCommand() instanceof OneLineErrors ? oneLine(ex) : fallback.handleParseException(ex, args);
    }

    private static int oneLine(CommandLine.ParameterException ex) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("vcnn " + cmd.getCommandName() + ": " + ex.getMessage() + " (see vcnn " + cmd.getCommandName() + " --help)");
        err.flush();
        return 2;
    }

    static int usage(CommandLine.Model.CommandSpec spec, String message) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("vcnn " + spec.name() + ": " + message + " (see vcnn " + spec.name() + " --help)");
        err.flush();
        return 2;
    }

    static int failed(CommandLine.Model.CommandSpec spec, String message) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("vcnn " + spec.name() + ": " + message);
        err.flush();
        return 1;
    }

    /** {@code --kernels} and {@code --threads} as compile options; UsageError for an unknown variant. */
    static CompileOptions options(String kernels, int threads) {
        CompileOptions o = CompileOptions.defaults();
        if (kernels != null) {
            try {
                o = o.withKernels(Kernels.byName(kernels));
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new UsageError("--kernels: " + e.getMessage());
            }
        }
        if (threads < 1 || threads > 256) throw new UsageError("--threads must be in [1, 256], got " + threads);
        return o.withThreads(threads);
    }

    static String message(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) m = e.getClass().getSimpleName();
        if (e instanceof java.nio.file.NoSuchFileException nsf) m = nsf.getFile() + ": " + (nsf.getReason() == null ? "no such file" : nsf.getReason());
        return m.replace('\n', ' ');
    }
}
