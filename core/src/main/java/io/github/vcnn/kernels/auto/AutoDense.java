package io.github.vcnn.kernels.auto;

import io.github.vcnn.kernels.DenseChecks;
import io.github.vcnn.kernels.DenseKernels;
import io.github.vcnn.kernels.DenseParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.PackAccess;
import io.github.vcnn.kernels.PackedDenseWeights;

/**
 * Blocked SGEMM whose inner loop is an axpy over a row of {@code op(B)}:
 * {@code Cacc[i][j] += op(A)[i][p] * Bs[p][j]}. Per block of columns ({@link #NC}) and of the
 * reduction ({@link #KC}) the rows of {@code op(B)} are staged into per-thread rows indexed from 0
 * (transposed on the way when {@code transB}), the C block accumulates in per-thread rows, and
 * {@link AutoGemm#accumulate} runs the 4x3 register block over them. alpha, beta and C are applied
 * once when the block is written back. The dense layer is three calls of it; its forward reads
 * {@code W^T} packed once by {@link #pack}.
 */
public final class AutoDense implements DenseKernels {
    /** Builds and reads the packs (only the library's kernels can). */
    private static final PackAccess KEY = PackAccess.grant();

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

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        DenseChecks.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
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

    /**
     * Packs {@code W^T [in][out]}: the forward's op(B) is then staged row by row with array copies instead of
     * being transposed on every call.
     */
    @Override
    public PackedDenseWeights pack(DenseParams p, float[] w, int wOff) {
        DenseChecks.pack(p, w, wOff);
        float[] wt = new float[p.in() * p.out()];
        transpose(p, w, wOff, wt);
        return new PackedDenseWeights(KEY, AutoKernels.NAME, p, "[in][out] (W^T)", 1, wt);
    }

    @Override
    public void repack(DenseParams p, float[] w, int wOff, PackedDenseWeights into) {
        DenseChecks.repack(AutoKernels.NAME, p, w, wOff, into, (long) p.in() * p.out());
        transpose(p, w, wOff, into.data(KEY));
    }

    /** wt[i][o] = w[o][i]. */
    private static void transpose(DenseParams p, float[] w, int wOff, float[] wt) {
        int in = p.in(), out = p.out();
        for (int o = 0; o < out; o++) {
            int src = wOff + o * in;
            for (int i = 0; i < in; i++) wt[i * out + o] = w[src + i];
        }
    }

    @Override
    public void fwd(DenseParams p, float[] x, int xOff, PackedDenseWeights packed, float[] bias, int biasOff, Epilogue act, float[] y, int yOff) {
        DenseChecks.fwd(AutoKernels.NAME, p, x, xOff, packed, bias, biasOff, act, y, yOff);
        // y[batch][out] = x[batch][in] * Wt[in][out], then bias and activation row by row
        gemm(false, false, p.batch(), p.out(), p.in(), 1f, x, xOff, p.in(), packed.data(KEY), 0, p.out(), 0f, y, yOff, p.out());
        int out = p.out();
        for (int bt = 0; bt < p.batch(); bt++) {
            int row = yOff + bt * out;
            if (bias != null) for (int o = 0; o < out; o++) y[row + o] += bias[biasOff + o];
            AutoActivation.applyInPlace(act, y, row, out);
        }
    }

    @Override
    public void bwdData(DenseParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff) {
        DenseChecks.bwdData(p, dz, dzOff, w, wOff, dx, dxOff);
        // dx[batch][in] = dz[batch][out] * W[out][in]
        gemm(false, false, p.batch(), p.in(), p.out(), 1f, dz, dzOff, p.out(), w, wOff, p.in(), 0f, dx, dxOff, p.in());
    }

    @Override
    public void bwdWeights(DenseParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff, float[] db, int dbOff) {
        DenseChecks.bwdWeights(p, x, xOff, dz, dzOff, dw, dwOff, db, dbOff);
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
