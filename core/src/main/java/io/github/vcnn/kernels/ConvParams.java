package io.github.vcnn.kernels;

/**
 * One 2-D convolution, oneDNN style: every size and option in one immutable record.
 *
 * <p>Layouts (what PyTorch and ONNX use): input {@code x[N][C][H][W]}, weights
 * {@code w[K][C/groups][R][S]}, bias {@code b[K]}, output {@code y[N][K][outH][outW]}; all dense,
 * row-major {@code float[]} starting at a caller-given offset.
 *
 * <p>The op is the cross-correlation every framework computes:
 * {@code y[n][k][i][j] = sum_{c,r,s} x[n][g*C/G + c][i*strideH + r*dilationH - padTop][j*strideW + s*dilationW - padLeft] * w[k][c][r][s]}
 * with out-of-range input taps reading zero, {@code g = k / (K/groups)}.
 * Output size (spec 2.3, with dilation and asymmetric padding):
 * {@code outH = floor((H + padTop + padBottom - dilationH*(R-1) - 1) / strideH) + 1}.
 *
 * <p>Sizes: the constructor computes the input, weight and output sizes in {@code long} and rejects a shape any of
 * whose tensors would not fit a Java array ({@link Checks#MAX_ARRAY_LENGTH}), so every size method returns an exact int.
 *
 * <p>Aliasing (checked by {@link ConvChecks} the same way for every variant): the kernels do not work in place. The
 * output of {@code fwd} ({@code y}) must not overlap {@code x} or {@code bias}; {@code bwdData}'s {@code dx} must not
 * overlap {@code dz} or {@code w}; {@code bwdWeights}' {@code dw} and {@code db} must not overlap {@code x}, {@code dz}
 * or each other. An overlap is an {@link IllegalArgumentException} before anything is written (the scalar variant
 * would otherwise read values it has already overwritten). Inputs may alias each other freely.
 */
