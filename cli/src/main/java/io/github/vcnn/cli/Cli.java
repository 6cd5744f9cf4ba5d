package io.github.vcnn.cli;

import io.github.vcnn.exec.WorkerPool;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.Kernels;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The command line's error policy, shared by every subcommand (picocli's exception handlers and type converters):
 *
 * <ul>
 * <li>Every mistake is ONE line on stderr, {@code vcnn COMMAND: ARGUMENT VALUE: what is wrong}, and no stack trace
 *     unless {@code --verbose} is given.</li>
 * <li>Exit code 2 for a usage error: an unknown option or command, a missing or malformed value, a value out of range,
 *     a named file or folder that does not exist or cannot be read, an output folder that cannot be created. All of it
 *     is checked while parsing (converters) or first thing in {@code call()}, before any data is loaded or installed.</li>
 * <li>Exit code 1 when the work itself fails: a corrupt file, absent data, an I/O error, failing reference cases.</li>
 * <li>Names are case-insensitive: commands, options, kernel variants and enum values.</li>
 * </ul>
 */
public final class Cli {
    private Cli() {
    }

    /** Exit code of a usage error (picocli's default for invalid input). */
    public static final int USAGE = 2;
    /** Exit code of failed work. */
    public static final int FAILED = 1;
    /**
     * Exit code meaning "Fashion-MNIST is needed and absent", returned only when the launcher asked for it through
     * {@link #INSTALL_PROTOCOL_ENV} (it then installs Debian's package and runs the command again); never otherwise.
     */
    public static final int DATA_MISSING = 3;
    /** Set by the {@code ./vcnn} launcher when it can install the data set (root with apt-get). */
    public static final String INSTALL_PROTOCOL_ENV = "VCNN_LAUNCHER_INSTALLS_DATA";

    /** The policy applied to a command line (and, through picocli, to its subcommands). */
    public static CommandLine configure(CommandLine cl) {
        return cl.setCaseInsensitiveEnumValuesAllowed(true)
                .setSubcommandsCaseInsensitive(true)
                .setOptionsCaseInsensitive(true)
                .setParameterExceptionHandler(PARAMETER_ERRORS)
                .setExecutionExceptionHandler(EXECUTION_ERRORS);
    }

    private static boolean verbose(String[] args) {
        return args != null && Arrays.stream(args).anyMatch(a -> a.equalsIgnoreCase("--verbose"));
    }

    private static final IParameterExceptionHandler PARAMETER_ERRORS = (ex, args) -> {
        CommandLine cl = ex.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println(cl.getCommandSpec().qualifiedName() + ": " + oneLine(describe(ex)));
        if (verbose(args)) ex.printStackTrace(err);
        err.flush();
        return cl.getCommandSpec().exitCodeOnInvalidInput();
    };

    private static final IExecutionExceptionHandler EXECUTION_ERRORS = (ex, cl, parseResult) -> {
        PrintWriter err = cl.getErr();
        boolean verbose = verbose(parseResult == null ? null : parseResult.originalArgs().toArray(String[]::new));
        err.println(cl.getCommandSpec().qualifiedName() + ": " + oneLine(describe(ex))
                + (verbose || expected(ex) ? "" : " (run with --verbose for the stack trace)"));
        if (verbose) ex.printStackTrace(err);
        err.flush();
        return cl.getCommandSpec().exitCodeOnExecutionException();
    };

    /** A usage error's line: the argument, the value given and what is wrong with it. */
    static String describe(ParameterException ex) {
        if (ex instanceof UnmatchedArgumentException u) {
            List<String> unmatched = u.getUnmatched();
            String first = unmatched.isEmpty() ? "?" : unmatched.get(0);
            List<String> suggestions = u.getSuggestions();
            String what = first.startsWith("-") ? "unknown option '" + first + "'" : "unexpected argument '" + first + "'";
            if (!u.getCommandLine().getSubcommands().isEmpty() && !first.startsWith("-")) what = "unknown command '" + first + "'";
            return what + (suggestions.isEmpty() ? "" : " (did you mean " + String.join(" or ", suggestions.subList(0, Math.min(3, suggestions.size()))) + "?)")
                    + "; see '" + u.getCommandLine().getCommandSpec().qualifiedName() + " --help'";
        }
        if (ex instanceof CommandLine.MissingParameterException m && !m.getMissing().isEmpty()) {
            return m.getMissing().stream().map(Cli::argName).collect(java.util.stream.Collectors.joining(", "))
                    + ": missing (see '" + m.getCommandLine().getCommandSpec().qualifiedName() + " --help')";
        }
        ArgSpec arg = ex.getArgSpec();
        if (arg != null && ex.getValue() != null && ex.getCause() instanceof TypeConversionException tce) {
            return argName(arg) + " " + ex.getValue() + ": " + tce.getMessage();
        }
        return ex.getMessage();
    }

