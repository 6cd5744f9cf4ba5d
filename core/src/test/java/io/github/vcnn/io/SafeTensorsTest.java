package io.github.vcnn.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The safetensors format's own rules, each violation refused with an IOException naming what is wrong. */
class SafeTensorsTest {

    /** 8-byte length + header + {@code data} zero bytes. */
    static byte[] file(String header, int data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + data).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
    }

    private static void refused(byte[] bytes, String... fragments) {
        IOException e = assertThrows(IOException.class, () -> SafeTensors.parse(bytes, "t.safetensors"));
        assertTrue(e.getMessage().startsWith("corrupt safetensors file t.safetensors: "), e.getMessage());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' missing from: " + e.getMessage());
    }

    @Test
    void readsWhatItWritesIncludingEmptyAndScalarTensors(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("m.safetensors");
        SafeTensors.write(f, List.of(new SafeTensors.Entry("a", new int[]{2, 3}, new float[]{1, 2, 3, 4, 5, 6}),
                new SafeTensors.Entry("empty", new int[]{0, 4}, new float[0]),
                new SafeTensors.Entry("scalar", new int[]{}, new float[]{7})), Map.of("k", "v"));
        SafeTensors t = SafeTensors.read(f);
        assertArrayEquals(new float[]{1, 2, 3, 4, 5, 6}, t.floats("a"));
        assertEquals(0, t.floats("empty").length);
        assertArrayEquals(new float[]{7}, t.floats("scalar"));
        assertEquals(Map.of("k", "v"), t.metadata());
        assertEquals(List.of("a", "empty", "scalar"), List.copyOf(t.tensors().keySet()));
        // the same bytes through the in-memory parser
        assertArrayEquals(t.floats("a"), SafeTensors.parse(Files.readAllBytes(f), "m").floats("a"));
        // I64 and the order of data in the file independent of the header order
        byte[] b = file("{\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[4,12]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}   ", 12);
        SafeTensors u = SafeTensors.parse(b, "u");
        assertEquals(1, u.longs("b").length);
        assertEquals(1, u.floats("a").length);
    }

    @Test
    void headerRules() {
        refused(new byte[5], "shorter than the 8-byte header length");
        refused(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(100_000_001L).array(), "header length 100000001 outside [2, 100000000]");
        refused(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-5).array(), "header length -5");
        refused(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(9).array(), "does not fit the file size 16");
        byte[] badUtf8 = file("{\"\u00e9\":1}", 0);
        badUtf8[10] = (byte) 0xFF;
        refused(badUtf8, "not valid UTF-8");
        refused(file(" {}", 0), "does not start with '{'");
        refused(file("{\"a\":", 0), "not valid JSON");
        refused(file("{} x", 0), "not valid JSON");
        refused(file("{}{}", 0), "data after the header's JSON object");
        refused(file("[]", 0), "does not start with '{'");
        refused(file("{\"__metadata__\":{\"k\":1}}", 0), "__metadata__ value of 'k' is not a string");
        refused(file("{\"__metadata__\":[]}", 0), "__metadata__ is not an object");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0),
                "duplicate entry 'a'");
        refused(file("{\"a\":{\"shape\":[0],\"data_offsets\":[0,0]}}", 0), "lacks dtype, shape or data_offsets");
        refused(file("{\"a\":{\"dtype\":\"Q7\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0), "unknown dtype 'Q7'");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4), "shape holds 1.5");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "shape holds -1");
        refused(file("{\"a\":{\"x\":" + "[".repeat(100) + "]".repeat(100) + "}}", 0), "not valid JSON", "nesting depth");
    }

    @Test
    void offsetRules() {
        String a = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[%d,%d]}";
        refused(file("{" + a.formatted(0, 4) + "}", 4), "needs 8 bytes but data_offsets [0, 4] give 4");
        refused(file("{" + a.formatted(4, 12) + "}", 12), "leave a hole after byte 0");
        refused(file("{" + a.formatted(0, 8) + "}", 9), "1 trailing bytes after the last tensor");
        refused(file("{" + a.formatted(0, 8) + "}", 7), "reach past the 7 data bytes");
        refused(file("{" + a.formatted(0, 8) + "," + a.replace("\"a\"", "\"b\"").formatted(4, 12) + "}", 12), "overlap the tensor ending at byte 8");
        refused(file("{" + a.formatted(8, 0) + "}", 8), "bad data_offsets [8, 0]");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,9]}}", 8), "bad data_offsets");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,99999999999999999999999]}}", 8), "data_offsets holds 99999999999999999999999");
        refused(file("{}", 3), "3 trailing bytes");
        refused(file("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4), "dtype F16; this reader supports F32 and I64");
    }

    @Test
    void hugeClaimsAreRefusedBeforeAllocating() {
        // 10^12 elements in a 100-byte file: the offsets reach past the data, refused before any array exists
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000,1000000],\"data_offsets\":[0,4000000000000]}}", 0),
                "reach past the 0 data bytes");
        // an element count that overflows a long
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,4]}}", 4),
                "overflows its element count");
        refused(file("{\"a\":{\"dtype\":\"I64\",\"shape\":[1152921504606846976],\"data_offsets\":[0,0]}}", 0), "holds 1152921504606846976");
    }

    @Test
    void aFileLargerThan2GbIsReadThroughTheChannelAndATensorBeyondAnArrayIsRefusedClearly(@TempDir Path tmp) throws IOException {
        // a sparse 8.6 GB file holding one F32 tensor of 2^31 + 16 elements (no disk blocks are written)
        long count = (1L << 31) + 16;
        String header = "{\"big\":{\"dtype\":\"F32\",\"shape\":[2," + count / 2 + "],\"data_offsets\":[0," + 4 * count + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path f = tmp.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            raf.write(h);
            raf.setLength(8 + h.length + 4 * count);
        }
        IOException e = assertThrows(IOException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().contains("tensor 'big' has 2147483664 elements, more than a Java array holds"), e.getMessage());
    }

    @Test
    void missingFilesAndFolders(@TempDir Path tmp) {
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> SafeTensors.read(tmp.resolve("nope.safetensors")));
        assertTrue(e.getMessage().contains("nope.safetensors"), e.getMessage());
        IOException d = assertThrows(IOException.class, () -> SafeTensors.read(tmp));
        assertTrue(d.getMessage().contains("is a folder"), d.getMessage());
    }
}
