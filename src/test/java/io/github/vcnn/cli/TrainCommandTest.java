package io.github.vcnn.cli;

import io.github.vcnn.io.IdxFiles;
import io.github.vcnn.nn.Model;
import io.github.vcnn.nn.Sequential;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vcnn train} end to end on a small slice of Fashion-MNIST: checkpoints, chart, history, and reproducibility. */
class TrainCommandTest {

    private static String run(Path data, Path out, String... extra) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        int code;
        try {
            String[] args = {"--data", data.toString(), "--out", out.toString(), "--epochs", "2", "--batch", "32", "--no-progress"};
            String[] all = java.util.Arrays.copyOf(args, args.length + extra.length);
            System.arraycopy(extra, 0, all, args.length, extra.length);
            code = new CommandLine(new TrainCommand()).execute(all);
        } finally {
            System.setOut(old);
        }
        String text = buf.toString();
        System.out.print(text);
        assertEquals(0, code, text);
        return text;
    }

    @Test
    void writesCheckpointsChartAndHistoryAndIsReproducible(@TempDir Path tmp) throws Exception {
        Path data = IdxFiles.smallFashionMnist(Files.createDirectories(tmp.resolve("data")), 96, 64);
        Assumptions.assumeTrue(data != null, "Fashion-MNIST absent (apt-get install dataset-fashion-mnist); skipping");
        String a = run(data, tmp.resolve("a"), "--threads", "2");
        for (String f : new String[]{"epoch-1.safetensors", "epoch-2.safetensors", "model.safetensors", "history.csv", "curves.png"}) {
            assertTrue(Files.size(tmp.resolve("a").resolve(f)) > 0, f);
        }
        assertTrue(a.contains("epoch 2/2") && a.contains("test accuracy") && a.contains("img/s"), a);
        Sequential loaded = Model.load(tmp.resolve("a").resolve("model.safetensors"));
        assertEquals(11, loaded.size());
        String b = run(data, tmp.resolve("b"), "--threads", "2");
        String fa = a.substring(a.indexOf("fingerprint")), fb = b.substring(b.indexOf("fingerprint"));
        assertEquals(fa, fb, "same seed and thread count must give bit-identical weights");
        assertTrue(Files.readAllBytes(tmp.resolve("a").resolve("model.safetensors")).length > 0);
        assertEquals(java.util.Arrays.hashCode(Files.readAllBytes(tmp.resolve("a").resolve("model.safetensors"))),
                java.util.Arrays.hashCode(Files.readAllBytes(tmp.resolve("b").resolve("model.safetensors"))));
    }

    @Test
    void missingDataGivesInstructions(@TempDir Path tmp) {
        int code = new CommandLine(new TrainCommand()).execute("--data", tmp.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(1, code);
    }
}
