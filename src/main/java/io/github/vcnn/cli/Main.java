package io.github.vcnn.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code vcnn} command line; run through the {@code ./vcnn} launcher, which adds the Vector API module. */
@Command(name = "vcnn", mixinStandardHelpOptions = true, version = "vcnn 0.1.0",
        description = "Pure-Java CNN kernels on the Vector API: self-test, training, benchmarks (./vcnn bench).",
        subcommands = {TrainCommand.class, FinetuneCommand.class, CheckRefCommand.class, InfoCommand.class})
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        int code = new CommandLine(new Main()).execute(args);
        System.exit(code);
    }
}
