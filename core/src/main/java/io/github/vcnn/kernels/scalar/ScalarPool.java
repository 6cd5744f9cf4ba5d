package io.github.vcnn.kernels.scalar;

import io.github.vcnn.kernels.PoolChecks;
import io.github.vcnn.kernels.PoolKernels;
import io.github.vcnn.kernels.PoolParams;

/** Reference pooling over NCHW planes, PyTorch's semantics (window clipping, divisors, first maximum wins). */
public final class ScalarPool implements PoolKernels {

    ScalarPool() {
    }

    @Override
    public void maxFwd(PoolParams p, float[] x, int xOff, float[] y, int yOff, int[] argmax, int argmaxOff) {
        PoolChecks.maxFwd(p, x, xOff, y, yOff, argmax, argmaxOff);
        int outH = p.outH(), outW = p.outW();
        for (int plane = 0; plane < p.n() * p.c(); plane++) {
            int xPlane = xOff + plane * p.h() * p.w();
            for (int i = 0; i < outH; i++) {
                // window rows clipped to the input: padding is -infinity and never wins
                int h0 = i * p.strideH() - p.padTop(), h1 = Math.min(h0 + p.kh(), p.h());
                h0 = Math.max(h0, 0);
                for (int j = 0; j < outW; j++) {
                    int w0 = j * p.strideW() - p.padLeft(), w1 = Math.min(w0 + p.kw(), p.w());
                    w0 = Math.max(w0, 0);
                    float max = Float.NEGATIVE_INFINITY;
                    int at = h0 * p.w() + w0;
                    for (int ih = h0; ih < h1; ih++) {
                        for (int iw = w0; iw < w1; iw++) {
                            float v = x[xPlane + ih * p.w() + iw];
                            if (v > max || Float.isNaN(v)) { // NaN propagates, as in PyTorch
                                max = v;
                                at = ih * p.w() + iw;
                                if (Float.isNaN(v)) break;
                            }
                        }
                        if (Float.isNaN(max)) break;
                    }
                    int o = (plane * outH + i) * outW + j;
                    y[yOff + o] = max;
                    if (argmax != null) argmax[argmaxOff + o] = at;
                }
            }
        }
    }

    @Override
    public void maxBwd(PoolParams p, float[] dy, int dyOff, int[] argmax, int argmaxOff, float[] dx, int dxOff) {
        PoolChecks.maxBwd(p, dy, dyOff, argmax, argmaxOff, dx, dxOff);
        int hw = p.h() * p.w(), outHW = p.outH() * p.outW();
        java.util.Arrays.fill(dx, dxOff, dxOff + p.inputSize(), 0f);
        // dx[plane][argmax] += dy[plane][o]: windows may overlap, so several outputs can add to one input
        for (int plane = 0; plane < p.n() * p.c(); plane++) {
            for (int o = 0; o < outHW; o++) {
                int io = plane * outHW + o;
                dx[dxOff + plane * hw + argmax[argmaxOff + io]] += dy[dyOff + io];
            }
        }
    }

    /** PyTorch's divisor: the window clipped to the padded input, or only its taps inside the input. */
    private static int divisor(PoolParams p, int i, int j) {
        int h0 = i * p.strideH() - p.padTop(), w0 = j * p.strideW() - p.padLeft();
        int h1 = Math.min(h0 + p.kh(), p.h() + p.padBottom()), w1 = Math.min(w0 + p.kw(), p.w() + p.padRight());
        if (p.countIncludePad()) return (h1 - h0) * (w1 - w0);
        return (Math.min(h1, p.h()) - Math.max(h0, 0)) * (Math.min(w1, p.w()) - Math.max(w0, 0));
    }

