package io.github.vcnn.kernels.scalar;

import io.github.vcnn.kernels.ConvChecks;
import io.github.vcnn.kernels.ConvKernels;
import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.PackAccess;
import io.github.vcnn.kernels.PackedConvWeights;

/**
 * Reference 2-D convolution (cross-correlation), NCHW, weights {@code [K][C/G][R][S]}.
 * Packing is a plain copy (block 1). Sums are accumulated in double.
 */
public final class ScalarConv implements ConvKernels {
    /** Builds and reads the packs (only the library's kernels can). */
    private static final PackAccess KEY = PackAccess.grant();

    ScalarConv() {
    }

    @Override
    public PackedConvWeights pack(ConvParams p, float[] w, int wOff) {
        ConvChecks.pack(p, w, wOff);
        float[] copy = new float[p.weightSize()];
        System.arraycopy(w, wOff, copy, 0, copy.length);
        return new PackedConvWeights(KEY, ScalarKernels.NAME, p, copy, 1);
    }

    @Override
    public void repack(ConvParams p, float[] w, int wOff, PackedConvWeights into) {
        ConvChecks.repack(ScalarKernels.NAME, p, w, wOff, into, p.weightSize());
        System.arraycopy(w, wOff, into.data(KEY), 0, p.weightSize());
    }

    @Override
    public void fwd(ConvParams p, float[] x, int xOff, PackedConvWeights packed, float[] bias, int biasOff, Epilogue act, float[] y, int yOff) {
        ConvChecks.fwd(ScalarKernels.NAME, p, x, xOff, packed, bias, biasOff, act, y, yOff);
        float[] w = packed.data(KEY);
        int outH = p.outH(), outW = p.outW(), cg = p.cg(), kg = p.kg();
        int rs = p.r() * p.s();
        // y[n][k][i][j] = act(b[k] + sum_{c,r,s} x[n][g*cg+c][i*sh + r*dh - pt][j*sw + s*dw - pl] * w[k][c][r][s])
        for (int n = 0; n < p.n(); n++) {
            for (int k = 0; k < p.k(); k++) {
                int firstChannel = (k / kg) * cg;
                for (int i = 0; i < outH; i++) {
                    for (int j = 0; j < outW; j++) {
                        double sum = bias == null ? 0.0 : bias[biasOff + k];
                        for (int c = 0; c < cg; c++) {
                            int xPlane = xOff + ((n * p.c() + firstChannel + c) * p.h()) * p.w();
                            int wBase = (k * cg + c) * rs;
                            for (int r = 0; r < p.r(); r++) {
                                int ih = i * p.strideH() + r * p.dilationH() - p.padTop();
                                if (ih < 0 || ih >= p.h()) continue; // zero padding
                                for (int s = 0; s < p.s(); s++) {
                                    int iw = j * p.strideW() + s * p.dilationW() - p.padLeft();
                                    if (iw < 0 || iw >= p.w()) continue;
                                    sum += (double) x[xPlane + ih * p.w() + iw] * w[wBase + r * p.s() + s];
                                }
                            }
                        }
                        y[yOff + ((n * p.k() + k) * outH + i) * outW + j] = act.apply((float) sum);
                    }
                }
            }
        }
    }

    @Override
    public void bwdData(ConvParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff) {
        ConvChecks.bwdData(p, dz, dzOff, w, wOff, dx, dxOff);
        int outH = p.outH(), outW = p.outW(), cg = p.cg(), kg = p.kg();
        int rs = p.r() * p.s();
        // dx[n][c][ih][iw] = sum over the (k, r, s) whose tap lands on (ih, iw):
        //   i = (ih + pt - r*dh) / sh and j = (iw + pl - s*dw) / sw, both exact and in range;
        // that is the full convolution of dz with the 180-degree-rotated kernel (strided, dilated).
        for (int n = 0; n < p.n(); n++) {
            for (int c = 0; c < p.c(); c++) {
                int group = c / cg, cInGroup = c % cg;
                for (int ih = 0; ih < p.h(); ih++) {
                    for (int iw = 0; iw < p.w(); iw++) {
                        double sum = 0.0;
                        for (int k = group * kg; k < (group + 1) * kg; k++) {
                            int dzPlane = dzOff + (n * p.k() + k) * outH * outW;
                            int wBase = wOff + (k * cg + cInGroup) * rs;
                            for (int r = 0; r < p.r(); r++) {
                                int ti = ih + p.padTop() - r * p.dilationH();
                                if (ti < 0 || ti % p.strideH() != 0) continue;
                                int i = ti / p.strideH();
                                if (i >= outH) continue;
                                for (int s = 0; s < p.s(); s++) {
                                    int tj = iw + p.padLeft() - s * p.dilationW();
                                    if (tj < 0 || tj % p.strideW() != 0) continue;
                                    int j = tj / p.strideW();
                                    if (j >= outW) continue;
                                    sum += (double) dz[dzPlane + i * outW + j] * w[wBase + r * p.s() + s];
                                }
                            }
                        }
                        dx[dxOff + ((n * p.c() + c) * p.h() + ih) * p.w() + iw] = (float) sum;
                    }
                }
            }
        }
    }

    @Override
    public void bwdWeights(ConvParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff, float[] db, int dbOff) {
        ConvChecks.bwdWeights(p, x, xOff, dz, dzOff, dw, dwOff, db, dbOff);
        int outH = p.outH(), outW = p.outW(), cg = p.cg(), kg = p.kg();
        // dw[k][c][r][s] = sum_{n,i,j} dz[n][k][i][j] * x[n][g*cg+c][i*sh + r*dh - pt][j*sw + s*dw - pl]
        for (int k = 0; k < p.k(); k++) {
            int firstChannel = (k / kg) * cg;
            for (int c = 0; c < cg; c++) {
                for (int r = 0; r < p.r(); r++) {
                    for (int s = 0; s < p.s(); s++) {
                        double sum = 0.0;
                        for (int n = 0; n < p.n(); n++) {
                            int xPlane = xOff + ((n * p.c() + firstChannel + c) * p.h()) * p.w();
                            int dzPlane = dzOff + (n * p.k() + k) * outH * outW;
                            for (int i = 0; i < outH; i++) {
                                int ih = i * p.strideH() + r * p.dilationH() - p.padTop();
                                if (ih < 0 || ih >= p.h()) continue;
                                for (int j = 0; j < outW; j++) {
                                    int iw = j * p.strideW() + s * p.dilationW() - p.padLeft();
                                    if (iw < 0 || iw >= p.w()) continue;
                                    sum += (double) dz[dzPlane + i * outW + j] * x[xPlane + ih * p.w() + iw];
                                }
                            }
                        }
                        dw[dwOff + ((k * cg + c) * p.r() + r) * p.s() + s] = (float) sum;
                    }
                }
            }
        }
        if (db == null) return;
        // db[k] = sum_{n,i,j} dz[n][k][i][j]
        for (int k = 0; k < p.k(); k++) {
            double sum = 0.0;
            for (int n = 0; n < p.n(); n++) {
                int dzPlane = dzOff + (n * p.k() + k) * outH * outW;
                for (int ij = 0; ij < outH * outW; ij++) sum += dz[dzPlane + ij];
            }
            db[dbOff + k] = (float) sum;
        }
    }
}
