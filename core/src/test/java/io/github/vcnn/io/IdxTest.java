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

    @Test
    void headersAreCheckedBeforeAllocatingAndSizesMustMatchExactly(@TempDir Path tmp) throws IOException {
        // 10^12 pixels claimed by a 16-byte file (raw): refused from the file size, no allocation
        byte[] claim = java.nio.ByteBuffer.allocate(16).putInt(0x0803).putInt(1_000_000).putInt(1_000).putInt(1_000).array();
        IOException e = assertThrows(IOException.class, () -> Idx.parseImages(claim, "claim"));
        assertTrue(e.getMessage().contains("more than a Java array holds"), e.getMessage());
        byte[] fits = java.nio.ByteBuffer.allocate(16).putInt(0x0803).putInt(1_000).putInt(1_000).putInt(1_000).array();
        e = assertThrows(IOException.class, () -> Idx.parseImages(fits, "fits"));
        assertTrue(e.getMessage().contains("holds 0 data bytes but its header declares 1000000000 (truncated?)"), e.getMessage());
        // the same claim gzip-compressed: decompressed into a buffer that grows with the data, then refused as truncated
        Path gz = tmp.resolve("claim.gz");
        IdxFiles.write(gz, fits, true);
        e = assertThrows(IOException.class, () -> Idx.readImages(gz));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        // dimension product overflowing an int, and a long
        byte[] over = java.nio.ByteBuffer.allocate(16).putInt(0x0803).putInt(Integer.MAX_VALUE).putInt(Integer.MAX_VALUE).putInt(Integer.MAX_VALUE).array();
        e = assertThrows(IOException.class, () -> Idx.parseImages(over, "over"));
        assertTrue(e.getMessage().contains("too many values"), e.getMessage());
        // trailing bytes, raw and gzip
        byte[] labels = java.nio.ByteBuffer.allocate(8 + 3 + 1).putInt(0x0801).putInt(3).put(new byte[]{1, 2, 3, 4}).array();
        e = assertThrows(IOException.class, () -> Idx.parseLabels(labels, "trailing"));
        assertTrue(e.getMessage().contains("trailing bytes"), e.getMessage());
        Path lgz = tmp.resolve("trailing.gz");
        IdxFiles.write(lgz, labels, true);
        e = assertThrows(IOException.class, () -> Idx.readLabels(lgz));
        assertTrue(e.getMessage().contains("data after the 3 values"), e.getMessage());
        // a negative dimension and a short header
        e = assertThrows(IOException.class, () -> Idx.parseLabels(java.nio.ByteBuffer.allocate(8).putInt(0x0801).putInt(-1).array(), "neg"));
        assertTrue(e.getMessage().contains("bad dimension -1"), e.getMessage());
        e = assertThrows(IOException.class, () -> Idx.parseLabels(new byte[]{0, 0, 8, 1, 0}, "short"));
        assertTrue(e.getMessage().contains("too short for its header"), e.getMessage());
    }
}
