package io.github.vcnn.cli;

import io.github.vcnn.graph.Tensor;
import io.github.vcnn.onnx.OnnxBuilder;
import io.github.vcnn.onnx.TensorProtos;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static io.github.vcnn.onnx.OnnxBuilder.i;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vcnn check-onnx} and {@code vcnn infer}: output format, exit codes, one-line errors without stack traces. */
class OnnxCommandsTest {

    record Run(int exit, List<String> out, List<String> err) {
        String last() {
            return out.get(out.size() - 1);
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString().lines().toList(), err.toString().lines().toList());
    }

    static Path bundled() throws Exception {
        return Path.of(OnnxCommandsTest.class.getResource("/onnx-node/README.md").toURI()).getParent();
    }

    @Test
    void checkOnnxPassesTheBundledTests() throws Exception {
        Run r = run("check-onnx", bundled().toString());
        long tests = r.out().stream().filter(l -> l.startsWith("PASS ") || l.startsWith("FAIL ")).count();
        assertTrue(tests >= 15, r.out().toString());
        assertEquals(tests + " passed, 0 failed", r.last());
        assertTrue(r.out().stream().filter(l -> l.startsWith("PASS ")).allMatch(l -> l.matches("PASS test_\\S+ \\(max err \\S+\\)")), r.out().toString());
        assertEquals(0, r.exit());
    }

    @Test
    void checkOnnxReportsFailuresAndExitsOne(@TempDir Path dir) throws Exception {
        Path src = bundled().resolve("test_leakyrelu");
        Path t = dir.resolve("nested/test_leakyrelu_wrong");
        try (Stream<Path> s = Files.walk(src)) {
            for (Path p : s.sorted(Comparator.naturalOrder()).toList()) {
                Path q = t.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(q);
                else Files.copy(p, q);
            }
        }
        Path out0 = t.resolve("test_data_set_0/output_0.pb");
        Tensor ref = TensorProtos.read(out0);
        float[] v = ref.floats();
        v[7] += 0.5f;
        TensorProtos.write(out0, "y", ref.shape(), v);
        Run r = run("check-onnx", dir.toString());
        assertEquals(List.of("FAIL test_leakyrelu_wrong (" + r.out().get(0).substring("FAIL test_leakyrelu_wrong (".length()), "0 passed, 1 failed"), r.out());
        assertTrue(r.out().get(0).contains("element 7"), r.out().get(0));
        assertEquals(1, r.exit());
    }

    @Test
    void checkOnnxUsageMistakes(@TempDir Path dir) {
        Run none = run("check-onnx");
        assertEquals(2, none.exit());
        assertEquals(1, none.err().size(), none.err().toString());
        assertEquals(List.of("vcnn check-onnx: PATH: missing (see 'vcnn check-onnx --help')"), none.err());
        Run missing = run("check-onnx", dir.resolve("nope").toString());
        assertEquals(2, missing.exit());
        assertEquals(List.of("vcnn check-onnx: PATH " + dir.resolve("nope") + ": no such file or folder"), missing.err());
        Run bad = run("check-onnx", "--threads", "many", dir.toString());
        assertEquals(2, bad.exit());
        assertEquals(1, bad.err().size(), bad.err().toString());
        assertEquals(List.of("vcnn check-onnx: --threads many: not a whole number"), bad.err());
        Run help = run("check-onnx", "--help");
        assertTrue(String.join("\n", help.out()).contains("1e-4 + 1e-3 * |ref|"), help.out().toString());
    }

