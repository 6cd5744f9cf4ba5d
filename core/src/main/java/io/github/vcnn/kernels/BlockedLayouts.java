package io.github.vcnn.kernels;

/**
 * Conversions between {@link Layout#NCHW} and the channel-blocked {@link Layout#BLOCKED} ({@code nChw{L}c},
 * {@code [N][C/L][H][W][L]}), for C a multiple of L. A compiled model runs them only at the edges of the parts of a
 * graph it keeps blocked; framework authors use them to hand blocked tensors in and out.
 */
public final class BlockedLayouts {
    private BlockedLayouts() {
    }

    /**
     * {@code y (nChw{L}c) = x (NCHW)}: {@code n} images of {@code c} channels of {@code hw} pixels.
     *
     * @throws IllegalArgumentException naming the argument, before anything is written, when a size is not positive,
     *                                  {@code c} is not a multiple of {@code lanes}, an array is null or short, or
     *                                  the two regions overlap
     */
    public static void toBlocked(int n, int c, int hw, int lanes, float[] x, int xOff, float[] y, int yOff) {
        copy(true, n, c, hw, lanes, x, xOff, y, yOff);
    }

    /** {@code y (NCHW) = x (nChw{L}c)}, the inverse of {@link #toBlocked}, with the same checks. */
    public static void toNchw(int n, int c, int hw, int lanes, float[] x, int xOff, float[] y, int yOff) {
        copy(false, n, c, hw, lanes, x, xOff, y, yOff);
    }

    /** Pixel px, lane l of block cb of image i: planar index {@code base + l*hw + px}, blocked {@code base + px*L + l}. */
    private static void copy(boolean toBlocked, int n, int c, int hw, int lanes, float[] x, int xOff, float[] y, int yOff) {
        if (check(n, c, hw, lanes, x, xOff, y, yOff) == 0) return;
        int image = c * hw;
        for (int i = 0; i < n; i++) {
            for (int cb = 0; cb < c / lanes; cb++) {
                int base = i * image + cb * lanes * hw;
                for (int px = 0; px < hw; px++) {
                    for (int l = 0; l < lanes; l++) {
                        int planar = base + l * hw + px, blocked = base + px * lanes + l;
                        if (toBlocked) y[yOff + blocked] = x[xOff + planar];
                        else y[yOff + planar] = x[xOff + blocked];
                    }
                }
            }
        }
    }

    /** The checks of {@link #toBlocked} and {@link #toNchw}, for other implementations of them; returns the floats. */
    public static long check(int n, int c, int hw, int lanes, float[] x, int xOff, float[] y, int yOff) {
        Checks.nonNegative("n", n, "images");
        Checks.positive("c", c, "channels");
        Checks.positive("hw", hw, "pixels per channel");
        Checks.positive("lanes", lanes, "the channel block L of nChw{L}c");
        if (c % lanes != 0) {
            throw new IllegalArgumentException("c: " + c + " channels are not a multiple of the channel block " + lanes + " of nChw" + lanes + "c");
        }
        long len = Checks.product(n, c, hw);
        String shape = "[" + n + "][" + c + "][" + hw + "]";
        Checks.array("x", x, xOff, len, shape);
        Checks.array("y", y, yOff, len, shape);
        Checks.disjoint("y", y, yOff, len, "x", x, xOff, len, shape);
        return len;
    }

    /**
     * The checks of an activation argument in {@code layout} for a kernel set with {@code lanes} block lanes (0: none):
     * a blocked one needs a blocked kernel set and channels that are a multiple of its lanes.
     */
    public static void layout(String name, Layout layout, int channels, int lanes, String variant) {
        Checks.notNull(name, layout);
        if (layout == Layout.BLOCKED) {
            if (lanes <= 0) throw new IllegalArgumentException(name + ": the " + variant + " kernels have no channel-blocked layout (blockLanes() is 0)");
            if (channels % lanes != 0) {
                throw new IllegalArgumentException(name + ": " + channels + " channels are not a multiple of the channel block " + lanes
                        + " of nChw" + lanes + "c");
            }
        }
    }

    /** Per-thread grow-only scratch of the conversions inside a call (two slots: input and output). */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][]{new float[0], new float[0]});

    static float[] scratch(int slot, int len) {
        float[][] s = SCRATCH.get();
        if (s[slot].length < len) s[slot] = new float[len];
        return s[slot];
    }
}
