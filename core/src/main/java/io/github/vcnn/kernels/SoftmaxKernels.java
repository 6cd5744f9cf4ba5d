package io.github.vcnn.kernels;

/** Softmax along the class axis and the losses built on it. Numerically stable (max subtracted). */
public interface SoftmaxKernels {

    /** {@code y[r][:] = softmax(x[r][:])} for {@code rows x cols}; y may be x. */
    void softmax(int rows, int cols, float[] x, int xOff, float[] y, int yOff);

    /** {@code y[r][:] = log_softmax(x[r][:])}; y may be x. */
    void logSoftmax(int rows, int cols, float[] x, int xOff, float[] y, int yOff);

    /**
     * Fused softmax + cross-entropy, mean over the rows.
     *
     * @param labels  class index per row, in {@code [0, cols)}
     * @param probs   null, or receives the softmax {@code [rows][cols]}
     * @param dlogits null, or receives {@code d(mean loss)/d logits = (softmax - onehot) / rows}
     * @return the mean loss
     */
    float crossEntropy(int rows, int cols, float[] logits, int logitsOff, int[] labels, int labelsOff,
                       float[] probs, int probsOff, float[] dlogits, int dlogitsOff);

    /**
     * Mean squared error over {@code len} values: {@code mean((pred - target)^2)}.
     *
     * @param dpred null, or receives {@code 2 (pred - target) / len}
     */
    float mse(int len, float[] pred, int predOff, float[] target, int targetOff, float[] dpred, int dpredOff);
}
