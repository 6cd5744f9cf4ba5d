package io.github.vcnn.kernels.scalar;

import io.github.vcnn.kernels.ElementwiseChecks;
import io.github.vcnn.kernels.ElementwiseKernels;

/** Reference elementwise arithmetic. */
public final class ScalarElementwise implements ElementwiseKernels {

    ScalarElementwise() {
    }

    @Override
    public void add(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int len, boolean relu) {
        ElementwiseChecks.binary("add", a, aOff, b, bOff, y, yOff, len);
        for (int i = 0; i < len; i++) {
            float v = a[aOff + i] + b[bOff + i];
            y[yOff + i] = relu ? Math.max(v, 0f) : v; // max: NaN propagates, as in PyTorch
        }
    }

    @Override
    public void axpy(int len, float alpha, float[] x, int xOff, float[] y, int yOff) {
        ElementwiseChecks.scaled("axpy", len, alpha, x, xOff, y, yOff);
        for (int i = 0; i < len; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    @Override
    public void mul(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int len) {
        ElementwiseChecks.binary("mul", a, aOff, b, bOff, y, yOff, len);
        for (int i = 0; i < len; i++) y[yOff + i] = a[aOff + i] * b[bOff + i];
    }

    @Override
    public void scale(int len, float alpha, float[] x, int xOff, float[] y, int yOff) {
        ElementwiseChecks.scaled("scale", len, alpha, x, xOff, y, yOff);
        for (int i = 0; i < len; i++) y[yOff + i] = alpha * x[xOff + i];
    }

    @Override
    public double sumOfSquares(int len, float[] x, int xOff) {
        ElementwiseChecks.sumOfSquares(len, x, xOff);
        double sum = 0.0;
        for (int i = 0; i < len; i++) sum += (double) x[xOff + i] * x[xOff + i];
        return sum;
    }
}
