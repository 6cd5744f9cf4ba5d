package io.github.vcnn.kernels.auto;

import io.github.vcnn.kernels.ElementwiseChecks;
import io.github.vcnn.kernels.ElementwiseKernels;

/**
 * Elementwise arithmetic. When every operand starts at the same offset the loop indexes all arrays
 * with one expression and SuperWord vectorizes it directly; otherwise the operands are staged
 * through per-thread L1-sized rows indexed from 0 (see {@link AutoGemm} for why).
 */
public final class AutoElementwise implements ElementwiseKernels {
    private static final int CHUNK = AutoActivation.CHUNK;
    private static final ThreadLocal<float[][]> STAGE = ThreadLocal.withInitial(() -> new float[2][CHUNK]);

    AutoElementwise() {
    }

    @Override
    public void add(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int len, boolean relu) {
        ElementwiseChecks.binary("add", a, aOff, b, bOff, y, yOff, len);
        if (aOff == bOff && bOff == yOff) {
            addSame(a, b, y, yOff, len, relu);
            return;
        }
        float[][] st = STAGE.get();
        float[] as = st[0], bs = st[1];
        for (int start = 0; start < len; start += CHUNK) {
            int n = Math.min(CHUNK, len - start);
            System.arraycopy(a, aOff + start, as, 0, n);
            System.arraycopy(b, bOff + start, bs, 0, n);
            addSame(as, bs, as, 0, n, relu);
            System.arraycopy(as, 0, y, yOff + start, n);
        }
    }

    private static void addSame(float[] a, float[] b, float[] y, int o, int len, boolean relu) {
        if (relu) {
            for (int i = 0; i < len; i++) y[o + i] = Math.max(a[o + i] + b[o + i], 0f);
        } else {
            for (int i = 0; i < len; i++) y[o + i] = a[o + i] + b[o + i];
        }
    }

    @Override
    public void axpy(int len, float alpha, float[] x, int xOff, float[] y, int yOff) {
        ElementwiseChecks.scaled("axpy", len, alpha, x, xOff, y, yOff);
        if (xOff == yOff) {
            for (int i = 0; i < len; i++) y[yOff + i] += alpha * x[xOff + i];
            return;
        }
        float[][] st = STAGE.get();
        float[] xs = st[0], ys = st[1];
        for (int start = 0; start < len; start += CHUNK) {
            int n = Math.min(CHUNK, len - start);
            System.arraycopy(x, xOff + start, xs, 0, n);
            System.arraycopy(y, yOff + start, ys, 0, n);
            for (int i = 0; i < n; i++) ys[i] += alpha * xs[i];
            System.arraycopy(ys, 0, y, yOff + start, n);
        }
    }

    @Override
    public void mul(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int len) {
        ElementwiseChecks.binary("mul", a, aOff, b, bOff, y, yOff, len);
        if (aOff == bOff && bOff == yOff) {
            for (int i = 0; i < len; i++) y[yOff + i] = a[yOff + i] * b[yOff + i];
            return;
        }
        float[][] st = STAGE.get();
        float[] as = st[0], bs = st[1];
        for (int start = 0; start < len; start += CHUNK) {
            int n = Math.min(CHUNK, len - start);
            System.arraycopy(a, aOff + start, as, 0, n);
            System.arraycopy(b, bOff + start, bs, 0, n);
            for (int i = 0; i < n; i++) as[i] = as[i] * bs[i];
            System.arraycopy(as, 0, y, yOff + start, n);
        }
    }

    @Override
    public void scale(int len, float alpha, float[] x, int xOff, float[] y, int yOff) {
        ElementwiseChecks.scaled("scale", len, alpha, x, xOff, y, yOff);
        // copy (overlap-safe), then scale in place with a single index expression
        if (x != y || xOff != yOff) System.arraycopy(x, xOff, y, yOff, len);
        for (int i = 0; i < len; i++) y[yOff + i] = alpha * y[yOff + i];
    }

    @Override
    public double sumOfSquares(int len, float[] x, int xOff) {
        ElementwiseChecks.sumOfSquares(len, x, xOff);
        // squares in a staged row (vectorized), summed in double so long inputs keep their accuracy
        double total = 0.0;
        float[] squares = STAGE.get()[0];
        for (int start = 0; start < len; start += CHUNK) {
            int n = Math.min(CHUNK, len - start);
            System.arraycopy(x, xOff + start, squares, 0, n);
            for (int i = 0; i < n; i++) squares[i] = squares[i] * squares[i];
            double chunk = 0.0;
            for (int i = 0; i < n; i++) chunk += squares[i];
            total += chunk;
        }
        return total;
    }
}
