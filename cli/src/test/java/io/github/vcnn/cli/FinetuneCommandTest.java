package io.github.vcnn.cli;

import io.github.vcnn.io.IdxFiles;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vcnn finetune} end to end on a small slice of Fashion-MNIST: both models train and the comparison is printed. */
class FinetuneCommandTest {

    @Test
    void comparesFrozenFeaturesWithScratch(@TempDir Path tmp) throws Exception {
        Path data = IdxFiles.smallFashionMnist(Files.createDirectories(tmp.resolve("data")), 400, 200);
        Assumptions.assumeTrue(data != null, "Fashion-MNIST absent (apt-get install dataset-fashion-mnist); skipping");
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        int code;
        try {
            code = Cli.configure(new CommandLine(new FinetuneCommand())).execute("--data", data.toString(), "--out", tmp.resolve("out").toString(),
                    "--pretrain-epochs", "1", "--epochs", "2", "--labelled", "100", "--no-progress");
        } finally {
            System.setOut(old);
        }
        String text = buf.toString();
        System.out.print(text);
        assertEquals(0, code, text);
        assertTrue(text.contains("frozen conv + new head") && text.contains("from scratch") && text.contains("time per epoch"), text);
        // the model summary printed before the frozen run marks exactly the conv layers (with parameters) as frozen:
        // a check of the summary's own lines, not of the "frozen conv + new head" label above
        List<String> frozenRows = text.lines().filter(l -> l.trim().endsWith(" frozen")).toList();
        assertEquals(2, frozenRows.size(), "two frozen conv layers in the summary: " + text);
        assertTrue(frozenRows.stream().allMatch(l -> l.contains("Conv2d")), frozenRows.toString());
        assertTrue(text.lines().anyMatch(l -> l.contains("Linear") && l.trim().endsWith(" yes")), "the new head is trainable: " + text);
        assertTrue(Files.size(tmp.resolve("out").resolve("pretrained-0-4.safetensors")) > 0);
    }
}
