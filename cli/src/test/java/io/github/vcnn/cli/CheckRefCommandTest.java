package io.github.vcnn.cli;

import io.github.vcnn.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vcnn check-ref}: the output format, the exit code, and that failures are reported rather than skipped. */
class CheckRefCommandTest {

    private record Run(int exit, List<String> lines) {
        String last() {
            return lines.get(lines.size() - 1);
        }
    }

    private static Run run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int exit;
        try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(ps);
            exit = Cli.configure(new CommandLine(new CheckRefCommand())).execute(args);
        } finally {
            System.setOut(old);
        }
        return new Run(exit, buf.toString(StandardCharsets.UTF_8).lines().toList());
    }

    private static Path referenceFolder() throws Exception {
        return Path.of(CheckRefCommandTest.class.getResource("/torch-kernels/INDEX.json").toURI()).getParent();
    }

    @Test
    void everyReferenceCasePassesOnEveryVariant() throws Exception {
        Run r = run("--kernels", "all", referenceFolder().toString());
        long cases = r.lines().stream().filter(l -> l.startsWith("PASS ") || l.startsWith("FAIL ")).count();
        assertTrue(cases >= 60, "expected every case for every variant, got " + cases + ":\n" + String.join("\n", r.lines()));
        assertEquals(cases + " passed, 0 failed", r.last(), String.join("\n", r.lines()));
        assertEquals(0, r.exit());
        assertTrue(r.lines().stream().filter(l -> l.startsWith("PASS ")).allMatch(l -> l.matches("PASS \\S+ max_err=\\S+")), r.lines().toString());
    }

    @Test
    void forwardOnlyChecksTheForwardOutputs() throws Exception {
        Run r = run("--forward", "--kernels", "scalar", referenceFolder().resolve("conv_dilated.safetensors").toString());
        assertEquals(List.of("PASS conv_dilated max_err=" + r.lines().get(0).split("max_err=")[1], "1 passed, 0 failed"), r.lines());
        assertEquals(0, r.exit());
    }

    @Test
    void unsupportedOpsAndCorruptFilesFailInsteadOfBeingSkipped(@TempDir Path dir) throws Exception {
        SafeTensors.write(dir.resolve("a_conv3d.safetensors"), List.of(new SafeTensors.Entry("x", new int[]{2}, new float[]{1, 2})),
                Map.of("op", "conv3d"));
        Files.write(dir.resolve("b_truncated.safetensors"), new byte[]{8, 0, 0, 0, 0, 0, 0, 0, '{'});
        Path good = dir.resolve("c_relu.safetensors");
        Files.copy(referenceFolder().resolve("relu.safetensors"), good);
        Run r = run("--kernels", "scalar", dir.toString());
        assertEquals(4, r.lines().size(), String.join("\n", r.lines()));
        assertTrue(r.lines().get(0).startsWith("FAIL a_conv3d unsupported op 'conv3d'"), r.lines().get(0));
        assertTrue(r.lines().get(1).startsWith("FAIL b_truncated ") && r.lines().get(1).contains("corrupt"), r.lines().get(1));
        assertTrue(r.lines().get(2).startsWith("PASS c_relu "), r.lines().get(2));
        assertEquals("1 passed, 2 failed", r.last());
        assertEquals(1, r.exit());
    }

    @Test
    void aWrongResultIsReportedWithTheTensorAndElement(@TempDir Path dir) throws Exception {
        SafeTensors ref = SafeTensors.read(referenceFolder().resolve("relu.safetensors"));
        float[] y = ref.floats("y").clone();
        y[5] += 0.5f;
        SafeTensors.write(dir.resolve("relu_bad.safetensors"), List.of(
                new SafeTensors.Entry("x", ref.shape("x"), ref.floats("x")),
                new SafeTensors.Entry("y", ref.shape("y"), y),
                new SafeTensors.Entry("dy", ref.shape("dy"), ref.floats("dy")),
                new SafeTensors.Entry("dx", ref.shape("dx"), ref.floats("dx"))), Map.of("op", "relu"));
        Run r = run("--kernels", "scalar", dir.resolve("relu_bad.safetensors").toString());
        assertTrue(r.lines().get(0).startsWith("FAIL relu_bad y[5]"), r.lines().get(0));
        assertEquals("0 passed, 1 failed", r.last());
        assertEquals(1, r.exit());
    }

    @Test
    void aMissingPathIsAUsageErrorNamingIt() {
        CliErrorsTest.Run r = CliErrorsTest.run("check-ref", "/nonexistent/vcnn-reference");
        assertEquals(2, r.exit());
        assertEquals(List.of("vcnn check-ref: PATH /nonexistent/vcnn-reference: no such file or folder"), r.errLines());
        assertTrue(r.out().isBlank(), r.out());
    }
}
