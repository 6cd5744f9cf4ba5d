package io.github.vcnn.io;

import io.github.vcnn.io.internal.Json;
import io.github.vcnn.io.internal.Json.Token;
import io.github.vcnn.kernels.Checks;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * ({@code {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}}),
 * then the raw little-endian data, offsets counted from the first byte after the header.
 * F32 and I64 tensors are read (what PyTorch state dicts and the reference cases use).
 *
 * <p>Reading applies the format's own rules and validates the whole header before allocating anything: the header is at
 * most {@value #MAX_HEADER_BYTES} bytes of valid UTF-8 JSON starting with <code>'{'</code> (trailing spaces allowed, nothing
 * else after the object, no duplicate names), {@code __metadata__} maps strings to strings, every tensor has a known
 * dtype, a shape of non-negative integers whose element count does not overflow, and {@code data_offsets} whose length
 * is exactly element count x dtype size; sorted by offset the tensors cover the data from byte 0 to the end of the file
 * without a hole, an overlap or a trailing byte. Only then are the arrays allocated, so what is allocated is what the
 * file holds (a header claiming 10^12 elements in a small file is refused first). Files are read through a channel in
 * chunks, with no 2 GB limit on the file; one tensor must fit a Java array (about 2^31 elements), else the file is
 * refused with that reason. Every violation is an {@link IOException} naming the file and what is wrong, never a
 * partial result.
 *
 * <p>Writing goes to a temporary file in the same folder which is then renamed, so readers never see a half-written file.
 */
public final class SafeTensors {

    /** One tensor: float data for F32, long data for I64 (the other array is null). */
    public record Tensor(String name, String dtype, int[] shape, float[] floats, long[] longs) {
        public long size() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }

