package io.github.vcnn.train;

import io.github.vcnn.kernels.Checks;

/**
 * What a batch is trained towards: class labels (for {@link SoftmaxCrossEntropy}) or real-valued rows
 * (for {@link MSE}). The arrays are referenced, not copied.
 */
public final class Targets {
    private final int[] labels;
    private final float[] values;
    private final int width;

    private Targets(int[] labels, float[] values, int width) {
        this.labels = labels;
        this.values = values;
        this.width = width;
    }

    /** One class index per sample. */
    public static Targets labels(int[] labels) {
        return new Targets(Checks.notNull("labels", labels), null, 1);
    }

    /** {@code width} values per sample, row-major. */
    public static Targets values(float[] values, int width) {
        Checks.notNull("values", values);
        Checks.positive("width", width, "targets");
        if (values.length % width != 0) throw new IllegalArgumentException("values length " + values.length + " is not a multiple of width " + width);
        return new Targets(null, values, width);
    }

    /** Class labels, or null for value targets. */
    public int[] labels() {
        return labels;
    }

    /** Value targets, or null for labels. */
    public float[] values() {
        return values;
    }

    public int width() {
        return width;
    }

    /** Number of samples. */
    public int count() {
        return labels != null ? labels.length : values.length / width;
    }
}