    private static String argName(ArgSpec arg) {
        return arg instanceof OptionSpec o ? o.longestName() : arg.paramLabel();
    }

    /** Exceptions of failed work the user can act on: no stack-trace hint for them. */
    private static boolean expected(Throwable t) {
        return t instanceof IOException || t instanceof UncheckedIOException || t instanceof IllegalArgumentException
                || t instanceof IllegalStateException;
    }

    /** The message of a failure, naming the file for file-system errors. */
    static String describe(Throwable t) {
        if (t instanceof UncheckedIOException u && u.getCause() != null) return describe(u.getCause());
        if (t instanceof NoSuchFileException e) return e.getFile() + ": " + (e.getReason() != null ? e.getReason() : "no such file or folder");
        if (t instanceof AccessDeniedException e) return e.getFile() + ": permission denied" + (e.getReason() != null ? " (" + e.getReason() + ")" : "");
        if (t instanceof FileSystemException e && e.getFile() != null) {
            return e.getFile() + ": " + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName());
        }
        if (expected(t) && t.getMessage() != null) return t.getMessage();
        return "internal error: " + t;
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    /** A usage error about one argument (exit code 2), thrown from a command's checks before any work. */
    static ParameterException usage(CommandSpec spec, String argument, Object value, String what) {
        return new ParameterException(spec.commandLine(), argument + (value == null ? "" : " " + value) + ": " + what);
    }

