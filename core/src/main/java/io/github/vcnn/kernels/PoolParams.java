package io.github.vcnn.kernels;

/**
 * One 2-D pooling window over {@code x[N][C][H][W]} giving {@code y[N][C][outH][outW]}.
 *
 * <p>Output size as PyTorch: {@code out = floor_or_ceil((H + padTop + padBottom - kh) / strideH) + 1};
 * with {@code ceilMode} the last window may start in the right/bottom padding but must start
 * inside the input or the left/top padding (a window that would start in the right padding is dropped).
 * Max pooling treats padding as -infinity; average pooling divides by the whole window
 * ({@code countIncludePad}, clipped to the padded input) or by the valid taps only.
 *
 * <p>Sizes: the constructor computes the input and output sizes in {@code long} and rejects a shape whose tensors would
 * not fit a Java array, so {@link #inputSize()}, {@link #outputSize()}, {@link #outH()} and {@link #outW()} are exact.
 *
 * <p>Aliasing (checked by {@link PoolChecks} the same way for every variant): the kernels do not work in place. The
 * forward output {@code y} must not overlap {@code x}; the backward output {@code dx} must not overlap {@code dy}
 * (an {@link IllegalArgumentException} before anything is written). {@code argmax} is an {@code int[]} and cannot alias.
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
        if ((long) h + padTop + padBottom < kh || (long) w + padLeft + padRight < kw) {
            throw new IllegalArgumentException("window larger than padded input: " + shape);
        }
        // every size in long, checked against the largest array before anything uses it
        Checks.arrayLength("input [N][C][H][W]", Checks.product(n, c, h, w), shape);
        Checks.arrayLength("output [N][C][outH][outW]", Checks.product(n, c, outSize(h, kh, strideH, padTop, padBottom, ceilMode),
                outSize(w, kw, strideW, padLeft, padRight, ceilMode)), shape);
    }

    /** Square window, symmetric padding, floor mode, count_include_pad=false. */
    public static PoolParams of(int n, int c, int h, int w, int kernel, int stride, int pad) {
        return new PoolParams(n, c, h, w, kernel, kernel, stride, stride, pad, pad, pad, pad, false, false);
    }

    /** Computed in long; fits an int because the constructor checked the output size. */
    public int outH() {
        return (int) outSize(h, kh, strideH, padTop, padBottom, ceilMode);
    }

    public int outW() {
        return (int) outSize(w, kw, strideW, padLeft, padRight, ceilMode);
    }

    private static long outSize(int in, int k, int stride, int padBegin, int padEnd, boolean ceil) {
        long span = (long) in + padBegin + padEnd - k;
        long out = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
        if (ceil && (out - 1) * stride >= (long) in + padBegin) {
            out--; // the last window would start in the end padding
        }
        return out;
    }

    /** {@code N*C*H*W}; the constructor checked it fits an array. */
    public int inputSize() {
        return (int) ((long) n * c * h * w);
    }

    /** {@code N*C*outH*outW}; the constructor checked it fits an array. */
    public int outputSize() {
        return (int) ((long) n * c * outH() * outW());
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
