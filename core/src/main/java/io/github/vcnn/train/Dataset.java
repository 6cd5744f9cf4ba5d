package io.github.vcnn.train;

import io.github.vcnn.kernels.Checks;

import java.util.Arrays;

/** Labelled samples: {@code images [count][sampleShape...]} (row-major floats) and one class label per sample. Arrays are referenced, not copied. */
public final class Dataset {
    private final float[] images;
    private final int[] labels;
    private final int[] sampleShape;
    private final int sampleSize;

    public Dataset(float[] images, int[] labels, int... sampleShape) {
        Checks.notNull("images", images);
        Checks.notNull("labels", labels);
        Checks.notNull("sampleShape", sampleShape);
        for (int d : sampleShape) Checks.positive("sample dimension", d, Arrays.toString(sampleShape));
        if (sampleShape.length == 0) throw new IllegalArgumentException("bad sample shape " + Arrays.toString(sampleShape));
        long size = Checks.elementCount("sample", sampleShape);
        if ((long) labels.length * size != images.length) {
            throw new IllegalArgumentException("mismatched label count: " + labels.length + " labels but " + images.length + " image values = "
                    + (images.length / (double) size) + " samples of shape " + Arrays.toString(sampleShape));
        }
        this.images = images;
        this.labels = labels;
        this.sampleShape = sampleShape.clone();
        this.sampleSize = (int) size;
    }

    public int count() {
        return labels.length;
    }

    public float[] images() {
        return images;
    }

    public int[] labels() {
        return labels;
    }

    public int[] sampleShape() {
        return sampleShape.clone();
    }

    public int sampleSize() {
        return sampleSize;
    }

    /** Samples {@code [from, to)} (copied). */
    public Dataset slice(int from, int to) {
        if (from < 0 || to > count() || from > to) throw new IllegalArgumentException("slice [" + from + ", " + to + ") outside [0, " + count() + ")");
        return new Dataset(Arrays.copyOfRange(images, from * sampleSize, to * sampleSize), Arrays.copyOfRange(labels, from, to), sampleShape);
    }

    /** The first {@code n} samples (all of them when n &gt;= count). */
    public Dataset first(int n) {
        Checks.nonNegative("n", n, "Dataset.first");
        return n >= count() ? this : slice(0, n);
    }

    /** The samples with labels in {@code [lo, hi)}, relabelled {@code label - lo} (e.g. classes 5-9 become 0-4). */
    public Dataset classes(int lo, int hi) {
        if (lo < 0 || hi <= lo) throw new IllegalArgumentException("class range [" + lo + ", " + hi + ") is empty or negative");
        int n = 0;
        for (int l : labels) if (l >= lo && l < hi) n++;
        float[] x = new float[n * sampleSize];
        int[] y = new int[n];
        int j = 0;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < lo || labels[i] >= hi) continue;
            System.arraycopy(images, i * sampleSize, x, j * sampleSize, sampleSize);
            y[j++] = labels[i] - lo;
        }
        return new Dataset(x, y, sampleShape);
    }
}
