package io.github.vcnn.kernels.scalar;

import io.github.vcnn.kernels.SoftmaxChecks;
import io.github.vcnn.kernels.SoftmaxKernels;

/** Reference softmax, log-softmax and losses; the row maximum is subtracted before exp, sums in double. */
public final class ScalarSoftmax implements SoftmaxKernels {

    ScalarSoftmax() {
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
        SoftmaxChecks.rows(rows, cols, x, xOff, y, yOff);
        for (int r = 0; r < rows; r++) {
            double lse = logSumExp(x, xOff + r * cols, cols);
            // y = exp(x - lse); y may be x, each element is read before it is written
            for (int j = 0; j < cols; j++) y[yOff + r * cols + j] = (float) Math.exp(x[xOff + r * cols + j] - lse);
        }
    }

    @Override
    public void logSoftmax(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
        SoftmaxChecks.rows(rows, cols, x, xOff, y, yOff);
        for (int r = 0; r < rows; r++) {
            double lse = logSumExp(x, xOff + r * cols, cols);
            for (int j = 0; j < cols; j++) y[yOff + r * cols + j] = (float) (x[xOff + r * cols + j] - lse);
        }
    }

    @Override
    public float crossEntropy(int rows, int cols, float[] logits, int logitsOff, int[] labels, int labelsOff,
                              float[] probs, int probsOff, float[] dlogits, int dlogitsOff) {
        SoftmaxChecks.crossEntropy(rows, cols, logits, logitsOff, labels, labelsOff, probs, probsOff, dlogits, dlogitsOff);
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
        SoftmaxChecks.mse(len, pred, predOff, target, targetOff, dpred, dpredOff);
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
