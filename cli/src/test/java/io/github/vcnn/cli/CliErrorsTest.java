package io.github.vcnn.cli;

import io.github.vcnn.io.FashionMnist;
import io.github.vcnn.kernels.Kernels;
import io.github.vcnn.testing.ForkedJvm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI's error policy ({@link Cli}): every bad invocation gives exactly one line on stderr naming the argument and
 * what is wrong, exit code 2 (usage) or 1 (failed work), no stack trace and nothing on stdout, and nothing is loaded
 * or created before the options are checked.
 */
class CliErrorsTest {

    @TempDir
    static Path tmp;
    static Path emptyDir, aFile, corruptData, badIndex, reference, model, rawInput, corruptModel;

    /**
     * What one in-process run printed: picocli's writers and System.out/err together (less the instrumentation log of a
     * Jazzer agent, should one be loaded in this JVM: it is no output of the CLI).
     */
    record Run(int exit, String out, String err) {
        List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank() && !l.matches("INFO: (Instrumented|Loaded) .*")).toList();
        }
    }

    static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream sysOut = new ByteArrayOutputStream(), sysErr = new ByteArrayOutputStream();
        StringWriter out = new StringWriter(), err = new StringWriter();
        int exit;
        try (PrintStream o = new PrintStream(sysOut, true, StandardCharsets.UTF_8); PrintStream e = new PrintStream(sysErr, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            System.setErr(e);
            CommandLine cl = Main.commandLine();
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            exit = cl.execute(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Run(exit, out + sysOut.toString(StandardCharsets.UTF_8), err + sysErr.toString(StandardCharsets.UTF_8));
    }

    @BeforeAll
    static void files() throws Exception {
        Kernels.get(); // its one start-up log line is not part of any run below
        emptyDir = Files.createDirectories(tmp.resolve("empty"));
        aFile = Files.writeString(tmp.resolve("a-file.txt"), "not a folder");
        corruptData = Files.createDirectories(tmp.resolve("corrupt-data"));
        for (String f : new String[]{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
            Files.writeString(corruptData.resolve(f), "junk, not IDX");
        }
        Path onnx = Files.createDirectories(tmp.resolve("onnx"));
        model = OnnxCommandsTest.classifier(onnx, 3); // [N,3,8,8] -> 12 classes
        rawInput = Files.write(onnx.resolve("x.bin"), new byte[4 * 10]);
        corruptModel = Files.write(onnx.resolve("corrupt.onnx"), java.util.Arrays.copyOf(Files.readAllBytes(model), 60));
        badIndex = Files.createDirectories(tmp.resolve("bad-index"));
        Files.writeString(badIndex.resolve("INDEX.json"), "{\"cases\": 7}");
        try {
            reference = Path.of(CliErrorsTest.class.getResource("/torch-kernels/relu.safetensors").toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** args, exit code, the exact start of the one line (after "vcnn[ COMMAND]: "), and the command prefix. */
    static Stream<Arguments> badInvocations() {
        List<Arguments> t = new ArrayList<>();
        // the command itself
        t.add(row(2, "vcnn: missing command: use one of train, finetune, check-ref, info"));
        t.add(row(2, "vcnn: unknown command 'trian' (did you mean train?)", "trian"));
        t.add(row(2, "vcnn: unknown option '--foo'", "--foo"));
        // train: every option's value
        t.add(row(2, "vcnn train: unknown option '--epoch' (did you mean --epochs?)", "train", "--epoch", "3"));
        t.add(row(2, "vcnn train: unexpected argument 'extra'", "train", "extra"));
        t.add(row(2, "vcnn train: --threads 5000: must be between 1 and 1024", "train", "--threads", "5000"));
        t.add(row(2, "vcnn train: --threads 0: must be between 1 and 1024", "train", "--threads", "0"));
        t.add(row(2, "vcnn train: --threads abc: not a whole number", "train", "--threads", "abc"));
        t.add(row(2, "vcnn train: --lr -1: must be > 0", "train", "--lr", "-1"));
        t.add(row(2, "vcnn train: --lr 0: must be > 0", "train", "--lr", "0"));
        t.add(row(2, "vcnn train: --lr NaN: must be a finite number", "train", "--lr", "NaN"));
        t.add(row(2, "vcnn train: --lr fast: not a number", "train", "--lr", "fast"));
        t.add(row(2, "vcnn train: --lr: missing", "train", "--lr"));
        t.add(row(2, "vcnn train: --l2 -1: must be >= 0", "train", "--l2", "-1"));
        t.add(row(2, "vcnn train: --l2 Infinity: must be a finite number", "train", "--l2", "Infinity"));
        t.add(row(2, "vcnn train: --epochs 0: must be between 1 and 100000", "train", "--epochs", "0"));
        t.add(row(2, "vcnn train: --batch -5: must be between 1 and 1000000", "train", "--batch", "-5"));
        t.add(row(2, "vcnn train: --limit 0: must be between 1 and 1000000000", "train", "--limit", "0"));
        t.add(row(2, "vcnn train: --seed 1.5: not a whole number", "train", "--seed", "1.5"));
        t.add(row(2, "vcnn train: --kernels foo: unknown kernel variant; use scalar, auto or simd", "train", "--kernels", "foo"));
        t.add(row(2, "vcnn train: --kernels all: unknown kernel variant; use scalar, auto or simd", "train", "--kernels", "all"));
        t.add(row(2, "vcnn train: --progress sideways: expected one of", "train", "--progress", "sideways"));
        t.add(row(2, "vcnn train: --out /proc/nope: cannot create the folder", "train", "--out", "/proc/nope"));
        t.add(row(2, "vcnn train: --out " + aFile + ": exists and is not a folder", "train", "--out", aFile.toString()));
        t.add(row(2, "vcnn train: --data /nonexistent/fm: no such file or folder", "train", "--data", "/nonexistent/fm"));
        t.add(row(2, "vcnn train: --data " + aFile + ": not a folder", "train", "--data", aFile.toString()));
        t.add(row(2, "vcnn train: --data " + emptyDir + ": no Fashion-MNIST there", "train", "--data", emptyDir.toString(),
                "--out", tmp.resolve("o1").toString()));
        // a bad option next to unreadable data: the option is reported (2), the data never read
        t.add(row(2, "vcnn train: --threads 5000: must be between", "train", "--data", corruptData.toString(), "--threads", "5000"));
        // failed work: data that is there but corrupt (1)
        t.add(row(1, "vcnn train: IDX file " + corruptData.resolve("train-images-idx3-ubyte") + " has magic", "train", "--data",
                corruptData.toString(), "--out", tmp.resolve("o2").toString()));
        t.add(row(2, "vcnn train: --threads 5000: must be between 1 and 1024", "TRAIN", "--THREADS", "5000"));
        // finetune shares the options and adds its own
        t.add(row(2, "vcnn finetune: --labelled 0: must be between 1 and 1000000000", "finetune", "--labelled", "0"));
        t.add(row(2, "vcnn finetune: --pretrain-epochs x: not a whole number", "finetune", "--pretrain-epochs", "x"));
        t.add(row(2, "vcnn finetune: --epochs -1: must be between 1 and 100000", "finetune", "--epochs", "-1"));
        t.add(row(2, "vcnn finetune: --lr -1: must be > 0", "finetune", "--lr", "-1"));
        t.add(row(2, "vcnn finetune: --out /proc/nope: cannot create the folder", "finetune", "--out", "/proc/nope"));
        // check-ref
        t.add(row(2, "vcnn check-ref: PATH: missing", "check-ref"));
        t.add(row(2, "vcnn check-ref: PATH /nonexistent: no such file or folder", "check-ref", "/nonexistent"));
        t.add(row(2, "vcnn check-ref: PATH /nonexistent: no such file or folder", "check-ref", "--kernels", "ALL", "/nonexistent"));
        t.add(row(2, "vcnn check-ref: --kernels foo: unknown kernel variant; use scalar, auto, simd or all", "check-ref", "--kernels", "foo",
                reference.toString()));
        t.add(row(2, "vcnn check-ref: unknown option '--forwards' (did you mean --forward?)", "check-ref", "--forwards", reference.toString()));
        t.add(row(1, "vcnn check-ref: " + badIndex.resolve("INDEX.json") + " has no \"cases\" list", "check-ref", badIndex.toString()));
        // info
        t.add(row(2, "vcnn info: unexpected argument 'now'", "info", "now"));
        // check-onnx
        t.add(row(2, "vcnn check-onnx: PATH: missing", "check-onnx"));
        t.add(row(2, "vcnn check-onnx: PATH /nonexistent: no such file or folder", "check-onnx", "/nonexistent"));
        t.add(row(2, "vcnn check-onnx: --threads many: not a whole number", "check-onnx", "--threads", "many", emptyDir.toString()));
        t.add(row(2, "vcnn check-onnx: --threads 300: must be between 1 and 256", "check-onnx", "--threads", "300", emptyDir.toString()));
        t.add(row(2, "vcnn check-onnx: --kernels foo: unknown kernel variant; use scalar, auto or simd", "check-onnx", "--kernels", "foo",
                emptyDir.toString()));
        // infer
        t.add(row(2, "vcnn infer: MODEL: missing", "infer"));
        t.add(row(2, "vcnn infer: INPUT: missing", "infer", model.toString()));
        t.add(row(2, "vcnn infer: MODEL /nonexistent.onnx: no such file or folder", "infer", "/nonexistent.onnx", rawInput.toString()));
        t.add(row(2, "vcnn infer: MODEL " + emptyDir + ": not a file", "infer", emptyDir.toString(), rawInput.toString()));
        t.add(row(2, "vcnn infer: --top 0: must be between 1 and 1000000000", "infer", model.toString(), rawInput.toString(), "--top", "0"));
        t.add(row(2, "vcnn infer: --top 0: must be between 1 and 1000000000", "INFER", model.toString(), rawInput.toString(), "--TOP", "0"));
        t.add(row(2, "vcnn infer: --labels /nonexistent: no such file or folder", "infer", model.toString(), rawInput.toString(),
                "--labels", "/nonexistent"));
        t.add(row(2, "vcnn infer: --shape [1, 3, 8, 8] needs 192 floats, " + rawInput + " holds 10", "infer", model.toString(),
                rawInput.toString(), "--shape", "1,3,8,8"));
        t.add(row(2, "vcnn infer: INPUT " + rawInput + " holds 10 floats, the model's input", "infer", model.toString(), rawInput.toString()));
        t.add(row(2, "vcnn infer: unknown option '--frobnicate'", "infer", "--frobnicate", model.toString(), rawInput.toString()));
        t.add(row(1, "vcnn infer: " + corruptModel, "infer", corruptModel.toString(), rawInput.toString()));
        return t.stream();
    }

    private static Arguments row(int exit, String line, String... args) {
        return Arguments.of(String.join(" ", args), args, exit, line);
    }

    @ParameterizedTest(name = "[{index}] vcnn {0}")
    @MethodSource("badInvocations")
    void oneLineNamingTheArgumentTheRightExitCodeAndNoStackTrace(String shown, String[] args, int exit, String line) {
        Run r = run(args);
        String all = "stdout:\n" + r.out() + "\nstderr:\n" + r.err();
        assertEquals(1, r.errLines().size(), "exactly one line on stderr: " + all);
        assertTrue(r.errLines().get(0).startsWith(line), "expected '" + line + "...', " + all);
        assertEquals(exit, r.exit(), all);
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception") || r.err().contains("Error:"), "no stack trace: " + all);
        assertTrue(r.out().isBlank(), "nothing on stdout (no usage dump): " + all);
    }

    @Test
    void theTableIsLargeEnough() {
        assertTrue(badInvocations().count() >= 30);
    }

    @Test
    void verboseAddsTheStackTrace() {
        Run r = run("train", "--verbose", "--threads", "5000");
        assertEquals(2, r.exit());
        assertTrue(r.errLines().get(0).startsWith("vcnn train: --threads 5000: must be between 1 and 1024"), r.err());
        assertTrue(r.err().contains("\tat picocli."), "the stack trace follows with --verbose: " + r.err());
        Run f = run("check-ref", "--verbose", badIndex.toString());
        assertEquals(1, f.exit());
        assertTrue(f.err().contains("java.io.IOException") && f.err().contains("\tat io.github.vcnn.cli.ReferenceCheck"), f.err());
    }

    @Test
    void namesAreCaseInsensitiveAndHelpNeedsNothing() {
        Run ok = run("check-ref", "--forward", "--kernels", "ALL", reference.toString());
        assertEquals(0, ok.exit(), ok.err());
        assertTrue(ok.out().contains("passed, 0 failed") && ok.out().contains("relu[scalar]"), ok.out());
        Run help = run("train", "--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("--threads") && help.err().isBlank(), help.out() + help.err());
        Run version = run("--VERSION");
        assertEquals(0, version.exit());
        assertTrue(version.out().contains("vcnn 0.1.0"), version.out());
    }

    @Test
    void theFolderIsNotCreatedForABadInvocation() {
        Path out = tmp.resolve("never");
        assertEquals(2, run("train", "--out", out.toString(), "--lr", "-1").exit());
        assertFalse(Files.exists(out));
    }

    /**
     * The launcher's install protocol: with {@value Cli#INSTALL_PROTOCOL_ENV} set, only a valid invocation whose data is
     * absent exits with {@link Cli#DATA_MISSING} (the launcher then installs); --help and mistakes never do.
     */
    @Test
    void theInstallExitCodeOnlyForAValidRunWithoutData() throws Exception {
        Map<String, String> env = Map.of(Cli.INSTALL_PROTOCOL_ENV, "1");
        List<String> noData = List.of("-D" + FashionMnist.LOCATIONS_PROPERTY + "=" + emptyDir);
        ForkedJvm.Result help = ForkedJvm.run(Duration.ofSeconds(120), env, noData, Main.class, "train", "--help");
        assertEquals(0, help.exit(), help.output());
        ForkedJvm.Result bad = ForkedJvm.run(Duration.ofSeconds(120), env, noData, Main.class, "train", "--threads", "0");
        assertEquals(2, bad.exit(), bad.output());
        ForkedJvm.Result missing = ForkedJvm.run(Duration.ofSeconds(120), env, noData, Main.class, "train", "--out", tmp.resolve("o3").toString());
        assertEquals(Cli.DATA_MISSING, missing.exit(), missing.output());
        assertFalse(missing.output().contains("vcnn train:"), "the launcher speaks, not the CLI: " + missing.output());
        ForkedJvm.Result plain = ForkedJvm.run(Duration.ofSeconds(120), Map.of(), noData, Main.class, "train", "--out", tmp.resolve("o4").toString());
        assertEquals(1, plain.exit(), plain.output());
        assertEquals(1, plain.lines().stream().filter(l -> l.startsWith("vcnn train: Fashion-MNIST not found in [" + emptyDir + "]")).count(), plain.output());
    }
}
