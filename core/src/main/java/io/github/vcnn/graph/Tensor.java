package io.github.vcnn.graph;

import java.util.Arrays;

/**
 * An immutable constant tensor of a graph (weights, biases, shapes): float32 or int64 values, row-major, with a
 * shape (rank 0 is a scalar). The arrays are owned by the tensor; the accessors return copies except
 * {@link #floatsView()}, which exists for the compiler and must not be written.
 */
public final class Tensor {
    /** The element types a graph constant may have. */
    public enum Type { FLOAT, INT64 }

    private final Type type;
    private final int[] shape;
    private final float[] floats;
    private final long[] longs;

    private Tensor(Type type, int[] shape, float[] floats, long[] longs) {
        this.type = type;
        this.shape = shape;
        this.floats = floats;
        this.longs = longs;
        long n = elements(shape);
        long have = floats != null ? floats.length : longs.length;
        if (have != n) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " needs " + n + " values, got " + have);
        }
    }

    /** A float tensor holding a copy of {@code data}. */
    public static Tensor of(int[] shape, float... data) {
        return new Tensor(Type.FLOAT, checkShape(shape), data.clone(), null);
    }

    /** An int64 tensor holding a copy of {@code data}. */
    public static Tensor ofLongs(int[] shape, long... data) {
        return new Tensor(Type.INT64, checkShape(shape), null, data.clone());
    }

    /** A float tensor that takes ownership of {@code data} (no copy): the caller must not write it afterwards. */
    public static Tensor wrap(int[] shape, float[] data) {
        return new Tensor(Type.FLOAT, checkShape(shape), data, null);
    }

    /** An int64 tensor that takes ownership of {@code data} (no copy). */
    public static Tensor wrapLongs(int[] shape, long[] data) {
        return new Tensor(Type.INT64, checkShape(shape), null, data);
    }

    /** The same values under another shape of the same size (shares the data). */
    public Tensor reshape(int[] newShape) {
        return new Tensor(type, checkShape(newShape), floats, longs);
    }

    private static int[] checkShape(int[] shape) {
        if (shape == null) throw new IllegalArgumentException("tensor shape is null");
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in tensor shape " + Arrays.toString(shape));
        }
        if (elements(shape) > Integer.MAX_VALUE - 64) throw new IllegalArgumentException("tensor shape " + Arrays.toString(shape) + " too large");
        return shape.clone();
    }

    /** Number of elements of a shape (1 for a scalar). */
    public static long elements(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    public Type type() {
        return type;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int i) {
        return shape[i];
    }

    /** Number of values. */
    public int size() {
        return type == Type.FLOAT ? floats.length : longs.length;
    }

    /** A copy of the values as floats (int64 values converted). */
    public float[] floats() {
        if (type == Type.FLOAT) return floats.clone();
        float[] f = new float[longs.length];
        for (int i = 0; i < f.length; i++) f[i] = longs[i];
        return f;
    }

    /** A copy of the values as longs; only for INT64 tensors. */
    public long[] longs() {
        if (type != Type.INT64) throw new IllegalStateException("tensor is " + type + ", not INT64");
        return longs.clone();
    }

    /** The float values without a copy (FLOAT tensors only); read-only by contract. */
    float[] floatsView() {
        if (type != Type.FLOAT) throw new IllegalStateException("tensor is " + type + ", not FLOAT");
        return floats;
    }

    long[] longsView() {
        if (type != Type.INT64) throw new IllegalStateException("tensor is " + type + ", not INT64");
        return longs;
    }

    /** Value {@code i} as a float, whatever the type. */
    public float floatAt(int i) {
        return type == Type.FLOAT ? floats[i] : longs[i];
    }

    @Override
    public String toString() {
        return type.name().toLowerCase(java.util.Locale.ROOT) + Arrays.toString(shape);
    }
}
