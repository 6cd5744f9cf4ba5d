package io.github.vcnn.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vcnn bench-onnx}: the timing line without ONNX Runtime, and one-line usage errors (exit 2) for bad options. */
class BenchOnnxCommandTest {

    static Path leakyRelu() throws Exception {
        return OnnxCommandsTest.bundled().resolve("test_leakyrelu/model.onnx");
    }

    @Test
    void printsMedianP99AndThroughput() throws Exception {
        OnnxCommandsTest.Run r = OnnxCommandsTest.run("bench-onnx", leakyRelu().toString(), "--seconds", "0.2", "--warmup", "0.1", "--threads", "2");
        assertEquals(0, r.exit(), r.err().toString());
        assertEquals(2, r.out().size(), r.out().toString());
        assertTrue(r.out().get(0).matches("test_leakyrelu: load \\+ compile \\d+\\.\\d ms, batch \\d+, threads 2.*, kernels \\w+, 0\\.1 s warm-up, \\d+ calls in 0\\.\\d s"), r.out().get(0));
        assertTrue(r.out().get(1).matches("median \\d+\\.\\d{3} ms, p99 \\d+\\.\\d{3} ms, \\d+\\.\\d inferences/s"), r.out().get(1));
        assertTrue(r.err().isEmpty(), r.err().toString());
    }

    /** --profile: after the timing, a total line, then one line per step of the plan with its median and share. */
    @Test
    void profilePrintsOneLinePerStep() throws Exception {
        OnnxCommandsTest.Run r = OnnxCommandsTest.run("bench-onnx", leakyRelu().toString(), "--seconds", "0.2", "--warmup", "0.1", "--profile");
        assertEquals(0, r.exit(), r.err().toString());
        assertTrue(r.out().size() >= 4, r.out().toString());
        assertTrue(r.out().get(2).matches("profile: (\\d+) steps, \\d+\\.\\d µs in total \\(step by step, medians\\)"), r.out().get(2));
        int steps = Integer.parseInt(r.out().get(2).split(" ")[1]);
        assertEquals(3 + steps, r.out().size(), r.out().toString());
        for (String line : r.out().subList(3, r.out().size())) {
            assertTrue(line.matches(" +\\d+\\.\\d µs +\\d+\\.\\d% +node '.*' \\(\\w+\\): .+"), line);
        }
    }

    /** Without the launcher's ONNX Runtime class path, --vs-ort is a usage error that says how to get it; nothing is timed. */
    @Test
    void vsOrtWithoutTheLauncherSaysWhatIsMissing() throws Exception {
        String saved = System.clearProperty(OrtPeer.CLASSPATH_PROPERTY);
        try {
            OnnxCommandsTest.Run r = OnnxCommandsTest.run("bench-onnx", leakyRelu().toString(), "--vs-ort", "--seconds", "0.1");
            assertEquals(2, r.exit());
            assertEquals(List.of(), r.out());
            assertEquals(1, r.err().size(), r.err().toString());
            assertTrue(r.err().get(0).startsWith("vcnn bench-onnx: --vs-ort: ONNX Runtime is not on hand"), r.err().get(0));
        } finally {
            if (saved != null) System.setProperty(OrtPeer.CLASSPATH_PROPERTY, saved);
        }
    }

    @Test
    void badOptionsAreOneLineAndExitTwo(@TempDir Path dir) throws Exception {
        String m = leakyRelu().toString();
        Path notOnnx = Files.writeString(dir.resolve("x.onnx"), "not a model");
        String[][] cases = {
                {"bench-onnx"},
                {"bench-onnx", dir.resolve("absent.onnx").toString()},
                {"bench-onnx", dir.toString()},
                {"bench-onnx", m, "--batch", "0"},
                {"bench-onnx", m, "--batch", "two"},
                {"bench-onnx", m, "--threads", "0"},
                {"bench-onnx", m, "--seconds", "-1"},
                {"bench-onnx", m, "--seconds", "NaN"},
                {"bench-onnx", m, "--warmup", "0"},
                {"bench-onnx", m, "--kernels", "gpu"},
                {"bench-onnx", m, "--frobnicate"},
        };
        for (String[] c : cases) {
            OnnxCommandsTest.Run r = OnnxCommandsTest.run(c);
            String what = String.join(" ", c);
            assertEquals(2, r.exit(), what + ": " + r.err());
            assertEquals(1, r.err().size(), what + ": " + r.err());
            assertTrue(r.err().get(0).startsWith("vcnn bench-onnx: "), what + ": " + r.err());
            assertFalse(r.err().get(0).contains("Exception"), what + ": " + r.err());
            assertEquals(List.of(), r.out(), what);
        }
        OnnxCommandsTest.Run corrupt = OnnxCommandsTest.run("bench-onnx", notOnnx.toString(), "--seconds", "0.1");
        assertEquals(1, corrupt.exit(), corrupt.err().toString());
        assertEquals(1, corrupt.err().size(), corrupt.err().toString());
    }

    @Test
    void ortOutputIsParsed() throws Exception {
        OrtPeer.Result r = OrtPeer.parse("{\"lib\":\"ort\",\"version\":\"1.29.0\",\"session_ms\":81.5000,\"model\":\"m\",\"batch\":1,\"threads\":1,\"median_ms\":0.5000,"
                + "\"p99_ms\":0.9000,\"min_ms\":0.4,\"calls\":100,\"images_per_s\":2000.0,\"measured_s\":0.052,\"per_s\":1923.1}");
        assertEquals("1.29.0", r.version());
        assertEquals(81.5, r.sessionMs());
        assertEquals(0.5, r.timing().medianMs());
        assertEquals(0.9, r.timing().p99Ms());
        assertEquals(100, r.timing().calls());
        assertEquals(1923.1, r.timing().perSecond());
    }
}
