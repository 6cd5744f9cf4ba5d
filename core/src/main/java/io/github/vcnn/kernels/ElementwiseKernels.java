package io.github.vcnn.kernels;

/** Elementwise arithmetic on flat runs of floats. Stateless and thread-safe. */
public interface ElementwiseKernels {

    /** {@code y = a + b}, then ReLU ({@code max(v, 0)}, NaN stays NaN) when {@code relu} (residual connections); y may alias a or b. */
    void add(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int len, boolean relu);

    /** {@code y += alpha * x}. */
    void axpy(int len, float alpha, float[] x, int xOff, float[] y, int yOff);

    /** {@code y = a * b} elementwise; y may alias a or b. */
    void mul(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int len);

    /** {@code y = alpha * x}; y may be x. */
    void scale(int len, float alpha, float[] x, int xOff, float[] y, int yOff);

    /** Sum of squares {@code sum x[i]^2} (for L2 penalties and norms), accumulated in double. */
    double sumOfSquares(int len, float[] x, int xOff);
}
