package io.github.vcnn.spark;

import io.github.vcnn.graph.CompileOptions;
import io.github.vcnn.graph.CompiledModel;
import io.github.vcnn.nn.Model;
import io.github.vcnn.onnx.OnnxImporter;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The compiled models of this JVM (driver or executor), one per model file content and compile options: compiled the
 * first time a task (or the driver's check) asks for it, then shared by every task of the JVM ({@link CompiledModel}
 * is thread-safe). The key is the SHA-256 of the file's bytes with the options, so a model file replaced between two
 * jobs is compiled again, and the same model under two paths only once. Models stay until {@link #clear()}.
 */
public final class ModelCache {
    private ModelCache() {
    }

    /** What identifies a compiled model: the file's content, its format, the intra-op threads. {@code source} is for messages only. */
    public record Key(String sha256, Format format, int threads, String source) implements Serializable {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.sha256.equals(sha256) && k.format == format && k.threads == threads;
        }

        @Override
        public int hashCode() {
            return sha256.hashCode() * 31 + format.hashCode() * 7 + threads;
        }
    }

    /** Model file formats. */
    public enum Format {
        ONNX, SAFETENSORS;

        /** By extension ({@code .onnx}, {@code .safetensors}), else by content: safetensors starts with an 8-byte header length and '{'. */
        static Format of(String name, byte[] bytes) {
            String n = name.toLowerCase(Locale.ROOT);
            if (n.endsWith(".onnx")) return ONNX;
            if (n.endsWith(".safetensors")) return SAFETENSORS;
            return bytes.length > 8 && bytes[8] == '{' ? SAFETENSORS : ONNX;
        }
    }

    private static final Map<Key, CompiledModel> MODELS = new ConcurrentHashMap<>();
    private static final Map<Key, Object> LOCKS = new ConcurrentHashMap<>();

    /** The key of {@code bytes} read from {@code source}. */
    public static Key key(String source, byte[] bytes, int threads) {
        try {
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            return new Key(sha, Format.of(source, bytes), threads, source);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The model of {@code key}, compiled from {@code bytes.get()} when this JVM does not have it yet (once, even under concurrent calls). */
    public static CompiledModel get(Key key, Supplier<byte[]> bytes) {
        CompiledModel m = MODELS.get(key);
        if (m != null) return m;
        // one compilation per key; other keys compile in parallel (computeIfAbsent would hold a map bin lock meanwhile)
        synchronized (LOCKS.computeIfAbsent(key, k -> new Object())) {
            m = MODELS.get(key);
            if (m == null) {
                m = compile(key, bytes.get());
                MODELS.put(key, m);
            }
            return m;
        }
    }

    /** True when this JVM has compiled {@code key} already. */
    public static boolean contains(Key key) {
        return MODELS.containsKey(key);
    }

    /** Number of compiled models held by this JVM. */
    public static int size() {
        return MODELS.size();
    }

    /** Drops (and closes) every model of this JVM; tasks still running keep the instance they hold. */
    public static void clear() {
        for (var it = MODELS.values().iterator(); it.hasNext(); ) {
            CompiledModel m = it.next();
            it.remove();
            m.close();
        }
    }

    private static CompiledModel compile(Key key, byte[] bytes) {
        CompileOptions options = CompileOptions.defaults().withThreads(key.threads());
        try {
            return switch (key.format()) {
                case ONNX -> CompiledModel.compile(OnnxImporter.read(bytes, key.source(), Map.of()), options);
                case SAFETENSORS -> {
                    // Model.load reads a file: the bytes may come from HDFS or a broadcast, so they go to a temp file first
                    Path tmp = Files.createTempFile("vcnn-model-", ".safetensors");
                    try {
                        Files.write(tmp, bytes);
                        yield CompiledModel.compile(Model.load(tmp), options);
                    } catch (IOException e) {
                        String msg = e.getMessage() == null ? e.toString() : e.getMessage();
                        throw new IOException(msg.replace(tmp.toString(), key.source()), e);
                    } finally {
                        Files.deleteIfExists(tmp);
                    }
                }
            };
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("model " + key.source() + " cannot be used: " + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
        }
    }
}
