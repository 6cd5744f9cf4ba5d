package io.github.vcnn.kernels.auto;

import io.github.vcnn.kernels.PoolChecks;
import io.github.vcnn.kernels.PoolKernels;
import io.github.vcnn.kernels.PoolParams;

import java.util.Arrays;

/**
 * Pooling over NCHW planes with PyTorch's semantics (window clipping, divisors, first maximum wins,
 * NaN propagates). Window bounds are clipped once per output row/column, so the tap loops carry no
 * bounds tests; the average backward scatters each {@code dy} over its window (O(outputs x window)).
 * Strided windows do not map onto SuperWord's contiguous lanes, so these loops are scalar by
 * nature; the global (whole-plane) reductions and fills are the vectorizable part.
 */
public final class AutoPool implements PoolKernels {

    AutoPool() {
    }

    @Override
    public void maxFwd(PoolParams p, float[] x, int xOff, float[] y, int yOff, int[] argmax, int argmaxOff) {
        PoolChecks.maxFwd(p, x, xOff, y, yOff, argmax, argmaxOff);
        int outH = p.outH(), outW = p.outW(), h = p.h(), w = p.w();
        for (int plane = 0; plane < p.n() * p.c(); plane++) {
            int xPlane = xOff + plane * h * w;
            int o = plane * outH * outW;
            for (int i = 0; i < outH; i++) {
                int h0 = i * p.strideH() - p.padTop(), h1 = Math.min(h0 + p.kh(), h);
                h0 = Math.max(h0, 0);
                for (int j = 0; j < outW; j++, o++) {
                    int w0 = j * p.strideW() - p.padLeft(), w1 = Math.min(w0 + p.kw(), w);
                    w0 = Math.max(w0, 0);
                    // padding is -inf and never wins; the first maximum (row-major) is kept
                    int at = h0 * w + w0;
                    float max = x[xPlane + at];
                    scan:
                    for (int ih = h0; ih < h1; ih++) {
                        int row = xPlane + ih * w;
                        for (int iw = w0; iw < w1; iw++) {
                            float v = x[row + iw];
                            if (v > max) {
                                max = v;
                                at = ih * w + iw;
                            } else if (v != v) { // NaN propagates, as in PyTorch
                                max = v;
                                at = ih * w + iw;
                                break scan;
                            }
                        }
                    }
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
        Arrays.fill(dx, dxOff, dxOff + p.inputSize(), 0f);
        // overlapping windows may route several outputs to one input: accumulate
        for (int plane = 0; plane < p.n() * p.c(); plane++) {
            int dxPlane = dxOff + plane * hw, io = plane * outHW;
            for (int o = 0; o < outHW; o++) dx[dxPlane + argmax[argmaxOff + io + o]] += dy[dyOff + io + o];
        }
    }

    /** PyTorch's divisor: the window clipped to the padded input, or only its taps inside the input. */
    private static int divisor(PoolParams p, int h0, int w0) {
        int h1 = Math.min(h0 + p.kh(), p.h() + p.padBottom()), w1 = Math.min(w0 + p.kw(), p.w() + p.padRight());
        if (p.countIncludePad()) return (h1 - h0) * (w1 - w0);
        return (Math.min(h1, p.h()) - Math.max(h0, 0)) * (Math.min(w1, p.w()) - Math.max(w0, 0));
    }

    @Override
    public void avgFwd(PoolParams p, float[] x, int xOff, float[] y, int yOff) {
        PoolChecks.avgFwd(p, x, xOff, y, yOff);
        int outH = p.outH(), outW = p.outW(), h = p.h(), w = p.w();
        for (int plane = 0; plane < p.n() * p.c(); plane++) {
            int xPlane = xOff + plane * h * w;
            int o = yOff + plane * outH * outW;
            for (int i = 0; i < outH; i++) {
                int top = i * p.strideH() - p.padTop();
                int h0 = Math.max(top, 0), h1 = Math.min(top + p.kh(), h);
                for (int j = 0; j < outW; j++, o++) {
                    int left = j * p.strideW() - p.padLeft();
                    int w0 = Math.max(left, 0), w1 = Math.min(left + p.kw(), w);
                    float sum = 0f;
                    for (int ih = h0; ih < h1; ih++) {
                        int row = xPlane + ih * w;
                        for (int iw = w0; iw < w1; iw++) sum += x[row + iw];
                    }
                    y[o] = sum / divisor(p, top, left);
                }
            }
        }
    }

    @Override
    public void avgBwd(PoolParams p, float[] dy, int dyOff, float[] dx, int dxOff) {
        PoolChecks.avgBwd(p, dy, dyOff, dx, dxOff);
        int outH = p.outH(), outW = p.outW(), h = p.h(), w = p.w();
        Arrays.fill(dx, dxOff, dxOff + p.inputSize(), 0f);
        // scatter form: each dy / divisor is added to every input tap of its window
        for (int plane = 0; plane < p.n() * p.c(); plane++) {
            int dxPlane = dxOff + plane * h * w;
            int o = dyOff + plane * outH * outW;
            for (int i = 0; i < outH; i++) {
                int top = i * p.strideH() - p.padTop();
                int h0 = Math.max(top, 0), h1 = Math.min(top + p.kh(), h);
                for (int j = 0; j < outW; j++, o++) {
                    int left = j * p.strideW() - p.padLeft();
                    int w0 = Math.max(left, 0), w1 = Math.min(left + p.kw(), w);
                    float share = dy[o] / divisor(p, top, left);
                    for (int ih = h0; ih < h1; ih++) {
                        int row = dxPlane + ih * w;
                        for (int iw = w0; iw < w1; iw++) dx[row + iw] += share;
                    }
                }
            }
        }
    }

    @Override
    public void globalAvgFwd(int n, int c, int hw, float[] x, int xOff, float[] y, int yOff) {
        PoolChecks.globalFwd(n, c, hw, x, xOff, y, yOff);
        for (int plane = 0; plane < n * c; plane++) {
            int base = xOff + plane * hw;
            double sum = 0.0;
            for (int i = 0; i < hw; i++) sum += x[base + i];
            y[yOff + plane] = (float) (sum / hw);
        }
    }

    @Override
    public void globalMaxFwd(int n, int c, int hw, float[] x, int xOff, float[] y, int yOff) {
        PoolChecks.globalFwd(n, c, hw, x, xOff, y, yOff);
        for (int plane = 0; plane < n * c; plane++) {
            int base = xOff + plane * hw;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < hw; i++) max = Math.max(max, x[base + i]); // a max reduction; NaN propagates
            y[yOff + plane] = max;
        }
    }

    @Override
    public void globalAvgBwd(int n, int c, int hw, float[] dy, int dyOff, float[] dx, int dxOff) {
        PoolChecks.globalBwd(n, c, hw, dy, dyOff, dx, dxOff);
        for (int plane = 0; plane < n * c; plane++) {
            float share = (float) ((double) dy[dyOff + plane] / hw);
            Arrays.fill(dx, dxOff + plane * hw, dxOff + (plane + 1) * hw, share);
        }
    }
}
