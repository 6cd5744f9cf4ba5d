package io.github.vcnn.cli;

import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.Kernels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code vcnn check-ref [--forward] [--kernels V] PATH...}: the self-test against PyTorch's reference results. */
@Command(name = "check-ref", mixinStandardHelpOptions = true,
        description = {"Runs PyTorch reference cases (safetensors files or folders, format of shared/reference/README.md) "
                + "through the kernels: one line per case, PASS <name> max_err=<e> or FAIL <name> <reason>, "
                + "then 'N passed, M failed'. Exit 1 if any failed."})
public final class CheckRefCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "PATH", converter = Cli.Readable.class,
            description = "reference case files (.safetensors) or folders (each must exist and be readable)")
    List<Path> paths;

    @Option(names = "--forward", description = "check forward outputs only (and optimizer steps), no gradients")
    boolean forwardOnly;

    @Option(names = "--kernels", paramLabel = "VARIANT", converter = Cli.Variants.class,
            description = "scalar, auto, simd, or all, any case (default: the one chosen at start-up)")
    List<KernelProvider> variants;

    @Override
    public Integer call() throws Exception {
        List<KernelProvider> sets = variants == null ? List.of(Kernels.get()) : variants;
        List<ReferenceCheck.Case> cases = ReferenceCheck.collect(paths);
        int passed = 0, failed = 0;
        for (KernelProvider k : sets) {
            ReferenceCheck check = new ReferenceCheck(k, forwardOnly);
            for (ReferenceCheck.Case c : cases) {
                ReferenceCheck.Result r = check.run(c);
                String line = r.line();
                if (sets.size() > 1) line = line.replaceFirst(" " + java.util.regex.Pattern.quote(c.name()), " " + c.name() + "[" + k.name() + "]");
                System.out.println(line);
                if (r.passed()) passed++;
                else failed++;
            }
        }
        System.out.println(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
