package io.github.vcnn.kernels;

/** Max, average and global pooling over NCHW; see {@link PoolParams}. Stateless and thread-safe. */
public interface PoolKernels {

    /**
     * Max pooling; padding counts as -infinity.
     *
     * @param argmax null, or {@code [N][C][outH][outW]} receiving the index {@code ih*W + iw} of each
     *               maximum inside its input plane (PyTorch's convention), for {@link #maxBwd}
     */
    void maxFwd(PoolParams p, float[] x, int xOff, float[] y, int yOff, int[] argmax, int argmaxOff);

    /** Max-pool backward through the recorded argmax: {@code dx} overwritten with zeros then scattered into. */
    void maxBwd(PoolParams p, float[] dy, int dyOff, int[] argmax, int argmaxOff, float[] dx, int dxOff);

    /** Average pooling with {@link PoolParams#countIncludePad()} deciding the divisor. */
    void avgFwd(PoolParams p, float[] x, int xOff, float[] y, int yOff);

    /** Average-pool backward: each {@code dy} spread evenly (same divisor as forward); {@code dx} overwritten. */
    void avgBwd(PoolParams p, float[] dy, int dyOff, float[] dx, int dxOff);

    /** {@code y[n][c] = mean over H*W of x[n][c]}. */
    void globalAvgFwd(int n, int c, int hw, float[] x, int xOff, float[] y, int yOff);

    /** {@code y[n][c] = max over H*W of x[n][c]}. */
    void globalMaxFwd(int n, int c, int hw, float[] x, int xOff, float[] y, int yOff);

    /** {@code dx[n][c][i] = dy[n][c] / hw}; {@code dx} overwritten. */
    void globalAvgBwd(int n, int c, int hw, float[] dy, int dyOff, float[] dx, int dxOff);
}
