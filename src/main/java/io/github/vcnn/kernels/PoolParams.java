package io.github.vcnn.kernels;

/**
 * One 2-D pooling window over {@code x[N][C][H][W]} giving {@code y[N][C][outH][outW]}.
 *
 * <p>Output size as PyTorch: {@code out = floor_or_ceil((H + padTop + padBottom - kh) / strideH) + 1};
 * with {@code ceilMode} the last window may start in the right/bottom padding but must start
 * inside the input or the left/top padding (a window that would start in the right padding is dropped).
 * Max pooling treats padding as -infinity; average pooling divides by the whole window
 * ({@code countIncludePad}, clipped to the padded input) or by the valid taps only.
 */
public record PoolParams(int n, int c, int h, int w, int kh, int kw,
                         int strideH, int strideW,
                         int padTop, int padLeft, int padBottom, int padRight,
                         boolean ceilMode, boolean countIncludePad) {

    public PoolParams {
        String shape = describe(n, c, h, w, kh, kw, strideH, strideW, padTop, padLeft, padBottom, padRight, ceilMode, countIncludePad);
        Checks.positive("N", n, shape);
        Checks.positive("C", c, shape);
        Checks.positive("H", h, shape);
        Checks.positive("W", w, shape);
        Checks.positive("kernel height", kh, shape);
        Checks.positive("kernel width", kw, shape);
        Checks.positive("strideH", strideH, shape);
        Checks.positive("strideW", strideW, shape);
        Checks.nonNegative("padTop", padTop, shape);
        Checks.nonNegative("padLeft", padLeft, shape);
        Checks.nonNegative("padBottom", padBottom, shape);
        Checks.nonNegative("padRight", padRight, shape);
        if (padTop >= kh || padBottom >= kh || padLeft >= kw || padRight >= kw) {
            // Same rule as PyTorch/oneDNN: a window made only of padding has no value.
            throw new IllegalArgumentException("padding must be smaller than the window: " + shape);
        }
        if (h + padTop + padBottom < kh || w + padLeft + padRight < kw) {
            throw new IllegalArgumentException("window larger than padded input: " + shape);
        }
        if ((long) n * c * h * w > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("tensor too large for a Java array: " + shape);
        }
    }

    /** Square window, symmetric padding, floor mode, count_include_pad=false. */
    public static PoolParams of(int n, int c, int h, int w, int kernel, int stride, int pad) {
        return new PoolParams(n, c, h, w, kernel, kernel, stride, stride, pad, pad, pad, pad, false, false);
    }

    public int outH() {
        return outSize(h, kh, strideH, padTop, padBottom, ceilMode);
    }

    public int outW() {
        return outSize(w, kw, strideW, padLeft, padRight, ceilMode);
    }

    private static int outSize(int in, int k, int stride, int padBegin, int padEnd, boolean ceil) {
        int span = in + padBegin + padEnd - k;
        int out = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
        if (ceil && (out - 1) * stride >= in + padBegin) {
            out--; // the last window would start in the end padding
        }
        return out;
    }

    public int inputSize() {
        return n * c * h * w;
    }

    public int outputSize() {
        return n * c * outH() * outW();
    }

    @Override
    public String toString() {
        return describe(n, c, h, w, kh, kw, strideH, strideW, padTop, padLeft, padBottom, padRight, ceilMode, countIncludePad);
    }

    private static String describe(int n, int c, int h, int w, int kh, int kw, int sh, int sw,
                                   int pt, int pl, int pb, int pr, boolean ceil, boolean incl) {
        return "pool[x " + n + "x" + c + "x" + h + "x" + w + ", window " + kh + "x" + kw + ", stride " + sh + "x" + sw
                + ", pad t" + pt + " l" + pl + " b" + pb + " r" + pr + (ceil ? ", ceil" : "") + (incl ? ", count_include_pad" : "") + "]";
    }
}
