package io.github.vcnn.nn;

import io.github.vcnn.kernels.PoolParams;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What max and average pooling share: window, stride, padding, ceil mode, and shape inference. */
abstract sealed class Pool2d extends Layer permits MaxPool2d, AvgPool2d {
    final int kh, kw, strideH, strideW, padH, padW;
    final boolean ceilMode;

    Pool2d(int kh, int kw, int strideH, int strideW, int padH, int padW, boolean ceilMode) {
        this.kh = kh;
        this.kw = kw;
        this.strideH = strideH;
        this.strideW = strideW;
        this.padH = padH;
        this.padW = padW;
        this.ceilMode = ceilMode;
        params(1, 1, Math.max(kh, 1), Math.max(kw, 1)); // validates the window against the kernel's rules
    }

    abstract boolean countIncludePad();

    PoolParams params(int batch, int c, int h, int w) {
        return new PoolParams(batch, c, h, w, kh, kw, strideH, strideW, padH, padW, padH, padW, ceilMode, countIncludePad());
    }

    @Override
    public int[] outputShape(int[] in) {
        if (in.length != 3) throw shapeError(in, "[C, H, W]");
        PoolParams p;
        try {
            p = params(1, in[0], in[1], in[2]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(describe() + " cannot take input " + Arrays.toString(in) + ": " + e.getMessage(), e);
        }
        return new int[]{in[0], p.outH(), p.outW()};
    }

    @Override
    Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("type", type());
        c.put("kernel_size", List.of(kh, kw));
        c.put("stride", List.of(strideH, strideW));
        c.put("padding", List.of(padH, padW));
        c.put("ceil_mode", ceilMode);
        return c;
    }

    @Override
    String describe() {
        StringBuilder b = new StringBuilder(type()).append('(').append(kh == kw ? "" + kh : kh + "x" + kw);
        if (strideH != kh || strideW != kw) b.append(", stride ").append(strideH == strideW ? "" + strideH : strideH + "x" + strideW);
        if (padH != 0 || padW != 0) b.append(", pad ").append(padH == padW ? "" + padH : padH + "x" + padW);
        if (ceilMode) b.append(", ceil");
        return b.append(')').toString();
    }
}
