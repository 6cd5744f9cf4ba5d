package io.github.vcnn.kernels;

/**
 * The argument checks of {@link PoolKernels}, shared by every variant (same messages, argument named first,
 * nothing written before they pass). A passing call allocates nothing. Outputs must not overlap inputs (see
 * {@link PoolParams}); {@link #maxBwd} also checks every argmax index, once for all variants.
 */
public final class PoolChecks {
    private PoolChecks() {
    }

    /** argmax is optional (null: not recorded). */
    public static void maxFwd(PoolParams p, float[] x, int xOff, float[] y, int yOff, int[] argmax, int argmaxOff) {
        avgFwd(p, x, xOff, y, yOff);
        if (argmax != null) Checks.array("argmax", argmax, argmaxOff, p.outputSize(), "argmax [N][C][outH][outW]", p);
    }

    public static void maxBwd(PoolParams p, float[] dy, int dyOff, int[] argmax, int argmaxOff, float[] dx, int dxOff) {
        Checks.notNull("params", p);
        Checks.array("dy", dy, dyOff, p.outputSize(), "output gradient [N][C][outH][outW]", p);
        Checks.array("argmax", argmax, argmaxOff, p.outputSize(), "argmax [N][C][outH][outW]", p);
        Checks.array("dx", dx, dxOff, p.inputSize(), "input gradient [N][C][H][W]", p);
        Checks.disjoint("dx", dx, dxOff, p.inputSize(), "dy", dy, dyOff, p.outputSize(), p);
        argmaxInPlane(p, argmax, argmaxOff);
    }

    /**
     * Every argmax index lies in its input plane {@code [0, H*W)}: checked before dx is touched, since an index outside its
     * plane would scatter into another plane (or past the array). The one copy of this check, for all variants.
     */
    public static void argmaxInPlane(PoolParams p, int[] argmax, int argmaxOff) {
        int plane = p.h() * p.w(), total = p.outputSize();
        for (int i = 0; i < total; i++) {
            int a = argmax[argmaxOff + i];
            if (a < 0 || a >= plane) {
                throw new IllegalArgumentException("argmax[" + i + "] = " + a + " is outside the input plane [0, " + plane + ") of " + p);
            }
        }
    }

    public static void avgFwd(PoolParams p, float[] x, int xOff, float[] y, int yOff) {
        Checks.notNull("params", p);
        Checks.array("x", x, xOff, p.inputSize(), "input [N][C][H][W]", p);
        Checks.array("y", y, yOff, p.outputSize(), "output [N][C][outH][outW]", p);
        Checks.disjoint("y", y, yOff, p.outputSize(), "x", x, xOff, p.inputSize(), p);
    }

    public static void avgBwd(PoolParams p, float[] dy, int dyOff, float[] dx, int dxOff) {
        Checks.notNull("params", p);
        Checks.array("dy", dy, dyOff, p.outputSize(), "output gradient [N][C][outH][outW]", p);
        Checks.array("dx", dx, dxOff, p.inputSize(), "input gradient [N][C][H][W]", p);
        Checks.disjoint("dx", dx, dxOff, p.inputSize(), "dy", dy, dyOff, p.outputSize(), p);
    }

    /** globalAvgFwd / globalMaxFwd: x [n][c][hw] to y [n][c]. */
    public static void globalFwd(int n, int c, int hw, float[] x, int xOff, float[] y, int yOff) {
        global(n, c, hw, "x", x, xOff, (long) n * c * hw, "y", y, yOff, (long) n * c);
    }

    /** globalAvgBwd: dy [n][c] to dx [n][c][hw]. */
    public static void globalBwd(int n, int c, int hw, float[] dy, int dyOff, float[] dx, int dxOff) {
        global(n, c, hw, "dy", dy, dyOff, (long) n * c, "dx", dx, dxOff, (long) n * c * hw);
    }

    private static void global(int n, int c, int hw, String inName, float[] in, int inOff, long inLen,
                               String outName, float[] out, int outOff, long outLen) {
        // the size bound leaves int indices room for a vector's overhang past the last element
        if (n > 0 && c > 0 && hw > 0 && (long) n * c * hw <= Checks.MAX_ARRAY_LENGTH
                && Checks.fits(in, inOff, inLen) && Checks.fits(out, outOff, outLen)
                && (in != out || inOff + inLen <= outOff || outOff + outLen <= inOff)) {
            return;
        }
        String shape = "global pool [N " + n + "][C " + c + "][H*W " + hw + "]";
        Checks.positive("n", n, shape);
        Checks.positive("c", c, shape);
        Checks.positive("hw", hw, shape);
        Checks.arrayLength("n*c*hw", (long) n * c * hw, shape);
        Checks.array(inName, in, inOff, inLen, shape);
        Checks.array(outName, out, outOff, outLen, shape);
        Checks.disjoint(outName, out, outOff, outLen, inName, in, inOff, inLen, shape);
    }
}
