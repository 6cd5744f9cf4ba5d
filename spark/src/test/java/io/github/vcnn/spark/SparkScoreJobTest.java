package io.github.vcnn.spark;

import io.github.vcnn.graph.CompiledModel;
import io.github.vcnn.nn.Model;
import io.github.vcnn.onnx.TensorProtos;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SparkScoreJobTest {
    @TempDir
    static Path tmp;

    static SparkSession spark;
    static Path model, input;
    static CompiledModel local;
    static Map<String, float[]> expected = new HashMap<>();

    @BeforeAll
    static void setUp() throws Exception {
        spark = TestData.spark();
        model = TestData.leNetSafetensors(tmp);
        local = CompiledModel.compile(Model.load(model));
        input = tmp.resolve("in");
        TestData.writeImages(input, 5, 11);
        Random r = new Random(3);
        for (int i = 0; i < 3; i++) TensorProtos.write(input.resolve("t" + i + ".pb"), "input", new int[]{1, 1, 28, 28}, TestData.randomFloats(r, 784));
        Files.writeString(input.resolve("notes.txt"), "not an input");
        ImagePreprocessing prep = new ImagePreprocessing(1, 28, 28, 0, null, null);
        try (var files = Files.list(input)) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (n.endsWith(".txt")) continue;
                float[] x;
                if (n.endsWith(".pb")) {
                    x = TensorProtos.read(f).floats();
                } else {
                    x = new float[prep.size()];
                    prep.apply(ImageIO.read(f.toFile()), x, 0);
                }
                expected.put(n, local.predict(x));
            }
        }
    }

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        CommandLine cl = SparkScoreJob.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void scoresAFolderOfImagesAndTensorProtosToParquet() {
        Path out = tmp.resolve("scores.parquet");
        Run r = run("--model", model.toString(), "--input", input.toString(), "--output", out.toString(), "--top-k", "3", "--batch", "3",
                "--partitions", "2");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("wrote 8 rows to " + out), r.out());
        List<Row> rows = spark.read().parquet(out.toString()).collectAsList();
        assertEquals("struct<path:string,classes:array<int>,scores:array<float>>", spark.read().parquet(out.toString()).schema().simpleString());
        assertEquals(8, rows.size());
        List<String> names = new ArrayList<>();
        for (Row row : rows) {
            String name = Path.of(row.getString(0)).getFileName().toString();
            names.add(name);
            float[] y = expected.get(name);
            int[] top = TopK.indices(y, 0, y.length, 3);
            assertArrayEquals(top, row.getList(1).stream().mapToInt(o -> (Integer) o).toArray(), name);
            float[] scores = new float[3];
            for (int k = 0; k < 3; k++) scores[k] = (Float) row.getList(2).get(k);
            assertArrayEquals(new float[]{y[top[0]], y[top[1]], y[top[2]]}, scores, name);
        }
        assertEquals(expected.keySet(), new java.util.HashSet<>(names));

        // again: refused without --overwrite, replaced with it
        Run again = run("--model", model.toString(), "--input", input.toString(), "--output", out.toString());
        assertEquals(2, again.exit());
        assertEquals("vcnn spark-score: --output " + out + ": exists (add --overwrite to replace it) (see 'vcnn spark-score --help')\n", again.err());
        Run all = run("--model", model.toString(), "--input", input.toString(), "--output", out.toString(), "--overwrite", "--top-k", "0");
        assertEquals(0, all.exit(), all.err());
        assertEquals("struct<path:string,scores:array<float>>", spark.read().parquet(out.toString()).schema().simpleString());
        for (Row row : spark.read().parquet(out.toString()).collectAsList()) {
            float[] y = new float[10];
            for (int k = 0; k < 10; k++) y[k] = (Float) row.getList(1).get(k);
            assertArrayEquals(expected.get(Path.of(row.getString(0)).getFileName().toString()), y);
        }
    }

    @Test
    void mistakesAreOneLineWithExitCode2() throws Exception {
        String m = model.toString(), in = input.toString(), o = tmp.resolve("x.parquet").toString();
        assertUsage("--batch 0: must be between 1 and 65536", "--model", m, "--input", in, "--output", o, "--batch", "0");
        assertUsage("--threads 300: must be between 1 and 256", "--model", m, "--input", in, "--output", o, "--threads", "300");
        assertUsage("--top-k -1: must be >= 0", "--model", m, "--input", in, "--output", o, "--top-k", "-1");
        assertUsage("--model " + tmp.resolve("none.onnx") + ": no such file", "--model", tmp.resolve("none.onnx").toString(), "--input", in, "--output", o);
        assertUsage("--input " + m + ": is not a folder", "--model", m, "--input", m, "--output", o);
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertUsage("--input " + empty + ": has no .png, .jpg, .jpeg or .pb files", "--model", m, "--input", empty.toString(), "--output", o);
        Run r = run("--model", m, "--input", in);
        assertEquals(2, r.exit());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("vcnn spark-score: Missing required option: '--output=OUT.parquet'"), r.err());
        r = run("--model", m, "--input", in, "--output", o, "--bogus");
        assertEquals(2, r.exit());
        assertEquals(1, r.err().lines().count(), r.err());
        r = run("--model", m, "--input", in, "--output", o, "--batch", "many");
        assertEquals(2, r.exit());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    @Test
    void aCorruptModelIsOneLineWithExitCode1() throws Exception {
        Path bad = tmp.resolve("corrupt.onnx");
        Files.write(bad, new byte[]{8, 1, 2, 3});
        Run r = run("--model", bad.toString(), "--input", input.toString(), "--output", tmp.resolve("y.parquet").toString());
        assertEquals(1, r.exit(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("vcnn spark-score: model " + bad + " cannot be used: "), r.err());
    }

    @Test
    void aBrokenImageIsOneLineWithExitCode1NamingTheFile() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("broken"));
        Files.copy(input.resolve("img-00.png"), dir.resolve("ok.png"));
        Files.writeString(dir.resolve("broken.png"), "garbage");
        Run r = run("--model", model.toString(), "--input", dir.toString(), "--output", tmp.resolve("z.parquet").toString());
        assertEquals(1, r.exit(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().matches("vcnn spark-score: file:\\S*/broken\\.png is not an image javax.imageio can read \\(7 bytes\\)\\n"), r.err());
        assertTrue(Files.notExists(tmp.resolve("z.parquet")), "the failed job's output folder is removed");
    }

    static void assertUsage(String message, String... args) {
        Run r = run(args);
        assertEquals(2, r.exit(), r.err());
        assertEquals("vcnn spark-score: " + message + " (see 'vcnn spark-score --help')\n", r.err());
    }
}
