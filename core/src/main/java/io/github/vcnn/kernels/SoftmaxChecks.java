package io.github.vcnn.kernels;

/**
 * The argument checks of {@link SoftmaxKernels}, shared by every variant (same messages, argument named first,
 * nothing written before they pass, labels included). A passing call allocates nothing.
 */
public final class SoftmaxChecks {
    private SoftmaxChecks() {
    }

    /** softmax and logSoftmax: x and y are [rows][cols]. */
    public static void rows(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
        long size = (long) rows * cols;
        if (rows > 0 && cols > 0 && Checks.fits(x, xOff, size) && Checks.fits(y, yOff, size)) return;
        String shape = shape(rows, cols);
        Checks.positive("rows", rows, shape);
        Checks.positive("cols", cols, shape);
        Checks.array("x", x, xOff, size, shape);
        Checks.array("y", y, yOff, size, shape);
    }

    /** logits [rows][cols], labels [rows] each in [0, cols), optional probs and dlogits [rows][cols]. */
    public static void crossEntropy(int rows, int cols, float[] logits, int logitsOff, int[] labels, int labelsOff,
                                    float[] probs, int probsOff, float[] dlogits, int dlogitsOff) {
        long size = (long) rows * cols;
        if (!(rows > 0 && cols > 0 && Checks.fits(logits, logitsOff, size) && Checks.fitsOrNull(probs, probsOff, size)
                && Checks.fitsOrNull(dlogits, dlogitsOff, size) && Checks.fits(labels, labelsOff, rows))) {
            String shape = shape(rows, cols);
            Checks.positive("rows", rows, shape);
            Checks.positive("cols", cols, shape);
            Checks.array("logits", logits, logitsOff, size, shape);
            Checks.optionalArray("probs", probs, probsOff, size, shape);
            Checks.optionalArray("dlogits", dlogits, dlogitsOff, size, shape);
            Checks.array("labels", labels, labelsOff, rows, "labels [rows " + rows + "]");
        }
        for (int r = 0; r < rows; r++) {
            int label = labels[labelsOff + r];
            if (label < 0 || label >= cols) {
                throw new IllegalArgumentException("labels[" + r + "] = " + label + " (row " + r + ") is outside [0, " + cols + ")");
            }
        }
    }

    /** pred and target [len], optional dpred [len]; len > 0 (the mean needs one value). */
    public static void mse(int len, float[] pred, int predOff, float[] target, int targetOff, float[] dpred, int dpredOff) {
        if (len > 0 && Checks.fits(pred, predOff, len) && Checks.fits(target, targetOff, len)
                && Checks.fitsOrNull(dpred, dpredOff, len)) {
            return;
        }
        String shape = "mse over " + len + " values";
        Checks.positive("len", len, shape);
        Checks.array("pred", pred, predOff, len, shape);
        Checks.array("target", target, targetOff, len, shape);
        Checks.optionalArray("dpred", dpred, dpredOff, len, shape);
    }

    private static String shape(int rows, int cols) {
        return "[rows " + rows + "][cols " + cols + "]";
    }
}
