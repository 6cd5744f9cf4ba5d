package io.github.vcnn.spark;

import io.github.vcnn.graph.CompiledModel;
import io.github.vcnn.onnx.TensorProtos;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * What a Spark task runs for {@link VcnnScorer}: the rows of a partition in batches of {@code batch}, each batch one
 * {@link CompiledModel#predict(int, float[], int, float[], int)} on the model this executor JVM holds in
 * {@link ModelCache} (compiled from the broadcast bytes the first time). Lazy: a partition is never held in memory,
 * only one batch of rows. A null input gives null outputs.
 */
final class ScoringTask implements MapPartitionsFunction<Row, Row>, Serializable {
    private static final long serialVersionUID = 1L;

    /** How the input column is read. */
    enum Kind { BINARY, IMAGE_STRUCT, FLOATS }

    /** How binary input is read: image bytes, a serialized ONNX TensorProto, or told apart by the leading bytes. */
    enum BinaryFormat { AUTO, IMAGE, TENSORPROTO }

    private final ModelCache.Key key;
    private final Broadcast<byte[]> modelBytes;
    private final Kind kind;
    private final BinaryFormat format;
    private final ImagePreprocessing images;   // null when the model's input is not an image batch
    private final String notImage;             // why images cannot be used, when images is null
    private final int inputIndex, pathIndex, batch;
    private final boolean scores;
    private final int topK;

    ScoringTask(ModelCache.Key key, Broadcast<byte[]> modelBytes, Kind kind, BinaryFormat format, ImagePreprocessing images, String notImage,
                int inputIndex, int pathIndex, int batch, boolean scores, int topK) {
        this.key = key;
        this.modelBytes = modelBytes;
        this.kind = kind;
        this.format = format;
        this.images = images;
        this.notImage = notImage;
        this.inputIndex = inputIndex;
        this.pathIndex = pathIndex;
        this.batch = batch;
        this.scores = scores;
        this.topK = topK;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        CompiledModel model = ModelCache.get(key, modelBytes::value);
        return new Batches(model, rows);
    }

    private final class Batches implements Iterator<Row> {
        private final CompiledModel model;
        private final Iterator<Row> rows;
        private final int in, out, n;   // floats per sample in and out, samples per predict call
        private final boolean fixed;
        private final float[] x, y;
        private final List<Row> pending = new ArrayList<>();
        private final List<Row> ready = new ArrayList<>();
        private int next;
        private long seen;

        Batches(CompiledModel model, Iterator<Row> rows) {
            this.model = model;
            this.rows = rows;
            this.in = model.inputSize();
            this.out = model.outputSize();
            this.fixed = !model.anyBatch();
            this.n = fixed ? model.declaredBatch() : batch;
            this.x = new float[Math.multiplyExact(n, in)];
            this.y = new float[Math.multiplyExact(n, out)];
        }

        @Override
        public boolean hasNext() {
            if (next < ready.size()) return true;
            ready.clear();
            next = 0;
            if (!rows.hasNext()) return false;
            fill();
            return !ready.isEmpty();
        }

        @Override
        public Row next() {
            if (!hasNext()) throw new NoSuchElementException();
            return ready.get(next++);
        }

        /** Reads up to n rows, runs the model once on their non-null inputs, and queues the output rows in order. */
        private void fill() {
            pending.clear();
            int samples = 0;
            boolean[] present = new boolean[n];
            while (pending.size() < n && rows.hasNext()) {
                Row r = rows.next();
                seen++;
                if (!r.isNullAt(inputIndex)) {
                    decode(r, samples * in);
                    present[pending.size()] = true;
                    samples++;
                }
                pending.add(r);
            }
            if (samples > 0) {
                int b = samples;
                if (fixed) {   // the model runs its declared batch only: pad with zeros, drop the padded outputs
                    java.util.Arrays.fill(x, samples * in, x.length, 0f);
                    b = n;
                }
                model.predict(b, x, 0, y, 0);
            }
            int s = 0;
            for (int i = 0; i < pending.size(); i++) {
                ready.add(output(pending.get(i), present[i] ? s++ : -1));
            }
        }

        private Row output(Row r, int sample) {
            int base = r.length();
            Object[] v = new Object[base + (scores ? 1 : 0) + (topK > 0 ? 2 : 0)];
            for (int i = 0; i < base; i++) v[i] = r.get(i);
            int o = base;
            if (scores) v[o++] = sample < 0 ? null : java.util.Arrays.copyOfRange(y, sample * out, (sample + 1) * out);
            if (topK > 0) {
                if (sample < 0) {
                    v[o++] = null;
                    v[o] = null;
                } else {
                    int k = Math.min(topK, out);
                    int[] cls = TopK.indices(y, sample * out, out, k);
                    float[] sc = new float[k];
                    for (int i = 0; i < k; i++) sc[i] = y[sample * out + cls[i]];
                    v[o++] = cls;
                    v[o] = sc;
                }
            }
            return RowFactory.create(v);
        }

        private String what(Row r) {
            if (pathIndex >= 0 && !r.isNullAt(pathIndex)) return r.get(pathIndex).toString();
            if (kind == Kind.IMAGE_STRUCT) {
                Row img = r.getStruct(inputIndex);
                int f = fieldIndex(img, "origin");
                if (f >= 0 && !img.isNullAt(f)) return img.getString(f);
            }
            return "row " + seen + " of the partition";
        }

        private void decode(Row r, int off) {
            switch (kind) {
                case FLOATS -> {
                    List<Object> v = r.getList(inputIndex);
                    if (v.size() != in) throw new IllegalArgumentException(what(r) + ": the input array has " + v.size() + " values, the model's input '"
                            + model.inputName(0) + "' needs " + in + " per sample");
                    for (int i = 0; i < in; i++) {
                        Object e = v.get(i);
                        if (e == null) throw new IllegalArgumentException(what(r) + ": the input array has a null at index " + i);
                        x[off + i] = ((Number) e).floatValue();
                    }
                }
                case IMAGE_STRUCT -> {
                    Row img = r.getStruct(inputIndex);
                    String w = what(r);
                    image(ImagePreprocessing.fromImageSchema(img.getInt(fieldIndex(img, "height")), img.getInt(fieldIndex(img, "width")),
                            img.getInt(fieldIndex(img, "nChannels")), (byte[]) img.get(fieldIndex(img, "data")), w), off, w);
                }
                case BINARY -> {
                    byte[] b = (byte[]) r.get(inputIndex);
                    String w = what(r);
                    BinaryFormat f = format == BinaryFormat.AUTO ? guess(pathIndex >= 0 && !r.isNullAt(pathIndex) ? r.get(pathIndex).toString() : null, b) : format;
                    if (f == BinaryFormat.IMAGE) image(ImagePreprocessing.decode(b, w), off, w);
                    else tensor(b, off, w);
                }
            }
        }

        private void image(BufferedImage img, int off, String what) {
            if (images == null) throw new IllegalArgumentException(what + ": is an image, but " + notImage);
            images.apply(img, x, off);
        }

        private void tensor(byte[] b, int off, String what) {
            float[] v;
            try {
                Path tmp = Files.createTempFile("vcnn-input-", ".pb");
                try {
                    Files.write(tmp, b);
                    v = TensorProtos.read(tmp).floats();
                } catch (IOException | RuntimeException e) {
                    String m = e.getMessage() == null ? e.toString() : e.getMessage();
                    throw new IllegalArgumentException(what + ": " + m.replace(tmp.toString(), "the input"), e);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            if (v.length != in) {
                throw new IllegalArgumentException(what + ": the tensor holds " + v.length + " values, the model's input '" + model.inputName(0)
                        + "' needs " + in + " per sample");
            }
            System.arraycopy(v, 0, x, off, in);
        }
    }

    static int fieldIndex(Row r, String name) {
        String[] names = r.schema().fieldNames();
        for (int i = 0; i < names.length; i++) if (names[i].equals(name)) return i;
        return -1;
    }

    /** Auto: by the file name's extension when the row has a path, else image when the leading bytes say so, else TensorProto. */
    static BinaryFormat guess(String path, byte[] b) {
        if (path != null) {
            String n = path.toLowerCase(java.util.Locale.ROOT);
            if (n.endsWith(".pb")) return BinaryFormat.TENSORPROTO;
            if (n.matches(".*\\.(png|jpe?g|bmp|gif)$")) return BinaryFormat.IMAGE;
        }
        return looksLikeImage(b) ? BinaryFormat.IMAGE : BinaryFormat.TENSORPROTO;
    }

    /** PNG, JPEG, GIF or BMP by their leading bytes. */
    static boolean looksLikeImage(byte[] b) {
        if (b.length >= 4 && (b[0] & 255) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') return true;
        if (b.length >= 3 && (b[0] & 255) == 0xFF && (b[1] & 255) == 0xD8 && (b[2] & 255) == 0xFF) return true;
        if (b.length >= 4 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8') return true;
        return b.length >= 2 && b[0] == 'B' && b[1] == 'M';
    }
}