public record ConvParams(int n, int c, int h, int w, int k, int r, int s,
                         int strideH, int strideW,
                         int padTop, int padLeft, int padBottom, int padRight,
                         int dilationH, int dilationW, int groups) {

    public ConvParams {
        String shape = describe(n, c, h, w, k, r, s, strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW, groups);
        Checks.positive("N", n, shape);
        Checks.positive("C", c, shape);
        Checks.positive("H", h, shape);
        Checks.positive("W", w, shape);
        Checks.positive("K", k, shape);
        Checks.positive("R (kernel height)", r, shape);
        Checks.positive("S (kernel width)", s, shape);
        Checks.positive("strideH", strideH, shape);
        Checks.positive("strideW", strideW, shape);
        Checks.positive("dilationH", dilationH, shape);
        Checks.positive("dilationW", dilationW, shape);
        Checks.positive("groups", groups, shape);
        Checks.nonNegative("padTop", padTop, shape);
        Checks.nonNegative("padLeft", padLeft, shape);
        Checks.nonNegative("padBottom", padBottom, shape);
        Checks.nonNegative("padRight", padRight, shape);
        if (c % groups != 0 || k % groups != 0) {
            throw new IllegalArgumentException("groups=" + groups + " must divide C=" + c + " and K=" + k + ": " + shape);
        }
        long effH = (long) h + padTop + padBottom - (long) dilationH * (r - 1) - 1;
        long effW = (long) w + padLeft + padRight - (long) dilationW * (s - 1) - 1;
        if (effH < 0 || effW < 0) {
            throw new IllegalArgumentException("kernel (dilated) larger than padded input, no output: " + shape);
        }
        // every size in long, each checked against the largest array before anything uses it
        Checks.arrayLength("input [N][C][H][W]", Checks.product(n, c, h, w), shape);
        Checks.arrayLength("weights [K][C/groups][R][S]", Checks.product(k, c / groups, r, s), shape);
        Checks.arrayLength("output [N][K][outH][outW]", Checks.product(n, k, effH / strideH + 1, effW / strideW + 1), shape);
    }

    /** Symmetric padding, no dilation, one group. */
    public static ConvParams of(int n, int c, int h, int w, int k, int r, int s, int stride, int pad) {
        return new ConvParams(n, c, h, w, k, r, s, stride, stride, pad, pad, pad, pad, 1, 1, 1);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Computed in long (the padded extent may exceed an int); fits an int because the output size does. */
    public int outH() {
        return (int) (((long) h + padTop + padBottom - (long) dilationH * (r - 1) - 1) / strideH + 1);
    }

    public int outW() {
        return (int) (((long) w + padLeft + padRight - (long) dilationW * (s - 1) - 1) / strideW + 1);
    }

    /** Input channels per group. */
    public int cg() {
        return c / groups;
    }

    /** Output channels per group. */
    public int kg() {
        return k / groups;
    }

    /** {@code N*C*H*W}; the constructor checked it fits an array. */
    public int inputSize() {
        return (int) ((long) n * c * h * w);
    }

    /** {@code K*(C/groups)*R*S}; the constructor checked it fits an array. */
    public int weightSize() {
        return (int) ((long) k * cg() * r * s);
    }

    /** {@code N*K*outH*outW}; the constructor checked it fits an array. */
    public int outputSize() {
        return (int) ((long) n * k * outH() * outW());
    }

    /** Nominal FLOPs of the forward pass: 2*N*K*(C/groups)*R*S*outH*outW (anchors.md convention). */
    public long flops() {
        return 2L * n * k * cg() * r * s * outH() * outW();
    }

    public boolean isDepthwise() {
        return groups == c && groups == k;
    }

    public ConvParams withBatch(int batch) {
        return new ConvParams(batch, c, h, w, k, r, s, strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW, groups);
    }

    @Override
    public String toString() {
        return describe(n, c, h, w, k, r, s, strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW, groups);
    }

    private static String describe(int n, int c, int h, int w, int k, int r, int s, int sh, int sw,
                                   int pt, int pl, int pb, int pr, int dh, int dw, int g) {
        return "conv[x " + n + "x" + c + "x" + h + "x" + w + ", w " + k + "x" + (g > 0 && c % g == 0 ? c / g : c) + "x" + r + "x" + s
                + ", stride " + sh + "x" + sw + ", pad t" + pt + " l" + pl + " b" + pb + " r" + pr
                + ", dilation " + dh + "x" + dw + ", groups " + g + "]";
    }

    /** Fluent construction; defaults: stride 1, pad 0, dilation 1, groups 1. */
    public static final class Builder {
        private int n = 1, c, h, w, k, r, s;
        private int strideH = 1, strideW = 1, padTop, padLeft, padBottom, padRight, dilationH = 1, dilationW = 1, groups = 1;

        public Builder input(int n, int c, int h, int w) {
            this.n = n; this.c = c; this.h = h; this.w = w;
            return this;
        }

        public Builder kernel(int k, int r, int s) {
            this.k = k; this.r = r; this.s = s;
            return this;
        }

        public Builder stride(int sh, int sw) {
            this.strideH = sh; this.strideW = sw;
            return this;
        }

        public Builder stride(int stride) {
            return stride(stride, stride);
        }

        public Builder pad(int pad) {
            return pad(pad, pad, pad, pad);
        }

        public Builder pad(int top, int left, int bottom, int right) {
            this.padTop = top; this.padLeft = left; this.padBottom = bottom; this.padRight = right;
            return this;
        }

        public Builder dilation(int dh, int dw) {
            this.dilationH = dh; this.dilationW = dw;
            return this;
        }

        public Builder groups(int groups) {
            this.groups = groups;
            return this;
        }

        public ConvParams build() {
            return new ConvParams(n, c, h, w, k, r, s, strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW, groups);
        }
    }
}
