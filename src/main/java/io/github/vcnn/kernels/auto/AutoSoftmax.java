package io.github.vcnn.kernels.auto;

import io.github.vcnn.kernels.Checks;
import io.github.vcnn.kernels.SoftmaxKernels;

/**
 * Softmax, log-softmax, cross-entropy and MSE. Rows are short (class counts), so these are plain
 * loops: the row maximum first (stability), exponentials with {@code Math.exp}, sums in double.
 */
public final class AutoSoftmax implements SoftmaxKernels {

    AutoSoftmax() {
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

    /** max + log(sum exp(x - max)) of one row; -inf when every logit is -inf. */
    private static double logSumExp(float[] x, int row, int cols) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) max = Math.max(max, x[row + j]);
        if (max == Float.NEGATIVE_INFINITY) return max;
        double sum = 0.0;
        for (int j = 0; j < cols; j++) sum += Math.exp((double) x[row + j] - max);
        return max + Math.log(sum);
    }

    @Override
    public void softmax(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
        checkRows(rows, cols, "x", x, xOff, "y", y, yOff, false);
        for (int r = 0; r < rows; r++) {
            int xr = xOff + r * cols, yr = yOff + r * cols;
            double lse = logSumExp(x, xr, cols);
            for (int j = 0; j < cols; j++) y[yr + j] = (float) Math.exp(x[xr + j] - lse);
        }
    }

    @Override
    public void logSoftmax(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
        checkRows(rows, cols, "x", x, xOff, "y", y, yOff, false);
        for (int r = 0; r < rows; r++) {
            int xr = xOff + r * cols, yr = yOff + r * cols;
            double lse = logSumExp(x, xr, cols);
            for (int j = 0; j < cols; j++) y[yr + j] = (float) (x[xr + j] - lse);
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
        // loss_r = logsumexp(x_r) - x_r[label]; d(mean loss)/dx = (softmax - onehot) / rows
        double total = 0.0;
        double invRows = 1.0 / rows;
        for (int r = 0; r < rows; r++) {
            int row = logitsOff + r * cols;
            int label = labels[labelsOff + r];
            double lse = logSumExp(logits, row, cols);
            total += lse - logits[row + label];
            if (probs == null && dlogits == null) continue;
            for (int j = 0; j < cols; j++) {
                double pj = Math.exp(logits[row + j] - lse);
                if (probs != null) probs[probsOff + r * cols + j] = (float) pj;
                if (dlogits != null) dlogits[dlogitsOff + r * cols + j] = (float) ((pj - (j == label ? 1.0 : 0.0)) * invRows);
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
        double sum = 0.0;
        double scale = 2.0 / len;
        for (int i = 0; i < len; i++) {
            double d = (double) pred[predOff + i] - target[targetOff + i];
            sum += d * d;
            if (dpred != null) dpred[dpredOff + i] = (float) (d * scale);
        }
        return (float) (sum / len);
    }
}
