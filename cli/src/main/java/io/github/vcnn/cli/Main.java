package io.github.vcnn.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The {@code vcnn} command line; run through the {@code ./vcnn} launcher, which adds the Vector API module. */
@Command(name = "vcnn", mixinStandardHelpOptions = true, version = "vcnn 0.1.0",
        description = "Pure-Java CNN kernels on the Vector API: self-test, training, benchmarks (./vcnn bench).",
        subcommands = {TrainCommand.class, FinetuneCommand.class, CheckRefCommand.class, InfoCommand.class,
                CheckOnnxCommand.class, InferCommand.class, BenchOnnxCommand.class, SoakCommand.class})
public final class Main implements Runnable {
    @Spec
    CommandSpec spec;

    /** Read by {@link Cli}'s error handlers; declared here (inherited by every subcommand) so picocli accepts it. */
    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "on an error, also print its stack trace")
    boolean verbose;

    private Main() {
    }

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        System.exit(code);
    }

    /** The whole command line with the error policy of {@link Cli} (one line per mistake, exit 2 or 1). */
    public static CommandLine commandLine() {
        return Cli.configure(new CommandLine(new Main()));
    }

    /** {@code vcnn} without a command. */
    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: use one of " + String.join(", ", spec.subcommands().keySet())
                + "; see 'vcnn --help'");
    }
}
