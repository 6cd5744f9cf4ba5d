package io.github.vcnn.cli;

import io.github.vcnn.graph.CompileOptions;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.onnx.BackendTest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code vcnn check-onnx PATH...}: ONNX backend tests through the importer and the compiled model. */
@Command(name = "check-onnx", mixinStandardHelpOptions = true,
        description = {"Runs ONNX backend-test folders (model.onnx + test_data_set_*/input_K.pb, output_K.pb), searched recursively "
                + "under each PATH: imports the model, compiles it and compares every output with the reference.",
                "Tolerance: |err| <= 1e-4 + 1e-3 * |ref| per element (NaN matches NaN).",
                "Prints one line per test, 'PASS <name> (max err <e>)' or 'FAIL <name> (<reason>)', then 'N passed, M failed'. "
                        + "Exit 0 if all passed, 1 if any failed, 2 for a usage mistake."})
public final class CheckOnnxCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "PATH", converter = Cli.Readable.class,
            description = "backend-test folders, folders containing them, or model.onnx files")
    List<Path> paths;

    @Option(names = "--kernels", paramLabel = "VARIANT", converter = Cli.Variant.class,
            description = "scalar, auto or simd (default: the one chosen at start-up)")
    KernelProvider kernels;

    @Option(names = "--threads", paramLabel = "T", defaultValue = "1", converter = Cli.ModelThreads.class,
            description = "intra-op threads per model, 1 to 256 (default ${DEFAULT-VALUE})")
    int threads;

    /** Failures (an unreadable folder) go to {@link Cli}'s handler: one line, exit 1, the stack trace with --verbose. */
    @Override
    public Integer call() throws IOException {
        CompileOptions options = OnnxCli.options(kernels, threads);
        List<Path> tests = BackendTest.find(paths);
        int passed = 0, failed = 0;
        for (Path t : tests) {
            BackendTest.Result r = BackendTest.run(t, options);
            spec.commandLine().getOut().println(r.line());
            spec.commandLine().getOut().flush();
            if (r.passed()) passed++;
            else failed++;
        }
        if (tests.isEmpty()) spec.commandLine().getErr().println("vcnn check-onnx: no model.onnx under " + paths);
        spec.commandLine().getOut().println(passed + " passed, " + failed + " failed");
        spec.commandLine().getOut().flush();
        return failed == 0 && !tests.isEmpty() ? 0 : 1;
    }
}
