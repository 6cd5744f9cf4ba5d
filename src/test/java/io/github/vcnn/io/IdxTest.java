package io.github.vcnn.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxTest {

    @Test
    void readsRawAndGzip(@TempDir Path tmp) throws IOException {
        byte[] px = new byte[2 * 3 * 4];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 11);
        for (boolean gz : new boolean[]{false, true}) {
            Path img = tmp.resolve("img" + gz), lab = tmp.resolve("lab" + gz);
            IdxFiles.writeImages(img, 2, 3, 4, px, gz);
            IdxFiles.writeLabels(lab, new int[]{7, 200}, gz);
            Idx.Images images = Idx.readImages(img);
            assertEquals(2, images.count());
            assertEquals(3, images.rows());
            assertEquals(4, images.cols());
            assertArrayEquals(px, images.pixels());
            assertEquals(253, images.pixel(23));
            assertArrayEquals(new int[]{7, 200}, Idx.readLabels(lab));
        }
    }

    @Test
    void rejectsBadFilesNamingThem(@TempDir Path tmp) throws IOException {
        Path lab = tmp.resolve("labels.idx");
        IdxFiles.writeLabels(lab, new int[]{1, 2, 3}, false);
        IOException e = assertThrows(IOException.class, () -> Idx.readImages(lab));
        assertTrue(e.getMessage().contains("labels.idx") && e.getMessage().contains("magic"), e.getMessage());

        Path img = tmp.resolve("short-images");
        IdxFiles.writeImages(img, 5, 2, 2, new byte[20], false);
        byte[] all = Files.readAllBytes(img);
        Files.write(img, java.util.Arrays.copyOf(all, all.length - 3));
        e = assertThrows(IOException.class, () -> Idx.readImages(img));
        assertTrue(e.getMessage().contains("short-images") && e.getMessage().contains("truncated"), e.getMessage());

        Path gz = tmp.resolve("broken.gz");
        IdxFiles.writeLabels(gz, new int[100], true);
        byte[] g = Files.readAllBytes(gz);
        Files.write(gz, java.util.Arrays.copyOf(g, g.length / 2));
        e = assertThrows(IOException.class, () -> Idx.readLabels(gz));
        assertTrue(e.getMessage().contains("broken.gz"), e.getMessage());

        assertThrows(NoSuchFileException.class, () -> Idx.readLabels(tmp.resolve("nope")));
    }

    @Test
    void locatorExplainsHowToGetTheData(@TempDir Path tmp) {
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> FashionMnist.locate(tmp));
        assertTrue(e.getReason().contains("train-images-idx3-ubyte"), e.getReason());
        assertTrue(FashionMnist.howToGet().contains("apt-get install dataset-fashion-mnist"));
        assertTrue(FashionMnist.howToGet().contains("--data"));
    }
}
