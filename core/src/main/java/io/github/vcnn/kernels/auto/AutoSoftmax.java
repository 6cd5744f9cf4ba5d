package io.github.vcnn.kernels.auto;

import io.github.vcnn.kernels.SoftmaxChecks;
import io.github.vcnn.kernels.SoftmaxKernels;

/**
 * Softmax, log-softmax, cross-entropy and MSE. Rows are short (class counts), so these are plain
 * loops: the row maximum first (stability), exponentials with {@code Math.exp}, sums in double.
 */
public final class AutoSoftmax implements SoftmaxKernels {

    AutoSoftmax() {
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
        SoftmaxChecks.rows(rows, cols, x, xOff, y, yOff);
        for (int r = 0; r < rows; r++) {
            int xr = xOff + r * cols, yr = yOff + r * cols;
            double lse = logSumExp(x, xr, cols);
            for (int j = 0; j < cols; j++) y[yr + j] = (float) Math.exp(x[xr + j] - lse);
        }
    }

    @Override
    public void logSoftmax(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
        SoftmaxChecks.rows(rows, cols, x, xOff, y, yOff);
        for (int r = 0; r < rows; r++) {
            int xr = xOff + r * cols, yr = yOff + r * cols;
            double lse = logSumExp(x, xr, cols);
            for (int j = 0; j < cols; j++) y[yr + j] = (float) (x[xr + j] - lse);
        }
    }

    @Override
    public float crossEntropy(int rows, int cols, float[] logits, int logitsOff, int[] labels, int labelsOff,
                              float[] probs, int probsOff, float[] dlogits, int dlogitsOff) {
        SoftmaxChecks.crossEntropy(rows, cols, logits, logitsOff, labels, labelsOff, probs, probsOff, dlogits, dlogitsOff);
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
        SoftmaxChecks.mse(len, pred, predOff, target, targetOff, dpred, dpredOff);
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
