package io.github.vcnn.kernels;

/**
 * Argument checks shared by every kernel variant, so that all three reject bad input the same
 * way: an {@link IllegalArgumentException} naming the argument and the shapes, before any write.
 * The complete check of each kernel entry point is one method of its family's class ({@link ConvChecks},
 * {@link PoolChecks}, {@link ActivationChecks}, {@link DenseChecks}, {@link SoftmaxChecks},
 * {@link ElementwiseChecks}, {@link OptimizerChecks}), which every variant calls first.
 */
public final class Checks {
    /**
     * The largest array length every size check accepts: a little below {@link Integer#MAX_VALUE}, which some VMs
     * refuse, and leaving int indices room for a vector's overhang past the last element.
     */
    public static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 64;

    private Checks() {
    }

    /**
     * {@code size} (computed in {@code long} by the caller) fits a Java array: returns it as an int, else an
     * {@link IllegalArgumentException} naming {@code what} and the shape. Sizes are checked before anything is allocated.
     */
    public static int arrayLength(String what, long size, Object shape) {
        if (size < 0 || size > MAX_ARRAY_LENGTH) {
            throw new IllegalArgumentException(what + " of " + size + " elements is too large for a Java array (at most "
                    + MAX_ARRAY_LENGTH + "): " + shape);
        }
        return (int) size;
    }

    /**
     * The product of non-negative factors, saturating at {@link Long#MAX_VALUE} instead of overflowing: what size checks
     * compare with {@link #MAX_ARRAY_LENGTH} (four int dimensions can overflow even a long).
     */
    public static long product(long... factors) {
        long p = 1;
        for (long f : factors) {
            if (f < 0) throw new IllegalArgumentException("negative size factor " + f);
            if (f == 0) return 0;
        }
        for (long f : factors) {
            long hi = Math.multiplyHigh(p, f);
            if (hi != 0 || p * f < 0) return Long.MAX_VALUE;
            p *= f;
        }
        return p;
    }

    /**
     * The element count of a shape, every dimension {@code >= 0}, computed without overflow and within
     * {@link #MAX_ARRAY_LENGTH}; {@code what} names the tensor in the message.
     */
    public static int elementCount(String what, int[] shape) {
        notNull(what + " shape", shape);
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException(what + " has a negative dimension " + d + ": " + java.util.Arrays.toString(shape));
            n *= d;
            if (n > MAX_ARRAY_LENGTH) arrayLength(what, Long.MAX_VALUE, java.util.Arrays.toString(shape));
        }
        return (int) n;
    }

    /**
     * The two ranges {@code a[aOff, aOff + aLen)} and {@code b[bOff, bOff + bLen)} are not the same memory: different
     * arrays, or disjoint ranges of one array. The cheap aliasing test (identity plus range overlap) behind the checks
     * of kernels that read one argument while writing another; the message names both arguments.
     */
    public static void disjoint(String outName, Object out, int outOff, long outLen, String inName, Object in, int inOff, long inLen,
                                Object shape) {
        if (out == in && out != null && outLen > 0 && inLen > 0 && outOff < inOff + inLen && inOff < outOff + outLen) {
            throw new IllegalArgumentException(outName + " overlaps " + inName + " (the same array, ranges [" + outOff + ", "
                    + (outOff + outLen) + ") and [" + inOff + ", " + (inOff + inLen) + ")): this kernel does not work in place; "
                    + "use separate arrays or non-overlapping ranges (" + shape + ")");
        }
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
