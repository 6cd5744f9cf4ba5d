package io.github.vcnn.graph;

/**
 * Window arithmetic shared by shape inference and lowering: ONNX {@code auto_pad} resolution and output sizes of
 * convolution and pooling. A rank-3 input ({@code [N, C, W]}) is a rank-4 one with height 1.
 */
final class Geometry {
    private Geometry() {
    }

    /** {height, width} of a rank-3 or rank-4 shape. */
    static int[] spatial(int[] shape) {
        return shape.length == 3 ? new int[]{1, shape[2]} : new int[]{shape[2], shape[3]};
    }

    /**
     * The padding {top, left, bottom, right} for an input of {@code h x w}: the explicit pads, or what
     * SAME_UPPER/SAME_LOWER/VALID ask for (SAME: output = ceil(input / stride), the odd pixel at the end for UPPER).
     */
    static int[] pads(Op.AutoPad autoPad, int[] explicit, int h, int w, int[] kernel, int[] strides, int[] dilations) {
        return switch (autoPad) {
            case NOTSET -> explicit.clone();
            case VALID -> new int[4];
            case SAME_UPPER, SAME_LOWER -> {
                int[] p = new int[4];
                int[] in = {h, w};
                for (int i = 0; i < 2; i++) {
                    int out = (in[i] + strides[i] - 1) / strides[i];
                    int total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - in[i]);
                    int small = total / 2;
                    int begin = autoPad == Op.AutoPad.SAME_UPPER ? small : total - small;
                    p[i] = begin;
                    p[i + 2] = total - begin;
                }
                yield p;
            }
        };
    }

    /** Convolution output size along one dimension; below 1 means the window does not fit. */
    static int convOut(int in, int padBegin, int padEnd, int kernel, int stride, int dilation) {
        int span = in + padBegin + padEnd - ((kernel - 1) * dilation + 1);
        return span < 0 ? 0 : span / stride + 1;
    }

    /**
     * Pooling output size along one dimension, PyTorch's rule (the one {@code PoolParams} implements): with
     * {@code ceil} the last window may overhang the end but must start inside the input or the begin padding.
     */
    static int poolOut(int in, int padBegin, int padEnd, int kernel, int stride, int dilation, boolean ceil) {
        int span = in + padBegin + padEnd - ((kernel - 1) * dilation + 1);
        if (span < 0) return 0;
        int out = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
        if (ceil && (out - 1) * stride >= in + padBegin) out--;
        return out;
    }
}