    @Override
    public void avgFwd(PoolParams p, float[] x, int xOff, float[] y, int yOff) {
        PoolChecks.avgFwd(p, x, xOff, y, yOff);
        int outH = p.outH(), outW = p.outW();
        for (int plane = 0; plane < p.n() * p.c(); plane++) {
            int xPlane = xOff + plane * p.h() * p.w();
            for (int i = 0; i < outH; i++) {
                int h0 = Math.max(i * p.strideH() - p.padTop(), 0), h1 = Math.min(i * p.strideH() - p.padTop() + p.kh(), p.h());
                for (int j = 0; j < outW; j++) {
                    int w0 = Math.max(j * p.strideW() - p.padLeft(), 0), w1 = Math.min(j * p.strideW() - p.padLeft() + p.kw(), p.w());
                    double sum = 0.0;
                    for (int ih = h0; ih < h1; ih++) {
                        for (int iw = w0; iw < w1; iw++) sum += x[xPlane + ih * p.w() + iw];
                    }
                    y[yOff + (plane * outH + i) * outW + j] = (float) (sum / divisor(p, i, j));
                }
            }
        }
    }

    @Override
    public void avgBwd(PoolParams p, float[] dy, int dyOff, float[] dx, int dxOff) {
        PoolChecks.avgBwd(p, dy, dyOff, dx, dxOff);
        int outH = p.outH(), outW = p.outW();
        // gather form: dx[ih][iw] = sum over the windows covering (ih, iw) of dy / divisor
        for (int plane = 0; plane < p.n() * p.c(); plane++) {
            int dyPlane = dyOff + plane * outH * outW;
            for (int ih = 0; ih < p.h(); ih++) {
                for (int iw = 0; iw < p.w(); iw++) {
                    // windows i with i*sh - pt <= ih < i*sh - pt + kh, likewise j
                    int i0 = Math.max(0, Math.ceilDiv(ih + p.padTop() - p.kh() + 1, p.strideH()));
                    int i1 = Math.min(outH - 1, Math.floorDiv(ih + p.padTop(), p.strideH()));
                    int j0 = Math.max(0, Math.ceilDiv(iw + p.padLeft() - p.kw() + 1, p.strideW()));
                    int j1 = Math.min(outW - 1, Math.floorDiv(iw + p.padLeft(), p.strideW()));
                    double sum = 0.0;
                    for (int i = i0; i <= i1; i++) {
                        for (int j = j0; j <= j1; j++) sum += (double) dy[dyPlane + i * outW + j] / divisor(p, i, j);
                    }
                    dx[dxOff + (plane * p.h() + ih) * p.w() + iw] = (float) sum;
                }
            }
        }
    }

    @Override
    public void globalAvgFwd(int n, int c, int hw, float[] x, int xOff, float[] y, int yOff) {
        PoolChecks.globalFwd(n, c, hw, x, xOff, y, yOff);
        for (int plane = 0; plane < n * c; plane++) {
            double sum = 0.0;
            for (int i = 0; i < hw; i++) sum += x[xOff + plane * hw + i];
            y[yOff + plane] = (float) (sum / hw);
        }
    }

    @Override
    public void globalMaxFwd(int n, int c, int hw, float[] x, int xOff, float[] y, int yOff) {
        PoolChecks.globalFwd(n, c, hw, x, xOff, y, yOff);
        for (int plane = 0; plane < n * c; plane++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < hw; i++) {
                float v = x[xOff + plane * hw + i];
                if (v > max || Float.isNaN(v)) max = v;
                if (Float.isNaN(max)) break;
            }
            y[yOff + plane] = max;
        }
    }

    @Override
    public void globalAvgBwd(int n, int c, int hw, float[] dy, int dyOff, float[] dx, int dxOff) {
        PoolChecks.globalBwd(n, c, hw, dy, dyOff, dx, dxOff);
        for (int plane = 0; plane < n * c; plane++) {
            float share = (float) ((double) dy[dyOff + plane] / hw);
            for (int i = 0; i < hw; i++) dx[dxOff + plane * hw + i] = share;
        }
    }
}
