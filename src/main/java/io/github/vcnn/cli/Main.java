package io.github.vcnn.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code vcnn} command line; run through the {@code ./vcnn} launcher, which adds the Vector API module. */
@Command(name = "vcnn", mixinStandardHelpOptions = true, version = "vcnn 0.1.0",
        description = "Pure-Java CNN kernels on the Vector API: self-test, training, benchmarks (./vcnn bench).",
        subcommands = {TrainCommand.class, FinetuneCommand.class, CheckRefCommand.class, InfoCommand.class,
                CheckOnnxCommand.class, InferCommand.class})
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        System.exit(code);
    }

    /** The command line with its error handling (the ONNX commands report parse errors as one line). */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        return cl.setParameterExceptionHandler(OnnxCli.oneLine(cl.getParameterExceptionHandler()));
    }
}
