package io.github.vcnn.kernels.scalar;

import io.github.vcnn.kernels.DenseChecks;
import io.github.vcnn.kernels.DenseKernels;
import io.github.vcnn.kernels.DenseParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.PackAccess;
import io.github.vcnn.kernels.PackedDenseWeights;

/** Reference SGEMM and fully connected layer, row-major, sums in double. */
public final class ScalarDense implements DenseKernels {
    /** Builds and reads the packs (only the library's kernels can). */
    private static final PackAccess KEY = PackAccess.grant();

    ScalarDense() {
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        DenseChecks.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
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

    /** Packing is a plain copy: the reference reads {@code W[out][in]} as it is. */
    @Override
    public PackedDenseWeights pack(DenseParams p, float[] w, int wOff) {
        DenseChecks.pack(p, w, wOff);
        float[] copy = new float[p.out() * p.in()];
        System.arraycopy(w, wOff, copy, 0, copy.length);
        return new PackedDenseWeights(KEY, ScalarKernels.NAME, p, "[out][in]", 1, copy);
    }

    @Override
    public void repack(DenseParams p, float[] w, int wOff, PackedDenseWeights into) {
        DenseChecks.repack(ScalarKernels.NAME, p, w, wOff, into, (long) p.out() * p.in());
        System.arraycopy(w, wOff, into.data(KEY), 0, p.out() * p.in());
    }

    @Override
    public void fwd(DenseParams p, float[] x, int xOff, PackedDenseWeights packed, float[] bias, int biasOff, Epilogue act, float[] y, int yOff) {
        DenseChecks.fwd(ScalarKernels.NAME, p, x, xOff, packed, bias, biasOff, act, y, yOff);
        float[] w = packed.data(KEY);
        // y[b][o] = act(bias[o] + sum_i x[b][i] * w[o][i])
        for (int bt = 0; bt < p.batch(); bt++) {
            for (int o = 0; o < p.out(); o++) {
                double sum = bias == null ? 0.0 : bias[biasOff + o];
                for (int i = 0; i < p.in(); i++) sum += (double) x[xOff + bt * p.in() + i] * w[o * p.in() + i];
                y[yOff + bt * p.out() + o] = act.apply((float) sum);
            }
        }
    }

    @Override
    public void bwdData(DenseParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff) {
        DenseChecks.bwdData(p, dz, dzOff, w, wOff, dx, dxOff);
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
        DenseChecks.bwdWeights(p, x, xOff, dz, dzOff, dw, dwOff, db, dbOff);
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
