package io.github.vcnn.io;

import io.github.vcnn.kernels.Checks;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * The IDX format of MNIST and Fashion-MNIST (unsigned-byte data only): a big-endian magic
 * {@code 0x0000 08 D} (type 0x08 = ubyte, D dimensions), D big-endian 32-bit sizes, then the bytes.
 * Files may be gzip-compressed (detected by content, whatever the name).
 *
 * <p>The header is validated before the data is allocated: the magic, every dimension {@code > 0}, and their product
 * computed without overflow and within a Java array. A raw file must then hold exactly that many data bytes (checked
 * against its size before allocating: a header claiming 10^12 pixels in a small file is refused at once, and so are a
 * truncated file and trailing bytes). A gzip file is decompressed into a buffer that grows with the data actually
 * decompressed, never to the size the header claims, and must end exactly after the declared data. Every failure is an
 * {@link IOException} naming the file.
 */
public final class Idx {
    private Idx() {
    }

    private static final int FIRST_BUFFER = 1 << 16;

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
        try (InputStream in = open(file)) {
            return images(in, Files.size(file), file.toString());
        }
    }

    /** Reads an IDX1 ubyte label file (magic 0x00000801). */
    public static int[] readLabels(Path file) throws IOException {
        try (InputStream in = open(file)) {
            return labels(in, Files.size(file), file.toString());
        }
    }

    /** An IDX3 image file held in memory (raw or gzip); {@code source} names it in messages. */
    public static Images parseImages(byte[] bytes, String source) throws IOException {
        if (bytes == null) throw new IllegalArgumentException("bytes is null");
        return images(new ByteArrayInputStream(bytes), bytes.length, source);
    }

    /** An IDX1 label file held in memory (raw or gzip); {@code source} names it in messages. */
    public static int[] parseLabels(byte[] bytes, String source) throws IOException {
        if (bytes == null) throw new IllegalArgumentException("bytes is null");
        return labels(new ByteArrayInputStream(bytes), bytes.length, source);
    }

    private static InputStream open(Path file) throws IOException {
        if (file == null) throw new IllegalArgumentException("file is null");
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "no such IDX file");
        return Files.newInputStream(file);
    }

    private static Images images(InputStream raw, long size, String source) throws IOException {
        Body b = body(raw, size, source, 3);
        return new Images(b.dims()[0], b.dims()[1], b.dims()[2], b.data());
    }

    private static int[] labels(InputStream raw, long size, String source) throws IOException {
        byte[] data = body(raw, size, source, 1).data();
        int[] labels = new int[data.length];
        for (int i = 0; i < labels.length; i++) labels[i] = data[i] & 0xFF;
        return labels;
    }

    private record Body(int[] dims, byte[] data) {
    }

    private static Body body(InputStream raw, long size, String source, int expectedDims) throws IOException {
        BufferedInputStream buffered = new BufferedInputStream(raw, FIRST_BUFFER);
        buffered.mark(2);
        boolean gzip = buffered.read() == 0x1F && buffered.read() == 0x8B;
        buffered.reset();
        try {
            InputStream in = gzip ? new GZIPInputStream(buffered, FIRST_BUFFER) : buffered;
            int headerLen = 4 + 4 * expectedDims;
            byte[] header = in.readNBytes(headerLen);
            if (header.length < 4) throw new IOException("IDX file " + source + " is too short for its header (" + header.length + " bytes)");
            int magic = be(header, 0);
            int expected = 0x0800 | expectedDims;
            if (magic != expected) {
                throw new IOException(String.format("IDX file %s has magic 0x%08X, expected 0x%08X (unsigned bytes, %d dimension%s)",
                        source, magic, expected, expectedDims, expectedDims == 1 ? "" : "s"));
            }
            if (header.length < headerLen) throw new IOException("IDX file " + source + " is too short for its header (" + header.length + " bytes)");
            int[] dims = new int[expectedDims];
            long[] factors = new long[expectedDims];
            for (int i = 0; i < expectedDims; i++) {
                dims[i] = be(header, 4 + 4 * i);
                if (dims[i] <= 0) throw new IOException("IDX file " + source + " has a bad dimension " + dims[i] + " " + Arrays.toString(dims));
                factors[i] = dims[i];
            }
            long n = Checks.product(factors);
            if (n > Checks.MAX_ARRAY_LENGTH) {
                throw new IOException("IDX file " + source + " declares " + Arrays.toString(dims) + " = " + (n == Long.MAX_VALUE ? "too many" : n)
                        + " values, more than a Java array holds");
            }
            if (!gzip && size - headerLen != n) throw sizeMismatch(source, size - headerLen, n);
            byte[] data = gzip ? readGrowing(in, (int) n, source) : in.readNBytes((int) n);
            if (data.length != n) throw sizeMismatch(source, data.length, n);
            if (in.read() != -1) {
                throw new IOException("IDX file " + source + " has data after the " + n + " values its header declares " + Arrays.toString(dims));
            }
            return new Body(dims, data);
        } catch (EOFException | ZipException e) {
            if (!gzip) throw e;
            throw new IOException("corrupt gzip in IDX file " + source + ": " + e.getMessage(), e);
        }
    }

    /** Up to {@code n} bytes, in a buffer grown with what was actually decompressed (never sized by the header alone). */
    private static byte[] readGrowing(InputStream in, int n, String source) throws IOException {
        byte[] buf = new byte[Math.min(n, FIRST_BUFFER)];
        int have = 0;
        while (have < n) {
            if (have == buf.length) buf = Arrays.copyOf(buf, (int) Math.min(n, 2L * buf.length));
            int r = in.read(buf, have, buf.length - have);
            if (r < 0) break;
            have += r;
        }
        return have == buf.length ? buf : Arrays.copyOf(buf, have);
    }

    private static int be(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
    }

    private static IOException sizeMismatch(String source, long have, long declared) {
        return new IOException("IDX file " + source + " holds " + have + " data bytes but its header declares " + declared
                + (have < declared ? " (truncated?)" : " (trailing bytes)"));
    }
}
