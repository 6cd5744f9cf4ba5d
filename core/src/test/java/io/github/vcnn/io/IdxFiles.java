package io.github.vcnn.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small IDX files for tests (raw or gzip). */
public final class IdxFiles {
    private IdxFiles() {
    }

    public static void writeImages(Path file, int count, int rows, int cols, byte[] pixels, boolean gzip) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16 + pixels.length).putInt(0x0803).putInt(count).putInt(rows).putInt(cols).put(pixels);
        write(file, b.array(), gzip);
    }

    public static void writeLabels(Path file, int[] labels, boolean gzip) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + labels.length).putInt(0x0801).putInt(labels.length);
        for (int l : labels) b.put((byte) l);
        write(file, b.array(), gzip);
    }

    public static void write(Path file, byte[] bytes, boolean gzip) throws IOException {
        if (!gzip) {
            Files.write(file, bytes);
            return;
        }
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(bytes);
        }
    }

    /** A Fashion-MNIST folder holding the first {@code train} / {@code test} images of the real data set (raw IDX), or null when it is absent. */
    public static Path smallFashionMnist(Path dir, int train, int test) throws IOException {
        Path src;
        try {
            src = FashionMnist.locate(null);
        } catch (java.nio.file.NoSuchFileException e) {
            return null;
        }
        copy(src, dir, FashionMnist.TRAIN_IMAGES, FashionMnist.TRAIN_LABELS, train);
        copy(src, dir, FashionMnist.TEST_IMAGES, FashionMnist.TEST_LABELS, test);
        return dir;
    }

    private static void copy(Path src, Path dir, String images, String labels, int n) throws IOException {
        Path gz = src.resolve(images + ".gz");
        Idx.Images img = Idx.readImages(Files.exists(gz) ? gz : src.resolve(images));
        Path lgz = src.resolve(labels + ".gz");
        int[] lab = Idx.readLabels(Files.exists(lgz) ? lgz : src.resolve(labels));
        byte[] px = java.util.Arrays.copyOf(img.pixels(), n * 784);
        writeImages(dir.resolve(images), n, 28, 28, px, false);
        writeLabels(dir.resolve(labels), java.util.Arrays.copyOf(lab, n), false);
    }
}
