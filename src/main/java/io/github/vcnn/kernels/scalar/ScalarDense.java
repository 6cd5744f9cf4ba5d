package io.github.vcnn.kernels.scalar;

import io.github.vcnn.kernels.Checks;
import io.github.vcnn.kernels.DenseKernels;
import io.github.vcnn.kernels.DenseParams;
import io.github.vcnn.kernels.Epilogue;

/** Reference SGEMM and fully connected layer, row-major, sums in double. */
public final class ScalarDense implements DenseKernels {

    ScalarDense() {
    }

    /** Checks a row-major {@code rows x cols} matrix stored with leading dimension {@code ld}. */
    static void matrix(String name, float[] a, int off, int rows, int cols, int ld, String shape) {
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException("ld" + name + " (leading dimension of " + name + ") is " + ld + ", needs >= " + Math.max(1, cols)
                    + " for " + rows + "x" + cols + " (" + shape + ")");
        }
        long len = rows == 0 || cols == 0 ? 0 : (long) (rows - 1) * ld + cols;
        Checks.array(name, a, off, len, name + " " + rows + "x" + cols + " ld " + ld + " (" + shape + ")");
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        String shape = "sgemm C[" + m + "x" + n + "] = " + alpha + " * " + (transA ? "A^T" : "A") + "[" + m + "x" + k + "] * "
                + (transB ? "B^T" : "B") + "[" + k + "x" + n + "] + " + beta + " * C";
        Checks.nonNegative("m", m, shape);
        Checks.nonNegative("n", n, shape);
        Checks.nonNegative("k", k, shape);
        Checks.finite("alpha", alpha);
        Checks.finite("beta", beta);
        // storage shapes: A is m x k (k x m when transposed), B is k x n (n x k when transposed)
        matrix("a", a, aOff, transA ? k : m, transA ? m : k, lda, shape);
        matrix("b", b, bOff, transB ? n : k, transB ? k : n, ldb, shape);
        matrix("c", c, cOff, m, n, ldc, shape);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0.0;
                if (alpha != 0f) { // as BLAS: alpha == 0 does not read A and B
                    for (int l = 0; l < k; l++) {
                        float av = transA ? a[aOff + l * lda + i] : a[aOff + i * lda + l];
                        float bv = transB ? b[bOff + j * ldb + l] : b[bOff + l * ldb + j];
                        sum += (double) av * bv;
                    }
                }
                int at = cOff + i * ldc + j;
                // beta == 0: C is write-only, a NaN already in C does not survive
                double old = beta == 0f ? 0.0 : (double) beta * c[at];
                c[at] = (float) (alpha * sum + old);
            }
        }
    }

    @Override
    public void fwd(DenseParams p, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff, Epilogue act, float[] y, int yOff) {
        Checks.notNull("params", p);
        Checks.array("x", x, xOff, (long) p.batch() * p.in(), "input [batch][in] of " + p);
        Checks.array("w", w, wOff, (long) p.out() * p.in(), "weights [out][in] of " + p);
        Checks.optionalArray("bias", bias, biasOff, p.out(), "bias [out] of " + p);
        Checks.notNull("act (epilogue)", act);
        Checks.array("y", y, yOff, (long) p.batch() * p.out(), "output [batch][out] of " + p);
        // y[b][o] = act(bias[o] + sum_i x[b][i] * w[o][i])
        for (int bt = 0; bt < p.batch(); bt++) {
            for (int o = 0; o < p.out(); o++) {
                double sum = bias == null ? 0.0 : bias[biasOff + o];
                for (int i = 0; i < p.in(); i++) sum += (double) x[xOff + bt * p.in() + i] * w[wOff + o * p.in() + i];
                y[yOff + bt * p.out() + o] = act.apply((float) sum);
            }
        }
    }

    @Override
    public void bwdData(DenseParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff) {
        Checks.notNull("params", p);
        Checks.array("dz", dz, dzOff, (long) p.batch() * p.out(), "output gradient [batch][out] of " + p);
        Checks.array("w", w, wOff, (long) p.out() * p.in(), "weights [out][in] of " + p);
        Checks.array("dx", dx, dxOff, (long) p.batch() * p.in(), "input gradient [batch][in] of " + p);
        // dx[b][i] = sum_o dz[b][o] * w[o][i]
        for (int bt = 0; bt < p.batch(); bt++) {
            for (int i = 0; i < p.in(); i++) {
                double sum = 0.0;
                for (int o = 0; o < p.out(); o++) sum += (double) dz[dzOff + bt * p.out() + o] * w[wOff + o * p.in() + i];
                dx[dxOff + bt * p.in() + i] = (float) sum;
            }
        }
    }

    @Override
    public void bwdWeights(DenseParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff, float[] db, int dbOff) {
        Checks.notNull("params", p);
        Checks.array("x", x, xOff, (long) p.batch() * p.in(), "input [batch][in] of " + p);
        Checks.array("dz", dz, dzOff, (long) p.batch() * p.out(), "output gradient [batch][out] of " + p);
        Checks.array("dw", dw, dwOff, (long) p.out() * p.in(), "weight gradient [out][in] of " + p);
        Checks.optionalArray("db", db, dbOff, p.out(), "bias gradient [out] of " + p);
        // dw[o][i] = sum_b dz[b][o] * x[b][i]
        for (int o = 0; o < p.out(); o++) {
            for (int i = 0; i < p.in(); i++) {
                double sum = 0.0;
                for (int bt = 0; bt < p.batch(); bt++) sum += (double) dz[dzOff + bt * p.out() + o] * x[xOff + bt * p.in() + i];
                dw[dwOff + o * p.in() + i] = (float) sum;
            }
        }
        if (db == null) return;
        // db[o] = sum_b dz[b][o]
        for (int o = 0; o < p.out(); o++) {
            double sum = 0.0;
            for (int bt = 0; bt < p.batch(); bt++) sum += dz[dzOff + bt * p.out() + o];
            db[dbOff + o] = (float) sum;
        }
    }
}
