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
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
            code = Cli.configure(new CommandLine(new TrainCommand())).execute(all);
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
    void aDataFolderWithoutTheFilesIsAUsageErrorNamingWhatIsMissing(@TempDir Path tmp) {
        CliErrorsTest.Run r = CliErrorsTest.run("train", "--data", tmp.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(2, r.exit());
        assertEquals(1, r.errLines().size(), r.err());
        assertEquals("vcnn train: --data " + tmp + ": no Fashion-MNIST there: expected train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], "
                + "t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]", r.errLines().get(0));
    }

    @Test
    void progressLinesGoToSystemErrWhenItIsNotATerminal(@TempDir Path tmp) throws Exception {
        Path data = IdxFiles.smallFashionMnist(Files.createDirectories(tmp.resolve("data")), 96, 64);
        Assumptions.assumeTrue(data != null, "Fashion-MNIST absent (apt-get install dataset-fashion-mnist); skipping");
        CliErrorsTest.Run r = CliErrorsTest.run("train", "--data", data.toString(), "--out", tmp.resolve("p").toString(), "--epochs", "2",
                "--batch", "32", "--progress", "lines");
        assertEquals(0, r.exit(), r.err());
        // one plain line per epoch (an epoch of 96 images takes well under the 10 s interval), no carriage-return frames
        List<String> progress = r.errLines().stream().filter(l -> l.startsWith("epoch ")).toList();
        assertEquals(2, progress.size(), r.err());
        assertTrue(progress.get(0).matches("epoch 1/2: 96/96 images  loss \\d+\\.\\d{4}  [\\d,]+ img/s"), progress.get(0));
        assertFalse(r.err().contains("\r"), "no live-bar frames in a log");
    }
}
