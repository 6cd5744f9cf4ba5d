package io.github.vcnn.io;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * ({@code {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}}),
 * then the raw little-endian data, offsets counted from the first byte after the header.
 * F32 and I64 tensors are supported (what PyTorch state dicts and the reference cases use).
 *
 * <p>Reading validates everything before returning (header size, JSON, offsets inside the file,
 * sizes matching shapes), so a truncated or corrupt file is a clear {@link IOException} and no partial result.
 * Writing goes to a temporary file in the same folder which is then renamed, so readers never see a half-written file.
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

    private static final long MAX_HEADER = 100L << 20;

    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    private SafeTensors(Map<String, Tensor> tensors, Map<String, String> metadata) {
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /** The tensors in file order. */
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

    public static SafeTensors read(Path file) throws IOException {
        if (file == null) throw new IllegalArgumentException("file is null");
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "no such safetensors file");
        }
        return parse(bytes, file.toString());
    }

    /** Parses a whole file held in memory; {@code source} names it in error messages. */
    @SuppressWarnings("unchecked")
    public static SafeTensors parse(byte[] bytes, String source) throws IOException {
        if (bytes.length < 8) throw corrupt(source, "shorter than the 8-byte header length (" + bytes.length + " bytes)");
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = buf.getLong(0);
        if (headerLen < 2 || headerLen > MAX_HEADER || 8 + headerLen > bytes.length) {
            throw corrupt(source, "header length " + headerLen + " does not fit the file size " + bytes.length);
        }
        String json = new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8);
        Map<String, Object> header;
        try {
            header = JSON.std.mapFrom(json);
        } catch (IOException | RuntimeException e) {
            throw corrupt(source, "header is not valid JSON: " + e.getMessage());
        }
        long dataStart = 8 + headerLen;
        long dataLen = bytes.length - dataStart;
        Map<String, String> meta = new LinkedHashMap<>();
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : header.entrySet()) {
            String name = e.getKey();
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> m)) throw corrupt(source, "__metadata__ is not an object");
                for (Map.Entry<?, ?> me : m.entrySet()) meta.put(String.valueOf(me.getKey()), String.valueOf(me.getValue()));
                continue;
            }
            if (!(e.getValue() instanceof Map<?, ?> desc)) throw corrupt(source, "entry '" + name + "' is not an object");
            Object dtypeObj = desc.get("dtype");
            Object shapeObj = desc.get("shape");
            Object offObj = desc.get("data_offsets");
            if (!(dtypeObj instanceof String dtype) || !(shapeObj instanceof List<?> shapeList) || !(offObj instanceof List<?> offList)
                    || offList.size() != 2) {
                throw corrupt(source, "entry '" + name + "' lacks dtype, shape or data_offsets");
            }
            int[] shape = new int[shapeList.size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                if (!(shapeList.get(i) instanceof Number num) || num.longValue() < 0 || num.longValue() > Integer.MAX_VALUE) {
                    throw corrupt(source, "tensor '" + name + "' has a bad shape " + shapeList);
                }
                shape[i] = num.intValue();
                count *= shape[i];
            }
            if (!(offList.get(0) instanceof Number b0) || !(offList.get(1) instanceof Number b1)) {
                throw corrupt(source, "tensor '" + name + "' has bad data_offsets " + offList);
            }
            long begin = b0.longValue(), end = b1.longValue();
            if (begin < 0 || end < begin || end > dataLen) {
                throw corrupt(source, "tensor '" + name + "' data_offsets [" + begin + ", " + end + "] outside the " + dataLen
                        + " data bytes (truncated file?)");
            }
            int elem = switch (dtype) {
                case "F32" -> 4;
                case "I64" -> 8;
                default -> throw corrupt(source, "tensor '" + name + "' has dtype " + dtype + "; only F32 and I64 are supported");
            };
            if ((end - begin) != count * elem || count > Integer.MAX_VALUE - 64) {
                throw corrupt(source, "tensor '" + name + "' of shape " + Arrays.toString(shape) + " " + dtype + " needs "
                        + count * elem + " bytes but data_offsets give " + (end - begin));
            }
            ByteBuffer slice = ByteBuffer.wrap(bytes, (int) (dataStart + begin), (int) (end - begin)).slice().order(ByteOrder.LITTLE_ENDIAN);
            if (elem == 4) {
                float[] f = new float[(int) count];
                slice.asFloatBuffer().get(f);
                out.put(name, new Tensor(name, dtype, shape, f, null));
            } else {
                long[] l = new long[(int) count];
                slice.asLongBuffer().get(l);
                out.put(name, new Tensor(name, dtype, shape, null, l));
            }
        }
        return new SafeTensors(out, meta);
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
            long count = 1;
            List<Integer> shape = new ArrayList<>();
            for (int d : e.shape()) {
                if (d < 0) throw new IllegalArgumentException("tensor '" + e.name() + "' has a negative dimension " + Arrays.toString(e.shape()));
                count *= d;
                shape.add(d);
            }
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
        byte[] json = JSON.std.asString(header).getBytes(StandardCharsets.UTF_8);
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
