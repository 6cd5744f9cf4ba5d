package io.github.vcnn.kernels.auto;

import io.github.vcnn.kernels.Checks;
import io.github.vcnn.kernels.DenseKernels;
import io.github.vcnn.kernels.DenseParams;
import io.github.vcnn.kernels.Epilogue;

/**
 * Blocked SGEMM whose inner loop is an axpy over a row of {@code op(B)}:
 * {@code Cacc[i][j] += op(A)[i][p] * Bs[p][j]}. Per block of columns ({@link #NC}) and of the
 * reduction ({@link #KC}) the rows of {@code op(B)} are staged into per-thread rows indexed from 0
 * (transposed on the way when {@code transB}), the C block accumulates in per-thread rows, and
 * {@link AutoGemm#accumulate} runs the 4x3 register block over them. alpha, beta and C are applied
 * once when the block is written back. The dense layer is three calls of it.
 */
public final class AutoDense implements DenseKernels {
    /** Columns of C per block: a 4-row accumulator block of this width stays in L1. */
    static final int NC = 512;
    /** Reduction rows of op(B) staged per block (KC x NC floats = 512 KiB, L2). */
    static final int KC = 256;
    /** Rows of C accumulated per block. */
    static final int MC = 128;

    private static final class Scratch {
        float[][] bs;
        float[][] cs;
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    AutoDense() {
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
        matrix("a", a, aOff, transA ? k : m, transA ? m : k, lda, shape);
        matrix("b", b, bOff, transB ? n : k, transB ? k : n, ldb, shape);
        matrix("c", c, cOff, m, n, ldc, shape);
        gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /** The unchecked SGEMM (callers validated). */
    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float beta, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) return;
        Scratch s = SCRATCH.get();
        boolean product = alpha != 0f && k > 0; // as BLAS: alpha == 0 reads neither A nor B
        // op(A)[i][p] = a[aOff + i*cRow + p*cCol]
        int cRow = transA ? 1 : lda, cCol = transA ? lda : 1;
        for (int i0 = 0; i0 < m; i0 += MC) {
            int mb = Math.min(MC, m - i0);
            for (int j0 = 0; j0 < n; j0 += NC) {
                int nb = Math.min(NC, n - j0);
                s.cs = AutoGemm.rows(s.cs, MC, NC);
                float[][] cs = s.cs;
                for (int i = 0; i < mb; i++) java.util.Arrays.fill(cs[i], 0, nb, 0f);
                if (product) {
                    for (int p0 = 0; p0 < k; p0 += KC) {
                        int kb = Math.min(KC, k - p0);
                        s.bs = AutoGemm.rows(s.bs, KC, NC);
                        float[][] bs = s.bs;
                        // Bs[p][j] = op(B)[p0 + p][j0 + j]
                        if (!transB) {
                            for (int p = 0; p < kb; p++) System.arraycopy(b, bOff + (p0 + p) * ldb + j0, bs[p], 0, nb);
                        } else {
                            for (int j = 0; j < nb; j++) {
                                int src = bOff + (j0 + j) * ldb + p0;
                                for (int p = 0; p < kb; p++) bs[p][j] = b[src + p];
                            }
                        }
                        AutoGemm.accumulate(cs, 0, mb, bs, 0, kb, a, aOff + i0 * cRow + p0 * cCol, cRow, cCol, nb);
                    }
                }
                // C = alpha * acc + beta * C (beta == 0: C is write-only, NaN in C does not survive)
                for (int i = 0; i < mb; i++) {
                    float[] row = cs[i];
                    int at = cOff + (i0 + i) * ldc + j0;
                    if (beta == 0f) {
                        if (alpha != 1f) for (int j = 0; j < nb; j++) row[j] *= alpha;
                        System.arraycopy(row, 0, c, at, nb);
                    } else {
                        for (int j = 0; j < nb; j++) c[at + j] = alpha * row[j] + beta * c[at + j];
                    }
                }
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
        // y[batch][out] = x[batch][in] * W[out][in]^T, then bias and activation row by row
        gemm(false, true, p.batch(), p.out(), p.in(), 1f, x, xOff, p.in(), w, wOff, p.in(), 0f, y, yOff, p.out());
        int out = p.out();
        for (int bt = 0; bt < p.batch(); bt++) {
            int row = yOff + bt * out;
            if (bias != null) for (int o = 0; o < out; o++) y[row + o] += bias[biasOff + o];
            AutoActivation.applyInPlace(act, y, row, out);
        }
    }

    @Override
    public void bwdData(DenseParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff) {
        Checks.notNull("params", p);
        Checks.array("dz", dz, dzOff, (long) p.batch() * p.out(), "output gradient [batch][out] of " + p);
        Checks.array("w", w, wOff, (long) p.out() * p.in(), "weights [out][in] of " + p);
        Checks.array("dx", dx, dxOff, (long) p.batch() * p.in(), "input gradient [batch][in] of " + p);
        // dx[batch][in] = dz[batch][out] * W[out][in]
        gemm(false, false, p.batch(), p.in(), p.out(), 1f, dz, dzOff, p.out(), w, wOff, p.in(), 0f, dx, dxOff, p.in());
    }

    @Override
    public void bwdWeights(DenseParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff, float[] db, int dbOff) {
        Checks.notNull("params", p);
        Checks.array("x", x, xOff, (long) p.batch() * p.in(), "input [batch][in] of " + p);
        Checks.array("dz", dz, dzOff, (long) p.batch() * p.out(), "output gradient [batch][out] of " + p);
        Checks.array("dw", dw, dwOff, (long) p.out() * p.in(), "weight gradient [out][in] of " + p);
        Checks.optionalArray("db", db, dbOff, p.out(), "bias gradient [out] of " + p);
        // dW[out][in] = dz[batch][out]^T * x[batch][in]
        gemm(true, false, p.out(), p.in(), p.batch(), 1f, dz, dzOff, p.out(), x, xOff, p.in(), 0f, dw, dwOff, p.in());
        if (db == null) return;
        // db[o] = sum_b dz[b][o]
        for (int o = 0; o < p.out(); o++) {
            double sum = 0.0;
            for (int bt = 0; bt < p.batch(); bt++) sum += dz[dzOff + bt * p.out() + o];
            db[dbOff + o] = (float) sum;
        }
    }
}