    /** [N,3,8,8] -> GlobalAveragePool -> Flatten -> Gemm to 12 classes. */
    static Path classifier(Path dir, long seed) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[12 * 3];
        for (int k = 0; k < w.length; k++) w[k] = (float) r.nextGaussian();
        Path f = dir.resolve("cls.onnx");
        Files.write(f, OnnxBuilder.model().input("x", -1, 3, 8, 8).output("y", -1, 12).init("w", new int[]{12, 3}, w)
                .node("GlobalAveragePool", List.of("x"), List.of("g")).node("Flatten", List.of("g"), List.of("f"), i("axis", 1))
                .node("Gemm", List.of("f", "w"), List.of("y"), i("transB", 1)).bytes());
        return f;
    }

    @Test
    void inferPrintsTheTopClassesOfATensorRawDataAndAnImage(@TempDir Path dir) throws Exception {
        Path model = classifier(dir, 1);
        float[] x = new float[3 * 64];
        for (int k = 0; k < x.length; k++) x[k] = (k % 7) / 7f;
        Path pb = dir.resolve("x.pb");
        TensorProtos.write(pb, "x", new int[]{1, 3, 8, 8}, x);
        Run r = run("infer", model.toString(), pb.toString());
        assertEquals(0, r.exit(), r.err().toString());
        assertTrue(r.out().get(0).matches("1\\. class \\d+ {2}score \\S+ {2}p \\S+"), r.out().toString());
        assertEquals(5, r.out().stream().filter(l -> l.matches("\\d\\. class .*")).count(), r.out().toString());

        Path raw = dir.resolve("x.bin");
        ByteBuffer b = ByteBuffer.allocate(x.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(x);
        Files.write(raw, b.array());
        Run rr = run("infer", model.toString(), raw.toString(), "--shape", "1,3,8,8", "--top", "3");
        assertEquals(0, rr.exit(), rr.err().toString());
        assertEquals(r.out().subList(0, 3), rr.out().subList(0, 3), "raw float32 and TensorProto inputs give the same result");

        BufferedImage img = new BufferedImage(20, 16, BufferedImage.TYPE_INT_RGB);
        for (int yy = 0; yy < 16; yy++) for (int xx = 0; xx < 20; xx++) img.setRGB(xx, yy, (xx * 12) << 16 | (yy * 15) << 8 | 90);
        Path png = dir.resolve("img.png");
        ImageIO.write(img, "png", png.toFile());
        Run ri = run("infer", model.toString(), png.toString());
        assertEquals(0, ri.exit(), ri.err().toString());
        assertTrue(ri.out().get(0).startsWith("1. class "), ri.out().toString());
    }

    @Test
    void inferWritesTheOutputTensor(@TempDir Path dir) throws Exception {
        Path model = classifier(dir, 2);
        Path pb = dir.resolve("x.pb");
        float[] x = new float[2 * 3 * 64];
        for (int k = 0; k < x.length; k++) x[k] = k / 100f;
        TensorProtos.write(pb, "x", new int[]{2, 3, 8, 8}, x);
        Path out = dir.resolve("y.pb");
        Run r = run("infer", model.toString(), pb.toString(), "--out", out.toString());
        assertEquals(0, r.exit(), r.err().toString());
        Tensor y = TensorProtos.read(out);
        assertArrayEquals(new int[]{2, 12}, y.shape());
        Path rawOut = dir.resolve("y.bin");
        assertEquals(0, run("infer", model.toString(), pb.toString(), "--out", rawOut.toString()).exit());
        assertEquals(2 * 12 * 4, Files.size(rawOut));
    }

    @Test
    void inferMistakesAreOneLine(@TempDir Path dir) throws Exception {
        Path model = classifier(dir, 3);
        Run noInput = run("infer", model.toString());
        assertEquals(2, noInput.exit());
        assertEquals(1, noInput.err().size());
        assertEquals(List.of("vcnn infer: INPUT: missing (see 'vcnn infer --help')"), noInput.err());

        Path raw = dir.resolve("x.bin");
        Files.write(raw, new byte[4 * 10]);
        Run shape = run("infer", model.toString(), raw.toString(), "--shape", "1,3,8,8");
        assertEquals(2, shape.exit());
        assertTrue(shape.err().get(0).contains("--shape") && shape.err().get(0).contains("192"), shape.err().toString());

        Path corrupt = dir.resolve("corrupt.onnx");
        Files.write(corrupt, java.util.Arrays.copyOf(Files.readAllBytes(model), 60));
        Run bad = run("infer", corrupt.toString(), raw.toString());
        assertEquals(1, bad.exit());
        assertEquals(1, bad.err().size(), bad.err().toString());
        assertTrue(bad.err().get(0).contains("corrupt.onnx"), bad.err().toString());
        assertFalse(String.join("\n", bad.err()).contains("\tat "), "no stack trace");

        Run unknown = run("infer", "--frobnicate", model.toString(), raw.toString());
        assertEquals(2, unknown.exit());
        assertEquals(1, unknown.err().size(), unknown.err().toString());
        assertTrue(unknown.err().get(0).startsWith("vcnn infer: unknown option '--frobnicate'"), unknown.err().toString());
    }
}
