package io.github.vcnn.spark;

/** The k largest scores of one sample, largest first; ties by the lower class index (as a stable sort by descending score). */
public final class TopK {
    private TopK() {
    }

    /** Indices (0-based, relative to {@code off}) of the {@code k} largest of {@code y[off .. off+n)}, ordered as {@link Float#compare} descending. */
    public static int[] indices(float[] y, int off, int n, int k) {
        if (k < 0 || k > n) throw new IllegalArgumentException("k must be in [0, " + n + "], got " + k);
        int[] top = new int[k];
        boolean[] taken = new boolean[n];
        for (int r = 0; r < k; r++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                if (!taken[i] && (best < 0 || Float.compare(y[off + i], y[off + best]) > 0)) best = i;
            }
            taken[best] = true;
            top[r] = best;
        }
        return top;
    }
}