        public String shapeString() {
            return Arrays.toString(shape);
        }
    }

    /** The format's limit on the JSON header (the reference implementation's). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final int CHUNK = 1 << 16;
    /** Headers are flat: an object of objects of arrays; anything much deeper is not a safetensors header. */
    private static final int MAX_JSON_DEPTH = 16;

    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    private SafeTensors(Map<String, Tensor> tensors, Map<String, String> metadata) {
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /** The tensors in header order. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** {@code __metadata__} (string to string), empty when the file has none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /** The tensor of that name; IllegalArgumentException naming the file's tensors when absent. */
    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("no tensor '" + name + "' (has " + tensors.keySet() + ")");
        return t;
    }

    public float[] floats(String name) {
        Tensor t = get(name);
        if (t.floats() == null) throw new IllegalArgumentException("tensor '" + name + "' is " + t.dtype() + ", not F32");
        return t.floats();
    }

    public long[] longs(String name) {
        Tensor t = get(name);
        if (t.longs() == null) throw new IllegalArgumentException("tensor '" + name + "' is " + t.dtype() + ", not I64");
        return t.longs();
    }

    public int[] shape(String name) {
        return get(name).shape().clone();
    }

    /** Reads and validates a file (see the class comment); {@link NoSuchFileException} when it does not exist. */
    public static SafeTensors read(Path file) throws IOException {
        if (file == null) throw new IllegalArgumentException("file is null");
        if (Files.isDirectory(file)) throw new IOException(file + " is a folder, not a safetensors file");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return parse(new ChannelInput(ch), file.toString());
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "no such safetensors file");
        }
    }

    /** Parses a whole file held in memory; {@code source} names it in error messages. */
    public static SafeTensors parse(byte[] bytes, String source) throws IOException {
        if (bytes == null) throw new IllegalArgumentException("bytes is null");
        return parse(new ArrayInput(bytes), source);
    }

    /** Where the bytes come from: a file channel (no size limit) or an array. */
    private interface Input {
        long size() throws IOException;

        /** Fills {@code dst} (position to limit) from byte {@code pos}; the caller checked the range is inside {@link #size()}. */
        void read(long pos, ByteBuffer dst) throws IOException;
    }

    private record ArrayInput(byte[] bytes) implements Input {
        public long size() {
            return bytes.length;
        }

        public void read(long pos, ByteBuffer dst) {
            dst.put(bytes, (int) pos, dst.remaining());
        }
    }

    private record ChannelInput(FileChannel ch) implements Input {
        public long size() throws IOException {
            return ch.size();
        }

        public void read(long pos, ByteBuffer dst) throws IOException {
            while (dst.hasRemaining()) {
                int n = ch.read(dst, pos);
                if (n < 0) throw new java.io.EOFException("file shrank while being read");
                pos += n;
            }
        }
    }

    /** A header entry, validated against the format before any data is read. */
    private record Info(String name, String dtype, int elementSize, int[] shape, long count, long begin, long end) {
    }

    private static SafeTensors parse(Input in, String source) throws IOException {
        long size = in.size();
        if (size < 8) throw corrupt(source, "shorter than the 8-byte header length (" + size + " bytes)");
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        in.read(0, lenBuf);
        long headerLen = lenBuf.getLong(0);
        if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
            throw corrupt(source, "header length " + headerLen + " outside [2, " + MAX_HEADER_BYTES + "] bytes");
        }
        if (headerLen > size - 8) {
            throw corrupt(source, "header length " + headerLen + " does not fit the file size " + size + " (truncated file?)");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLen);
        in.read(8, headerBytes);
        headerBytes.flip();
        CharBuffer json;
        try {
            json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(headerBytes);
        } catch (CharacterCodingException e) {
            throw corrupt(source, "header is not valid UTF-8");
        }
        if (json.length() == 0 || json.charAt(0) != '{') throw corrupt(source, "header does not start with '{'");

        Map<String, String> meta = new LinkedHashMap<>();
        List<Info> infos = new ArrayList<>();
        try {
            readHeader(new Json.Parser(json, MAX_JSON_DEPTH), source, meta, infos);
        } catch (IllegalArgumentException e) { // the JSON reader's refusal of malformed input
            throw corrupt(source, "header is not valid JSON: " + e.getMessage());
        }

        long dataStart = 8 + headerLen, dataLen = size - dataStart;
        // contiguous from 0, no overlap, no hole, nothing after the last tensor (the reference implementation's rule)
        List<Info> byOffset = new ArrayList<>(infos);
        byOffset.sort(Comparator.comparingLong(Info::begin).thenComparingLong(Info::end));
        long at = 0;
        for (Info t : byOffset) {
            if (t.begin() != at) {
                throw corrupt(source, "tensor '" + t.name() + "' data_offsets [" + t.begin() + ", " + t.end() + "] "
                        + (t.begin() > at ? "leave a hole after byte " + at : "overlap the tensor ending at byte " + at)
                        + " (tensors must cover the data contiguously from 0)");
            }
            if (t.end() > dataLen) {
                throw corrupt(source, "tensor '" + t.name() + "' data_offsets [" + t.begin() + ", " + t.end() + "] reach past the "
                        + dataLen + " data bytes (truncated file?)");
            }
            at = t.end();
        }
        if (at != dataLen) throw corrupt(source, (dataLen - at) + " trailing bytes after the last tensor (data ends at byte " + at + ")");

        for (Info t : infos) {
            if (!t.dtype().equals("F32") && !t.dtype().equals("I64")) {
                throw corrupt(source, "tensor '" + t.name() + "' has dtype " + t.dtype() + "; this reader supports F32 and I64");
            }
            if (t.count() > Checks.MAX_ARRAY_LENGTH) {
                throw corrupt(source, "tensor '" + t.name() + "' has " + t.count() + " elements, more than a Java array holds ("
                        + Checks.MAX_ARRAY_LENGTH + "); this reader cannot load it");
            }
        }
        // everything checked: what is allocated now is what the file holds
        Map<String, Tensor> out = new LinkedHashMap<>();
        ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(8, dataLen))).order(ByteOrder.LITTLE_ENDIAN);
        for (Info t : infos) {
            int n = (int) t.count();
            float[] f = t.elementSize() == 4 ? new float[n] : null;
            long[] l = t.elementSize() == 8 ? new long[n] : null;
            long pos = dataStart + t.begin();
            int done = 0;
            while (done < n) {
                int take = Math.min(n - done, chunk.capacity() / t.elementSize());
                chunk.clear().limit(take * t.elementSize());
                in.read(pos, chunk);
                chunk.flip();
                if (f != null) chunk.asFloatBuffer().get(f, done, take);
                else chunk.asLongBuffer().get(l, done, take);
                done += take;
                pos += (long) take * t.elementSize();
            }
            out.put(t.name(), new Tensor(t.name(), t.dtype(), t.shape(), f, l));
        }
        return new SafeTensors(out, meta);
    }

    /** The bytes per element of the format's dtypes; 0 for a name the format does not have. */
    private static int dtypeSize(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> 0;
        };
    }

    private static void readHeader(Json.Parser p, String source, Map<String, String> meta, List<Info> infos) throws IOException {
        if (p.nextToken() != Token.START_OBJECT) throw corrupt(source, "header is not a JSON object");
        Set<String> names = new HashSet<>();
        Token tok;
        while ((tok = p.nextToken()) == Token.FIELD_NAME) {
            String name = p.currentName();
            if (!names.add(name)) throw corrupt(source, "duplicate entry '" + name + "' in the header");
            if (name.equals("__metadata__")) {
                if (p.nextToken() != Token.START_OBJECT) throw corrupt(source, "__metadata__ is not an object");
                while ((tok = p.nextToken()) == Token.FIELD_NAME) {
                    String key = p.currentName();
                    if (p.nextToken() != Token.STRING) throw corrupt(source, "__metadata__ value of '" + key + "' is not a string");
                    if (meta.put(key, p.text()) != null) throw corrupt(source, "duplicate __metadata__ key '" + key + "'");
                }
                continue;
            }
            infos.add(readTensor(p, source, name));
        }
        if (tok != Token.END_OBJECT) throw corrupt(source, "header is not a JSON object of entries");
        if (p.nextToken() != null) throw corrupt(source, "data after the header's JSON object");
    }

    private static Info readTensor(Json.Parser p, String source, String name) throws IOException {
        if (p.nextToken() != Token.START_OBJECT) throw corrupt(source, "entry '" + name + "' is not an object");
        String dtype = null;
        long[] shape = null, offsets = null;
        Token tok;
        while ((tok = p.nextToken()) == Token.FIELD_NAME) {
            String field = p.currentName();
            Token v = p.nextToken();
            switch (field) {
                case "dtype" -> {
                    if (dtype != null || v != Token.STRING) throw corrupt(source, "tensor '" + name + "' has a bad dtype");
                    dtype = p.text();
                }
                case "shape" -> {
                    if (shape != null) throw corrupt(source, "tensor '" + name + "' has two shapes");
                    shape = integers(p, v, source, name, "shape", Integer.MAX_VALUE);
                }
                case "data_offsets" -> {
                    if (offsets != null) throw corrupt(source, "tensor '" + name + "' has two data_offsets");
                    offsets = integers(p, v, source, name, "data_offsets", Long.MAX_VALUE);
                }
                default -> p.skipChildren(); // unknown fields are ignored, as by the reference reader
            }
        }
        if (tok != Token.END_OBJECT) throw corrupt(source, "entry '" + name + "' is not an object");
        if (dtype == null || shape == null || offsets == null) throw corrupt(source, "entry '" + name + "' lacks dtype, shape or data_offsets");
        int elementSize = dtypeSize(dtype);
        if (elementSize == 0) throw corrupt(source, "tensor '" + name + "' has unknown dtype '" + dtype + "'");
        if (offsets.length != 2 || offsets[1] < offsets[0]) {
            throw corrupt(source, "tensor '" + name + "' has bad data_offsets " + Arrays.toString(offsets) + " (want [begin, end], begin <= end)");
        }
        int[] dims = new int[shape.length];
        long count = 1, bytes;
        try {
            for (int i = 0; i < dims.length; i++) {
                dims[i] = (int) shape[i];
                count = Math.multiplyExact(count, shape[i]);
            }
            bytes = Math.multiplyExact(count, elementSize);
        } catch (ArithmeticException e) {
            throw corrupt(source, "tensor '" + name + "' shape " + Arrays.toString(shape) + " overflows its element count");
        }
        if (offsets[1] - offsets[0] != bytes) {
            throw corrupt(source, "tensor '" + name + "' of shape " + Arrays.toString(shape) + " " + dtype + " needs " + bytes
                    + " bytes but data_offsets " + Arrays.toString(offsets) + " give " + (offsets[1] - offsets[0]));
        }
        return new Info(name, dtype, elementSize, dims, count, offsets[0], offsets[1]);
    }

    /** A JSON array of integers in [0, max]. */
    private static long[] integers(Json.Parser p, Token start, String source, String name, String what, long max) throws IOException {
        if (start != Token.START_ARRAY) throw corrupt(source, "tensor '" + name + "' " + what + " is not an array");
        long[] out = new long[4];
        int n = 0;
        Token tok;
        while ((tok = p.nextToken()) != Token.END_ARRAY) {
            if (tok != Token.INTEGER || !(p.numberValue() instanceof Long v) || v < 0 || v > max) {
                throw corrupt(source, "tensor '" + name + "' " + what + " holds " + p.text() + ", not an integer in [0, " + max + "]");
            }
            if (n == out.length) out = Arrays.copyOf(out, 2 * n);
            out[n++] = v;
        }
        return Arrays.copyOf(out, n);
    }

    /** A tensor to write: F32 data with its shape. */
    public record Entry(String name, int[] shape, float[] data, int offset) {
        public Entry(String name, int[] shape, float[] data) {
            this(name, shape, data, 0);
        }
    }

    /**
     * Writes F32 tensors and string metadata atomically: a temporary file in the target's folder,
     * forced to disk, then renamed over the target.
     */
    public static void write(Path file, List<Entry> entries, Map<String, String> metadata) throws IOException {
        if (file == null) throw new IllegalArgumentException("file is null");
        if (entries == null) throw new IllegalArgumentException("entries is null");
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) header.put("__metadata__", new LinkedHashMap<>(metadata));
        long offset = 0;
        List<Entry> checked = new ArrayList<>();
        for (Entry e : entries) {
            if (e == null || e.name() == null || e.shape() == null || e.data() == null) {
                throw new IllegalArgumentException("tensor entry with a null name, shape or data");
            }
            if (e.name().equals("__metadata__") || header.containsKey(e.name())) {
                throw new IllegalArgumentException("duplicate or reserved tensor name '" + e.name() + "'");
            }
            long count = Checks.elementCount("tensor '" + e.name() + "'", e.shape());
            List<Integer> shape = new ArrayList<>();
            for (int d : e.shape()) shape.add(d);
            if (e.offset() < 0 || e.offset() + count > e.data().length) {
                throw new IllegalArgumentException("tensor '" + e.name() + "' of shape " + Arrays.toString(e.shape()) + " needs " + count
                        + " floats from offset " + e.offset() + " but the array has " + e.data().length);
            }
            Map<String, Object> desc = new LinkedHashMap<>();
            desc.put("dtype", "F32");
            desc.put("shape", shape);
            desc.put("data_offsets", List.of(offset, offset + 4 * count));
            header.put(e.name(), desc);
            offset += 4 * count;
            checked.add(e);
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int pad = (8 - json.length % 8) % 8; // keep the data 8-byte aligned, as the reference writer does
        byte[] headerBytes = Arrays.copyOf(json, json.length + pad);
        Arrays.fill(headerBytes, json.length, headerBytes.length, (byte) ' ');

        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream os = java.nio.channels.Channels.newOutputStream(ch)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes.length);
                os.write(len.array());
                os.write(headerBytes);
                ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (Entry e : checked) {
                    long count = 1;
                    for (int d : e.shape()) count *= d;
                    for (long i = 0; i < count; i++) {
                        if (!chunk.hasRemaining()) {
                            os.write(chunk.array(), 0, chunk.position());
                            chunk.clear();
                        }
                        chunk.putFloat(e.data()[(int) (e.offset() + i)]);
                    }
                }
                os.write(chunk.array(), 0, chunk.position());
                os.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static IOException corrupt(String source, String what) {
        return new IOException("corrupt safetensors file " + source + ": " + what);
    }
}
