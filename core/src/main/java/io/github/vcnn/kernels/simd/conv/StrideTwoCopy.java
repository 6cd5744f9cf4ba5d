package io.github.vcnn.kernels.simd.conv;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The stride-2 copy {@code dst[d + j] = src[s + 2j]} a vector at a time: two loads and one two-table permute
 * ({@code selectFrom}, one {@code vpermi2ps} on AVX-512) per L values. Strided 1x1 and RGB stride-2 convolutions copy
 * their input this way (ResNet's downsample, the planar phases of a first layer): as a scalar loop the copy took a
 * quarter of the downsample and a seventh of SqueezeNet's first layer.
 *
 * <p>The last vector is written whole: {@link #written} values land in {@code dst}, the caller keeps room for them
 * (positions it writes later, or zeroes again), and {@code src} is read up to {@link #read} values from {@code s}.
 */
public final class StrideTwoCopy {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** selectFrom indices over two vectors (lo | hi): the even positions. */
    private static final float[] EVEN = new float[L];

    static {
        for (int j = 0; j < L; j++) EVEN[j] = 2 * j;
    }

    private StrideTwoCopy() {
    }

    /** Values written to {@code dst} for {@code n} copied: n rounded up to whole vectors. */
    public static int written(int n) {
        return (n + L - 1) / L * L;
    }

    /** Values read from {@code src} for {@code n} copied. */
    public static int read(int n) {
        return 2 * written(n);
    }

    /** Values read from {@code src} by {@link #copyRows} of {@code rows} rows {@code srcStride} apart, {@code n} copied each. */
    public static long readRows(int rows, int srcStride, int n) {
        return rows == 0 ? 0 : (long) (rows - 1) * srcStride + read(n);
    }

    /**
     * {@link #copy} of {@code rows} rows in order: {@code dst[d + i*dstStride + j] = src[s + i*srcStride + 2j]}, each row's
     * whole last vector landing on the next row's start (written after it) or, for the last row, up to L-1 values past
     * it. One call for a plane: per-row calls of a 28-column row (two vectors) cost a loop's entry and exit per row,
     * more than the row's two permutes (ResNet's 28x28 downsample samples 1,792 such rows per call).
     */
    public static void copyRows(float[] src, int s, int srcStride, int rows, int n, float[] dst, int d, int dstStride) {
        FloatVector even = FloatVector.fromArray(F, EVEN, 0);
        if (n <= 2 * L && n > L) {   // two vectors a row, straight-line
            for (int i = 0; i < rows; i++) {
                int si = s + i * srcStride, di = d + i * dstStride;
                FloatVector a = FloatVector.fromArray(F, src, si), b = FloatVector.fromArray(F, src, si + L);
                FloatVector c = FloatVector.fromArray(F, src, si + 2 * L), e = FloatVector.fromArray(F, src, si + 3 * L);
                even.selectFrom(a, b).intoArray(dst, di);
                even.selectFrom(c, e).intoArray(dst, di + L);
            }
            return;
        }
        for (int i = 0; i < rows; i++) {
            int si = s + i * srcStride, di = d + i * dstStride;
            for (int j = 0; j < n; j += L) {
                FloatVector lo = FloatVector.fromArray(F, src, si + 2 * j), hi = FloatVector.fromArray(F, src, si + 2 * j + L);
                even.selectFrom(lo, hi).intoArray(dst, di + j);
            }
        }
    }

    /** {@code dst[d + j] = src[s + 2j]} for j in [0, n), and up to L-1 more values past them (see the class comment). */
    public static void copy(float[] src, int s, int n, float[] dst, int d) {
        FloatVector even = FloatVector.fromArray(F, EVEN, 0);
        for (int j = 0; j < n; j += L) {
            FloatVector lo = FloatVector.fromArray(F, src, s + 2 * j), hi = FloatVector.fromArray(F, src, s + 2 * j + L);
            even.selectFrom(lo, hi).intoArray(dst, d + j);
        }
    }
}
