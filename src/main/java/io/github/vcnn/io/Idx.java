package io.github.vcnn.io;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * The IDX format of MNIST and Fashion-MNIST (unsigned-byte data only): a big-endian magic
 * {@code 0x0000 08 D} (type 0x08 = ubyte, D dimensions), D big-endian 32-bit sizes, then the bytes.
 * Files may be gzip-compressed (detected by content, whatever the name). Every check failure is an
 * {@link IOException} naming the file.
 */
public final class Idx {
    private Idx() {
    }

    /** Images: {@code count x rows x cols} unsigned bytes. */
    public record Images(int count, int rows, int cols, byte[] pixels) {
        /** Pixel {@code i} as 0..255. */
        public int pixel(int i) {
            return pixels[i] & 0xFF;
        }

        /** All pixels as floats {@code (p/255 - mean) / std}, {@code [count][1][rows][cols]}. */
        public float[] toFloats(float mean, float std) {
            float[] out = new float[pixels.length];
            for (int i = 0; i < out.length; i++) out[i] = ((pixels[i] & 0xFF) / 255f - mean) / std;
            return out;
        }
    }

    /** Reads an IDX3 ubyte image file (magic 0x00000803). */
    public static Images readImages(Path file) throws IOException {
        byte[] b = load(file);
        int[] dims = header(b, file, 3);
        long n = (long) dims[0] * dims[1] * dims[2];
        checkSize(b, file, 16, n);
        byte[] pixels = new byte[(int) n];
        System.arraycopy(b, 16, pixels, 0, (int) n);
        return new Images(dims[0], dims[1], dims[2], pixels);
    }

    /** Reads an IDX1 ubyte label file (magic 0x00000801). */
    public static int[] readLabels(Path file) throws IOException {
        byte[] b = load(file);
        int[] dims = header(b, file, 1);
        checkSize(b, file, 8, dims[0]);
        int[] labels = new int[dims[0]];
        for (int i = 0; i < labels.length; i++) labels[i] = b[8 + i] & 0xFF;
        return labels;
    }

    private static byte[] load(Path file) throws IOException {
        if (file == null) throw new IllegalArgumentException("file is null");
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "no such IDX file");
        byte[] raw = Files.readAllBytes(file);
        if (raw.length >= 2 && (raw[0] & 0xFF) == 0x1F && (raw[1] & 0xFF) == 0x8B) {
            try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(raw), 1 << 16)) {
                ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length * 4);
                in.transferTo(out);
                return out.toByteArray();
            } catch (EOFException | ZipException e) {
                throw new IOException("corrupt gzip in IDX file " + file + ": " + e.getMessage(), e);
            }
        }
        return raw;
    }

    private static int[] header(byte[] b, Path file, int expectedDims) throws IOException {
        int headerLen = 4 + 4 * expectedDims;
        if (b.length < 4) throw new IOException("IDX file " + file + " is too short for its header (" + b.length + " bytes)");
        ByteBuffer buf = ByteBuffer.wrap(b); // big-endian, as IDX
        int magic = buf.getInt(0);
        int expected = 0x0800 | expectedDims;
        if (magic != expected) {
            throw new IOException(String.format("IDX file %s has magic 0x%08X, expected 0x%08X (unsigned bytes, %d dimension%s)",
                    file, magic, expected, expectedDims, expectedDims == 1 ? "" : "s"));
        }
        if (b.length < headerLen) throw new IOException("IDX file " + file + " is too short for its header (" + b.length + " bytes)");
        int[] dims = new int[expectedDims];
        for (int i = 0; i < expectedDims; i++) {
            dims[i] = buf.getInt(4 + 4 * i);
            if (dims[i] <= 0) throw new IOException("IDX file " + file + " has a bad dimension " + dims[i]);
        }
        return dims;
    }

    private static void checkSize(byte[] b, Path file, int headerLen, long n) throws IOException {
        if (b.length - headerLen != n) {
            throw new IOException("IDX file " + file + " holds " + (b.length - headerLen) + " data bytes but its header declares " + n
                    + (b.length - headerLen < n ? " (truncated?)" : ""));
        }
    }
}
