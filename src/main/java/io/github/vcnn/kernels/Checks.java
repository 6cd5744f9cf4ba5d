package io.github.vcnn.kernels;

/**
 * Argument checks shared by every kernel variant, so that all three reject bad input the same
 * way: an {@link IllegalArgumentException} naming the argument and the shapes, before any write.
 * The complete check of each kernel entry point is one method of its family's class ({@link ConvChecks},
 * {@link PoolChecks}, {@link ActivationChecks}, {@link DenseChecks}, {@link SoftmaxChecks},
 * {@link ElementwiseChecks}, {@link OptimizerChecks}), which every variant calls first.
 */
public final class Checks {
    private Checks() {
    }

    public static void positive(String name, int value, String shape) {
        if (value <= 0) throw new IllegalArgumentException(name + " must be > 0, got " + value + ": " + shape);
    }

    public static void nonNegative(String name, int value, String shape) {
        if (value < 0) throw new IllegalArgumentException(name + " must be >= 0, got " + value + ": " + shape);
    }

    public static <T> T notNull(String name, T value) {
        if (value == null) throw new IllegalArgumentException(name + " is null");
        return value;
    }

    /** The array holds {@code len} elements from {@code off}. */
    public static void array(String name, float[] a, int off, long len, Object shape) {
        if (a == null) throw new IllegalArgumentException(name + " is null (needs " + len + " floats for " + shape + ")");
        if (!fits(a, off, len)) {
            throw new IllegalArgumentException(name + " needs " + len + " floats from offset " + off
                    + " but has length " + a.length + " (" + shape + ")");
        }
    }

    /** The array holds {@code len} elements from {@code off}. */
    public static void array(String name, int[] a, int off, long len, Object shape) {
        if (a == null) throw new IllegalArgumentException(name + " is null (needs " + len + " ints for " + shape + ")");
        if (!fits(a, off, len)) {
            throw new IllegalArgumentException(name + " needs " + len + " ints from offset " + off
                    + " but has length " + a.length + " (" + shape + ")");
        }
    }

    /** Optional array: null is allowed, otherwise it must hold {@code len} elements from {@code off}. */
    public static void optionalArray(String name, float[] a, int off, long len, Object shape) {
        if (a != null) array(name, a, off, len, shape);
    }

    /**
     * As {@link #array(String, float[], int, long, Object)} with the shape described as {@code layout + " of " + of},
     * a string built only when the check fails (a passing call allocates nothing).
     */
    public static void array(String name, float[] a, int off, long len, String layout, Object of) {
        if (!fits(a, off, len)) array(name, a, off, len, layout + " of " + of);
    }

    /** As {@link #array(String, float[], int, long, String, Object)} for an int array. */
    public static void array(String name, int[] a, int off, long len, String layout, Object of) {
        if (!fits(a, off, len)) array(name, a, off, len, layout + " of " + of);
    }

    /** As {@link #array(String, float[], int, long, String, Object)}; null is allowed. */
    public static void optionalArray(String name, float[] a, int off, long len, String layout, Object of) {
        if (a != null) array(name, a, off, len, layout, of);
    }

    /**
     * The array holds the {@code len} values an element-wise operation {@code op} reads or writes from {@code off};
     * the shape ({@code op + " over " + len + " values"}) is described only when the check fails.
     */
    public static void span(String name, float[] a, int off, int len, String op) {
        if (!fits(a, off, len)) array(name, a, off, len, op + " over " + len + " values");
    }

    /** As {@link #span}; null is allowed. */
    public static void optionalSpan(String name, float[] a, int off, int len, String op) {
        if (a != null) span(name, a, off, len, op);
    }

    /** {@code a} is not null and holds {@code len} elements from {@code off}: the cheap test behind every array check. */
    public static boolean fits(float[] a, int off, long len) {
        return a != null && off >= 0 && len >= 0 && off + len <= a.length;
    }

    /** As {@link #fits(float[], int, long)} for an int array. */
    public static boolean fits(int[] a, int off, long len) {
        return a != null && off >= 0 && len >= 0 && off + len <= a.length;
    }

    /** Null, or {@link #fits(float[], int, long)}. */
    public static boolean fitsOrNull(float[] a, int off, long len) {
        return a == null || fits(a, off, len);
    }

    public static void finite(String name, double value) {
        if (!Double.isFinite(value)) throw new IllegalArgumentException(name + " must be finite, got " + value);
    }

    public static void finitePositive(String name, double value) {
        if (!(Double.isFinite(value) && value > 0)) throw new IllegalArgumentException(name + " must be finite and > 0, got " + value);
    }

    public static void finiteNonNegative(String name, double value) {
        if (!(Double.isFinite(value) && value >= 0)) throw new IllegalArgumentException(name + " must be finite and >= 0, got " + value);
    }

    public static void length(String name, int len) {
        if (len < 0) throw new IllegalArgumentException(name + " must be >= 0, got " + len);
    }
}
