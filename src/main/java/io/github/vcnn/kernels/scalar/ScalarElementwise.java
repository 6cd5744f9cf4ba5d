package io.github.vcnn.kernels.scalar;

import io.github.vcnn.kernels.Checks;
import io.github.vcnn.kernels.ElementwiseKernels;

/** Reference elementwise arithmetic. */
public final class ScalarElementwise implements ElementwiseKernels {

    ScalarElementwise() {
    }

    private static void check3(String op, int len, float[] a, int aOff, float[] b, int bOff, float[] y, int yOff) {
        Checks.length("len", len);
        String shape = op + " over " + len + " values";
        Checks.array("a", a, aOff, len, shape);
        Checks.array("b", b, bOff, len, shape);
        Checks.array("y", y, yOff, len, shape);
    }

    @Override
    public void add(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int len, boolean relu) {
        check3("add", len, a, aOff, b, bOff, y, yOff);
        for (int i = 0; i < len; i++) {
            float v = a[aOff + i] + b[bOff + i];
            y[yOff + i] = relu && !(v > 0f) ? 0f : v;
        }
    }

    @Override
    public void axpy(int len, float alpha, float[] x, int xOff, float[] y, int yOff) {
        Checks.length("len", len);
        Checks.finite("alpha", alpha);
        String shape = "axpy over " + len + " values";
        Checks.array("x", x, xOff, len, shape);
        Checks.array("y", y, yOff, len, shape);
        for (int i = 0; i < len; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    @Override
    public void mul(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int len) {
        check3("mul", len, a, aOff, b, bOff, y, yOff);
        for (int i = 0; i < len; i++) y[yOff + i] = a[aOff + i] * b[bOff + i];
    }

    @Override
    public void scale(int len, float alpha, float[] x, int xOff, float[] y, int yOff) {
        Checks.length("len", len);
        Checks.finite("alpha", alpha);
        String shape = "scale over " + len + " values";
        Checks.array("x", x, xOff, len, shape);
        Checks.array("y", y, yOff, len, shape);
        for (int i = 0; i < len; i++) y[yOff + i] = alpha * x[xOff + i];
    }

    @Override
    public double sumOfSquares(int len, float[] x, int xOff) {
        Checks.length("len", len);
        Checks.array("x", x, xOff, len, "sum of squares over " + len + " values");
        double sum = 0.0;
        for (int i = 0; i < len; i++) sum += (double) x[xOff + i] * x[xOff + i];
        return sum;
    }
}
