package io.github.vcnn.kernels.scalar;

import io.github.vcnn.kernels.Checks;
import io.github.vcnn.kernels.SoftmaxKernels;

/** Reference softmax, log-softmax and losses; the row maximum is subtracted before exp, sums in double. */
public final class ScalarSoftmax implements SoftmaxKernels {

    ScalarSoftmax() {
    }

    private static String shape(int rows, int cols) {
        return "[rows " + rows + "][cols " + cols + "]";
    }

    private static void checkRows(int rows, int cols, String xName, float[] x, int xOff, String yName, float[] y, int yOff, boolean yOptional) {
        String shape = shape(rows, cols);
        Checks.positive("rows", rows, shape);
        Checks.positive("cols", cols, shape);
        long len = (long) rows * cols;
        Checks.array(xName, x, xOff, len, shape);
        if (yOptional) Checks.optionalArray(yName, y, yOff, len, shape);
        else Checks.array(yName, y, yOff, len, shape);
    }

    /** log(sum_j exp(x[j])) of one row, computed as max + log(sum exp(x - max)) so that large logits do not overflow. */
    private static double logSumExp(float[] x, int rowOff, int cols) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) max = Math.max(max, x[rowOff + j]);
        if (max == Float.NEGATIVE_INFINITY) return max; // every logit -inf: nothing to normalise
        double sum = 0.0;
        for (int j = 0; j < cols; j++) sum += Math.exp((double) x[rowOff + j] - max);
        return max + Math.log(sum);
    }

    @Override
    public void softmax(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
        checkRows(rows, cols, "x", x, xOff, "y", y, yOff, false);
        for (int r = 0; r < rows; r++) {
            double lse = logSumExp(x, xOff + r * cols, cols);
            // y = exp(x - lse); y may be x, each element is read before it is written
            for (int j = 0; j < cols; j++) y[yOff + r * cols + j] = (float) Math.exp(x[xOff + r * cols + j] - lse);
        }
    }

    @Override
    public void logSoftmax(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
        checkRows(rows, cols, "x", x, xOff, "y", y, yOff, false);
        for (int r = 0; r < rows; r++) {
            double lse = logSumExp(x, xOff + r * cols, cols);
            for (int j = 0; j < cols; j++) y[yOff + r * cols + j] = (float) (x[xOff + r * cols + j] - lse);
        }
    }

    @Override
    public float crossEntropy(int rows, int cols, float[] logits, int logitsOff, int[] labels, int labelsOff,
                              float[] probs, int probsOff, float[] dlogits, int dlogitsOff) {
        checkRows(rows, cols, "logits", logits, logitsOff, "probs", probs, probsOff, true);
        Checks.optionalArray("dlogits", dlogits, dlogitsOff, (long) rows * cols, shape(rows, cols));
        Checks.array("labels", labels, labelsOff, rows, "labels [rows " + rows + "]");
        for (int r = 0; r < rows; r++) {
            int label = labels[labelsOff + r];
            if (label < 0 || label >= cols) {
                throw new IllegalArgumentException("labels: row " + r + " has label " + label + ", outside [0, " + cols + ")");
            }
        }
        // loss_r = logsumexp(x_r) - x_r[label_r]; mean over rows; d/dx = (softmax - onehot) / rows
        double total = 0.0;
        for (int r = 0; r < rows; r++) {
            int row = logitsOff + r * cols;
            int label = labels[labelsOff + r];
            double lse = logSumExp(logits, row, cols);
            total += lse - logits[row + label];
            for (int j = 0; j < cols; j++) {
                double pj = Math.exp(logits[row + j] - lse);
                if (probs != null) probs[probsOff + r * cols + j] = (float) pj;
                if (dlogits != null) dlogits[dlogitsOff + r * cols + j] = (float) ((pj - (j == label ? 1.0 : 0.0)) / rows);
            }
        }
        return (float) (total / rows);
    }

    @Override
    public float mse(int len, float[] pred, int predOff, float[] target, int targetOff, float[] dpred, int dpredOff) {
        String shape = "mse over " + len + " values";
        Checks.positive("len", len, shape);
        Checks.array("pred", pred, predOff, len, shape);
        Checks.array("target", target, targetOff, len, shape);
        Checks.optionalArray("dpred", dpred, dpredOff, len, shape);
        // loss = mean((pred - target)^2); dpred = 2 (pred - target) / len
        double sum = 0.0;
        for (int i = 0; i < len; i++) {
            double d = (double) pred[predOff + i] - target[targetOff + i];
            sum += d * d;
            if (dpred != null) dpred[dpredOff + i] = (float) (2.0 * d / len);
        }
        return (float) (sum / len);
    }
}