    /**
     * The output folder, created now (before any data is loaded) so that a folder that cannot be made is a usage error
     * naming the option: an existing file, a read-only or absent parent, no permission.
     */
    static Path outputFolder(CommandSpec spec, String option, Path out) {
        if (Files.exists(out) && !Files.isDirectory(out)) throw usage(spec, option, out, "exists and is not a folder");
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            String why = e instanceof AccessDeniedException ? "permission denied"
                    : e instanceof java.nio.file.FileAlreadyExistsException ? "a part of the path is a file"
                    : e instanceof NoSuchFileException ? "its parent cannot hold folders"
                    : e instanceof FileSystemException fse && fse.getReason() != null ? fse.getReason() : e.toString();
            throw usage(spec, option, out, "cannot create the folder (" + why + ")");
        }
        if (!Files.isWritable(out)) throw usage(spec, option, out, "folder is not writable");
        return out;
    }

    // ---- converters: each names what is wrong; picocli adds the option and the value (see describe)

    private static int parseInt(String s) {
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("not a whole number");
        }
    }

    private static double parseDouble(String s) {
        try {
            double d = Double.parseDouble(s.strip());
            if (!Double.isFinite(d)) throw new TypeConversionException("must be a finite number");
            return d;
        } catch (NumberFormatException e) {
            throw new TypeConversionException("not a number");
        }
    }

    private static int inRange(String s, int min, int max) {
        int v = parseInt(s);
        if (v < min || v > max) throw new TypeConversionException("must be between " + min + " and " + max);
        return v;
    }

    /** A count: a whole number from 1 to 1,000,000,000. */
    public static final class Count implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String s) {
            return inRange(s, 1, 1_000_000_000);
        }
    }

    /** An epoch count from 1 to 100,000. */
    public static final class Epochs implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String s) {
            return inRange(s, 1, 100_000);
        }
    }

    /** A batch size from 1 to 1,000,000. */
    public static final class Batch implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String s) {
            return inRange(s, 1, 1_000_000);
        }
    }

    /** A thread count from 1 to the worker pool's limit. */
    public static final class Threads implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String s) {
            return inRange(s, 1, WorkerPool.MAX_THREADS);
        }
    }

    /** Intra-op threads of a compiled ONNX model, 1 to {@link io.github.vcnn.graph.CompileOptions#MAX_THREADS}. */
    public static final class ModelThreads implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String s) {
            return inRange(s, 1, io.github.vcnn.graph.CompileOptions.MAX_THREADS);
        }
    }

    /** Seconds of a timed run: a finite number above 0 and at most 3600. */
    public static final class BenchSeconds implements ITypeConverter<Double> {
        @Override
        public Double convert(String s) {
            double d = parseDouble(s);
            if (!(d > 0) || d > 3600) throw new TypeConversionException("must be > 0 and <= 3600 seconds");
            return d;
        }
    }

    /** A seed: any long. */
    public static final class Seed implements ITypeConverter<Long> {
        @Override
        public Long convert(String s) {
            try {
                return Long.parseLong(s.strip());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("not a whole number (a 64-bit seed)");
            }
        }
    }

    /** A finite number {@code > 0} (a learning rate). */
    public static final class Positive implements ITypeConverter<Double> {
        @Override
        public Double convert(String s) {
            double d = parseDouble(s);
            if (!(d > 0)) throw new TypeConversionException("must be > 0");
            return d;
        }
    }

    /** A finite number {@code >= 0} (a regularisation weight). */
    public static final class NonNegative implements ITypeConverter<Double> {
        @Override
        public Double convert(String s) {
            double d = parseDouble(s);
            if (!(d >= 0)) throw new TypeConversionException("must be >= 0");
            return d;
        }
    }

    /** A file or folder that exists and can be read. */
    public static final class Readable implements ITypeConverter<Path> {
        @Override
        public Path convert(String s) {
            Path p;
            try {
                p = Path.of(s);
            } catch (RuntimeException e) {
                throw new TypeConversionException("not a valid path");
            }
            if (!Files.exists(p)) throw new TypeConversionException("no such file or folder");
            if (!Files.isReadable(p)) throw new TypeConversionException("not readable (permission denied)");
            return p;
        }
    }

    /** A folder that exists and can be read. */
    public static final class ReadableFolder implements ITypeConverter<Path> {
        @Override
        public Path convert(String s) {
            Path p = new Readable().convert(s);
            if (!Files.isDirectory(p)) throw new TypeConversionException("not a folder");
            return p;
        }
    }

    /** A regular file that exists and can be read. */
    public static final class ReadableFile implements ITypeConverter<Path> {
        @Override
        public Path convert(String s) {
            Path p = new Readable().convert(s);
            if (!Files.isRegularFile(p)) throw new TypeConversionException("not a file");
            return p;
        }
    }

    /** A path to be written (checked when the command starts: {@link #outputFolder}). */
    public static final class OutputPath implements ITypeConverter<Path> {
        @Override
        public Path convert(String s) {
            if (s.isBlank()) throw new TypeConversionException("empty path");
            try {
                return Path.of(s);
            } catch (RuntimeException e) {
                throw new TypeConversionException("not a valid path");
            }
        }
    }

    /** scalar, auto or simd, case-insensitive; simd without the Vector API module is refused with the enabling hint. */
    public static final class Variant implements ITypeConverter<KernelProvider> {
        @Override
        public KernelProvider convert(String s) {
            return variant(s, "scalar, auto or simd");
        }
    }

    /** As {@link Variant}, or "all": every variant available in this JVM. */
    public static final class Variants implements ITypeConverter<List<KernelProvider>> {
        @Override
        public List<KernelProvider> convert(String s) {
            if (s.strip().equalsIgnoreCase("all")) return Kernels.available();
            return List.of(variant(s, "scalar, auto, simd or all"));
        }
    }

    private static KernelProvider variant(String s, String choices) {
        String name = s.strip().toLowerCase(Locale.ROOT);
        if (!name.equals("scalar") && !name.equals("auto") && !name.equals("simd")) {
            throw new TypeConversionException("unknown kernel variant; use " + choices);
        }
        try {
            return Kernels.byName(name);
        } catch (IllegalStateException e) {
            throw new TypeConversionException("not available in this JVM: " + e.getMessage());
        }
    }

    /** For tests and embedding: the whole command line with this policy, output and errors to the given writers. */
    static CommandLine commandLine(Object command, PrintWriter out, PrintWriter err) {
        CommandLine cl = configure(new CommandLine(command));
        if (out != null) cl.setOut(out);
        if (err != null) cl.setErr(err);
        return cl;
    }
}
