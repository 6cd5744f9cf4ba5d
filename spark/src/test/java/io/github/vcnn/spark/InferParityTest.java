package io.github.vcnn.spark;

import io.github.vcnn.cli.InferCommand;
import io.github.vcnn.onnx.TensorProtos;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The scorer prepares an image exactly as {@code vcnn infer} does: the same output tensor, bit for bit. */
class InferParityTest {
    @TempDir
    Path tmp;

    @Test
    void imageScoresEqualVcnnInferOutput() throws Exception {
        Path onnx = TestData.sharedOnnxLeNet();
        Path dir = tmp.resolve("img");
        TestData.writeImages(dir, 3, 5);
        var spark = TestData.spark();
        List<Row> rows = new VcnnScorer().setModelPath(onnx.toString()).setResize(33).setMean(0.2).setStd(0.3)
                .transform(spark.read().format("binaryFile").load(dir.toString())).collectAsList();
        assertEquals(3, rows.size());
        for (Row r : rows) {
            Path img = Path.of(java.net.URI.create(r.getString(r.fieldIndex("path"))));
            Path out = tmp.resolve(img.getFileName() + ".pb");
            int exit = new CommandLine(new InferCommand()).execute(onnx.toString(), img.toString(), "--out", out.toString(),
                    "--resize", "33", "--mean", "0.2", "--std", "0.3");
            assertEquals(0, exit);
            assertArrayEquals(TensorProtos.read(out).floats(), VcnnScorerTest.floats(r, "scores"), img.toString());
            Files.delete(out);
        }
    }
}
