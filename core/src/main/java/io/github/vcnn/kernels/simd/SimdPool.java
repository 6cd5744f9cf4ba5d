package io.github.vcnn.kernels.simd;

import io.github.vcnn.kernels.PoolChecks;
import io.github.vcnn.kernels.PoolKernels;
import io.github.vcnn.kernels.PoolParams;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Pooling over NCHW planes, vectorized along the output width.
 *
 * <ul>
 *   <li>max 2x2 stride 2 (LeNet, VGG; with or without argmax) and avg 3x3 stride 2 pad 1: each input row pair/triple
 *   is loaded as whole vectors, reduced vertically, then split into even and odd columns with a two-table
 *   permute ({@code selectFrom}, one {@code vpermi2ps}), so one output vector costs a handful of instructions;
 *   border windows (padding, ceil mode) go through the scalar per-window code.</li>
 *   <li>everything else: separable: the window's rows are reduced into a padded row buffer (padding filled with
 *   -inf or 0), then the columns of each window are reduced with vector loads (stride 1 and 2) or per element.</li>
 *   <li>max with argmax in other shapes, and the backward passes: per window, scalar.</li>
 * </ul>
 * Ties and NaN in max pooling follow PyTorch: the first maximum in row-major window order wins, NaN wins.
 */
final class SimdPool implements PoolKernels {
    private static final VectorSpecies<Float> F = SimdMath.F;
    private static final VectorSpecies<Integer> I = SimdMath.I;
    private static final int VL = SimdMath.VL;

    /** selectFrom indices over the two-vector table (lo | hi): the even and the odd positions. */
    private static final float[] EVEN = new float[VL];
    private static final float[] ODD = new float[VL];
    /** selectFrom indices over (prev | cur): the lane before each lane (prev's last lane, then cur[0..VL-2]). */
    private static final float[] PREVIOUS = new float[VL];

    static {
        for (int j = 0; j < VL; j++) {
            EVEN[j] = 2 * j;
            ODD[j] = 2 * j + 1;
            PREVIOUS[j] = VL - 1 + j;
        }
    }

    /** Per-thread row buffer and per-column divisors of the separable path. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][]{new float[0], new float[0]});

    // ---------------------------------------------------------------------------------------------------------------
    // max pooling

    @Override
    public void maxFwd(PoolParams p, float[] x, int xOff, float[] y, int yOff, int[] argmax, int argmaxOff) {
        PoolChecks.maxFwd(p, x, xOff, y, yOff, argmax, argmaxOff);
        int planes = p.n() * p.c();
        int inPlane = p.h() * p.w(), outPlane = p.outH() * p.outW();
        boolean twoByTwo = p.kh() == 2 && p.kw() == 2 && p.strideH() == 2 && p.strideW() == 2
                && p.padTop() == 0 && p.padLeft() == 0 && p.padBottom() == 0 && p.padRight() == 0;
        if (twoByTwo) {
            for (int pl = 0; pl < planes; pl++) {
                max2x2s2(p, x, xOff + pl * inPlane, y, yOff + pl * outPlane, argmax, argmaxOff + pl * outPlane,
                        yOff + p.outputSize(), argmaxOff + p.outputSize());
            }
        } else if (argmax == null) {
            float[] row = rowBuffer(p, Float.NEGATIVE_INFINITY);
            for (int pl = 0; pl < planes; pl++) {
                separable(p, true, x, xOff + pl * inPlane, y, yOff + pl * outPlane, row, null, yOff + p.outputSize());
            }
        } else {
            for (int pl = 0; pl < planes; pl++) {
                int xp = xOff + pl * inPlane, yp = yOff + pl * outPlane, ap = argmaxOff + pl * outPlane;
                for (int oh = 0; oh < p.outH(); oh++) {
                    for (int ow = 0; ow < p.outW(); ow++) maxWindow(p, x, xp, oh, ow, y, yp, argmax, ap);
                }
            }
        }
    }

    /** One max window, scalar, as PyTorch: start at -inf, take v when v > best or v is NaN. */
    private static void maxWindow(PoolParams p, float[] x, int xPlane, int oh, int ow, float[] y, int yPlane, int[] argmax, int aPlane) {
        int h0 = oh * p.strideH() - p.padTop(), w0 = ow * p.strideW() - p.padLeft();
        int h1 = Math.min(h0 + p.kh(), p.h()), w1 = Math.min(w0 + p.kw(), p.w());
        h0 = Math.max(h0, 0);
        w0 = Math.max(w0, 0);
        float best = Float.NEGATIVE_INFINITY;
        int bestIdx = h0 * p.w() + w0;
        for (int ih = h0; ih < h1; ih++) {
            for (int iw = w0; iw < w1; iw++) {
                float v = x[xPlane + ih * p.w() + iw];
                if (v > best || Float.isNaN(v)) {
                    best = v;
                    bestIdx = ih * p.w() + iw;
                }
            }
        }
        int o = oh * p.outW() + ow;
        y[yPlane + o] = best;
        if (argmax != null) argmax[aPlane + o] = bestIdx;
    }

    /**
     * 2x2 stride 2, no padding, one plane. Full windows: per output row, two vectors from each of the two input rows,
     * vertical max, then even/odd columns by permute and their max (with argmax: a first-wins compare chain over the four
     * candidates in window order). A ceil-mode partial last column/row goes through {@link #maxWindow}.
     */
    private static void max2x2s2(PoolParams p, float[] x, int xp, float[] y, int yp, int[] argmax, int ap, int yEnd, int aEnd) {
        int w = p.w(), outW = p.outW(), outH = p.outH();
        int fullW = w / 2, fullH = p.h() / 2; // windows that lie inside the input
        for (int oh = 0; oh < fullH; oh++) {
            int r0 = xp + 2 * oh * w;
            if (argmax == null) max2x2Row(x, r0, r0 + w, y, yp + oh * outW, fullW, yEnd);
            else max2x2RowArgmax(x, r0, w, 2 * oh * w, y, yp + oh * outW, argmax, ap + oh * outW, fullW, Math.min(yEnd - yp, aEnd - ap) + yp);
            for (int ow = fullW; ow < outW; ow++) maxWindow(p, x, xp, oh, ow, y, yp, argmax, ap);
        }
        for (int oh = fullH; oh < outH; oh++) {
            for (int ow = 0; ow < outW; ow++) maxWindow(p, x, xp, oh, ow, y, yp, argmax, ap);
        }
    }

    // The row kernels are separate small methods: one big method with all vector paths exhausts C1's registers,
    // its tier-3 compile fails and C2 never sees it (vectors then stay boxed objects).
    //
    // Spilling instead of masking: a row's last vector may be stored whole when it stays inside the output tensor
    // (yEnd): the extra lanes land on outputs written later (the rest of the row, the next rows and planes are
    // computed in increasing order), and its loads may run past the row while inside the array. Masked stores are
    // slow on this CPU, and small planes (LeNet's 28x28, 14x14) are all tail.

    /** y[yr + ow] = max of x[r0|r1][2ow, 2ow+1] for ow in [0, outs). */
    private static void max2x2Row(float[] x, int r0, int r1, float[] y, int yr, int outs, int yEnd) {
        FloatVector even = FloatVector.fromArray(F, EVEN, 0), odd = FloatVector.fromArray(F, ODD, 0);
        int ow = 0;
        int vecEnd = Math.min(outs, Math.min(yEnd - yr - VL, (x.length - r1) / 2 - VL) + 1); // last start that stays in bounds
        for (; ow < vecEnd; ow += VL) {
            int c = 2 * ow;
            FloatVector lo = FloatVector.fromArray(F, x, r0 + c).max(FloatVector.fromArray(F, x, r1 + c));
            FloatVector hi = FloatVector.fromArray(F, x, r0 + c + VL).max(FloatVector.fromArray(F, x, r1 + c + VL));
            even.selectFrom(lo, hi).max(odd.selectFrom(lo, hi)).intoArray(y, yr + ow);
        }
        // the row's last, partial vector (only at the tensor's end): scalar, so that no tier ever boxes a vector here
        for (; ow < outs; ow++) {
            int c = 2 * ow;
            y[yr + ow] = Math.max(Math.max(x[r0 + c], x[r1 + c]), Math.max(x[r0 + c + 1], x[r1 + c + 1]));
        }
    }

    /** As {@link #max2x2Row} plus argmax; rowIndex = index of row r0 inside its plane (2 oh W). Full vectors unmasked. */
    private static void max2x2RowArgmax(float[] x, int r0, int w, int rowIndex, float[] y, int yr, int[] argmax, int ar, int outs, int yEnd) {
        FloatVector even = FloatVector.fromArray(F, EVEN, 0), odd = FloatVector.fromArray(F, ODD, 0);
        IntVector lane2 = IntVector.zero(I).addIndex(2); // 0, 2, 4, ...: column offsets of the window starts
        int r1 = r0 + w;
        int ow = 0;
        // yEnd bounds both y and argmax (the caller passes the tighter of the two, relative to yr)
        int vecEnd = Math.min(outs, Math.min(yEnd - yr - VL, (x.length - r1) / 2 - VL) + 1);
        for (; ow < vecEnd; ow += VL) {
            int c = 2 * ow;
            FloatVector a0 = FloatVector.fromArray(F, x, r0 + c), a1 = FloatVector.fromArray(F, x, r0 + c + VL);
            FloatVector b0 = FloatVector.fromArray(F, x, r1 + c), b1 = FloatVector.fromArray(F, x, r1 + c + VL);
            // window order: (r0, even), (r0, odd), (r1, even), (r1, odd); later candidates win only when greater or NaN
            FloatVector best = even.selectFrom(a0, a1);
            IntVector idx0 = lane2.add(rowIndex + c);
            IntVector idx1 = lane2.add(rowIndex + w + c);
            IntVector idx = idx0;
            FloatVector v = odd.selectFrom(a0, a1);
            VectorMask<Float> take = v.compare(VectorOperators.GT, best).or(v.test(VectorOperators.IS_NAN));
            best = best.blend(v, take);
            idx = idx.blend(idx0.add(1), take.cast(I));
            v = even.selectFrom(b0, b1);
            take = v.compare(VectorOperators.GT, best).or(v.test(VectorOperators.IS_NAN));
            best = best.blend(v, take);
            idx = idx.blend(idx1, take.cast(I));
            v = odd.selectFrom(b0, b1);
            take = v.compare(VectorOperators.GT, best).or(v.test(VectorOperators.IS_NAN));
            best = best.blend(v, take);
            idx = idx.blend(idx1.add(1), take.cast(I));
            best.intoArray(y, yr + ow);
            idx.intoArray(argmax, ar + ow);
        }
        if (ow < outs) max2x2RowArgmaxTail(x, r0, w, rowIndex, y, yr, argmax, ar, ow, outs);
    }

    /**
     * The last, partial vector of {@link #max2x2RowArgmax} (only at the tensor's end), scalar: the same first-wins chain
     * over the window in row-major order. A vector tail here ran so rarely that C2 did not compile it for thousands of
     * training steps, and until then every call boxed its vectors (~3 KB per pooling call).
     */
    private static void max2x2RowArgmaxTail(float[] x, int r0, int w, int rowIndex, float[] y, int yr, int[] argmax, int ar, int ow, int outs) {
        int r1 = r0 + w;
        for (; ow < outs; ow++) {
            int c = 2 * ow;
            float best = x[r0 + c];
            int idx = rowIndex + c;
            float v = x[r0 + c + 1];
            if (v > best || Float.isNaN(v)) {
                best = v;
                idx = rowIndex + c + 1;
            }
            v = x[r1 + c];
            if (v > best || Float.isNaN(v)) {
                best = v;
                idx = rowIndex + w + c;
            }
            v = x[r1 + c + 1];
            if (v > best || Float.isNaN(v)) {
                best = v;
                idx = rowIndex + w + c + 1;
            }
            y[yr + ow] = best;
            argmax[ar + ow] = idx;
        }
    }

    @Override
    public void maxBwd(PoolParams p, float[] dy, int dyOff, int[] argmax, int argmaxOff, float[] dx, int dxOff) {
        PoolChecks.maxBwd(p, dy, dyOff, argmax, argmaxOff, dx, dxOff);
        int inPlane = p.h() * p.w(), outPlane = p.outH() * p.outW();
        Arrays.fill(dx, dxOff, dxOff + p.inputSize(), 0f);
        int planes = p.n() * p.c();
        for (int pl = 0; pl < planes; pl++) {
            int dxp = dxOff + pl * inPlane, o = pl * outPlane;
            for (int i = 0; i < outPlane; i++) dx[dxp + argmax[argmaxOff + o + i]] += dy[dyOff + o + i];
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // average pooling

    @Override
    public void avgFwd(PoolParams p, float[] x, int xOff, float[] y, int yOff) {
        PoolChecks.avgFwd(p, x, xOff, y, yOff);
        int planes = p.n() * p.c();
        int inPlane = p.h() * p.w(), outPlane = p.outH() * p.outW();
        boolean threeByThree = p.kh() == 3 && p.kw() == 3 && p.strideH() == 2 && p.strideW() == 2
                && p.padTop() == 1 && p.padLeft() == 1 && p.padBottom() == 1 && p.padRight() == 1;
        if (threeByThree) {
            for (int pl = 0; pl < planes; pl++) avg3x3s2p1(p, x, xOff + pl * inPlane, y, yOff + pl * outPlane, yOff + p.outputSize());
        } else {
            float[][] s = SCRATCH.get();
            float[] row = rowBuffer(p, 0f);
            float[] colDiv = s[1];
            for (int ow = 0; ow < p.outW(); ow++) colDiv[ow] = colDivisor(p, ow);
            for (int pl = 0; pl < planes; pl++) separable(p, false, x, xOff + pl * inPlane, y, yOff + pl * outPlane, row, colDiv, yOff + p.outputSize());
        }
    }

    /** Rows of window oh that divide its sum: all rows inside the padded input, or only the valid ones. */
    private static int rowDivisor(PoolParams p, int oh) {
        int h0 = oh * p.strideH() - p.padTop();
        int h1 = Math.min(h0 + p.kh(), p.h() + p.padBottom());
        if (p.countIncludePad()) return h1 - h0;
        return Math.min(h1, p.h()) - Math.max(h0, 0);
    }

    private static int colDivisor(PoolParams p, int ow) {
        int w0 = ow * p.strideW() - p.padLeft();
        int w1 = Math.min(w0 + p.kw(), p.w() + p.padRight());
        if (p.countIncludePad()) return w1 - w0;
        return Math.min(w1, p.w()) - Math.max(w0, 0);
    }

    /** One average window, scalar (borders of the fast path). */
    private static void avgWindow(PoolParams p, float[] x, int xPlane, int oh, int ow, float[] y, int yPlane) {
        int h0 = Math.max(oh * p.strideH() - p.padTop(), 0), w0 = Math.max(ow * p.strideW() - p.padLeft(), 0);
        int h1 = Math.min(oh * p.strideH() - p.padTop() + p.kh(), p.h()), w1 = Math.min(ow * p.strideW() - p.padLeft() + p.kw(), p.w());
        float sum = 0f;
        for (int ih = h0; ih < h1; ih++) {
            for (int iw = w0; iw < w1; iw++) sum += x[xPlane + ih * p.w() + iw];
        }
        y[yPlane + oh * p.outW() + ow] = sum / (rowDivisor(p, oh) * colDivisor(p, ow));
    }

    /**
     * 3x3 stride 2 pad 1, one plane. Interior windows: the three rows are summed as vectors loaded from column 2*ow,
     * whose even lanes are the window centres and odd lanes the right columns; the left column is the previous odd
     * lane, carried from the block before. Windows touching the padding take {@link #avgWindow}.
     */
    private static void avg3x3s2p1(PoolParams p, float[] x, int xp, float[] y, int yp, int yEnd) {
        int w = p.w(), h = p.h(), outW = p.outW(), outH = p.outH();
        int lastRow = (h - 2) / 2, lastCol = (w - 2) / 2; // last oh/ow whose window lies inside the input
        for (int oh = 0; oh < outH; oh++) {
            if (oh < 1 || oh > lastRow) {
                for (int ow = 0; ow < outW; ow++) avgWindow(p, x, xp, oh, ow, y, yp);
                continue;
            }
            avgWindow(p, x, xp, oh, 0, y, yp);
            if (lastCol >= 1) {
                // interior windows hold 9 valid taps, so both count_include_pad modes divide by 9
                avg3x3Row(x, xp + (2 * oh - 1) * w, w, y, yp + oh * outW, lastCol, 1f / 9f, yEnd);
            }
            for (int ow = Math.max(lastCol + 1, 1); ow < outW; ow++) avgWindow(p, x, xp, oh, ow, y, yp);
        }
    }

    /** Outputs ow in [1, lastCol] of one row: (sum of the 3x3 window at rows r0..r0+2, columns 2ow-1..2ow+1) * inv. */
    private static void avg3x3Row(float[] x, int r0, int w, float[] y, int yr, int lastCol, float inv, int yEnd) {
        FloatVector even = FloatVector.fromArray(F, EVEN, 0), odd = FloatVector.fromArray(F, ODD, 0);
        FloatVector previous = FloatVector.fromArray(F, PREVIOUS, 0);
        int r1 = r0 + w, r2 = r1 + w;
        // lane VL-1 of the carried vector: the vertical sum of column 1, the left column of window ow = 1
        FloatVector carry = FloatVector.broadcast(F, x[r0 + 1] + x[r1 + 1] + x[r2 + 1]);
        int ow = 1;
        // whole vectors while the store stays in the tensor and the loads in the array (spilling, see above)
        int vecEnd = Math.min(lastCol, Math.min(yEnd - yr - VL, (x.length - r2) / 2 - VL)) + 1;
        for (; ow < vecEnd; ow += VL) {
            int c = 2 * ow;
            FloatVector lo = FloatVector.fromArray(F, x, r0 + c).add(FloatVector.fromArray(F, x, r1 + c)).add(FloatVector.fromArray(F, x, r2 + c));
            FloatVector hi = FloatVector.fromArray(F, x, r0 + c + VL).add(FloatVector.fromArray(F, x, r1 + c + VL)).add(FloatVector.fromArray(F, x, r2 + c + VL));
            FloatVector right = odd.selectFrom(lo, hi);
            FloatVector left = previous.selectFrom(carry, right);
            left.add(even.selectFrom(lo, hi)).add(right).mul(inv).intoArray(y, yr + ow);
            carry = right;
        }
        if (ow <= lastCol) avg3x3RowTail(x, r0, w, y, yr, ow, lastCol, inv, carry.lane(VL - 1));
    }

    /** The last, partial vector of {@link #avg3x3Row} (its own method to keep each method small enough for C1). */
    private static void avg3x3RowTail(float[] x, int r0, int w, float[] y, int yr, int ow, int lastCol, float inv, float leftSum) {
        FloatVector carry = FloatVector.broadcast(F, leftSum); // lane VL-1: vertical sum of the column left of window ow
        FloatVector even = FloatVector.fromArray(F, EVEN, 0), odd = FloatVector.fromArray(F, ODD, 0);
        FloatVector previous = FloatVector.fromArray(F, PREVIOUS, 0);
        int r1 = r0 + w, r2 = r1 + w;
        {
            int c = 2 * ow;
            VectorMask<Float> mLo = F.indexInRange(c, w), mHi = F.indexInRange(c + VL, w);
            FloatVector lo = FloatVector.fromArray(F, x, r0 + c, mLo).add(FloatVector.fromArray(F, x, r1 + c, mLo)).add(FloatVector.fromArray(F, x, r2 + c, mLo));
            FloatVector hi = FloatVector.fromArray(F, x, r0 + c + VL, mHi).add(FloatVector.fromArray(F, x, r1 + c + VL, mHi)).add(FloatVector.fromArray(F, x, r2 + c + VL, mHi));
            FloatVector right = odd.selectFrom(lo, hi);
            FloatVector left = previous.selectFrom(carry, right);
            left.add(even.selectFrom(lo, hi)).add(right).mul(inv).intoArray(y, yr + ow, F.indexInRange(ow, lastCol + 1));
        }
    }

    @Override
    public void avgBwd(PoolParams p, float[] dy, int dyOff, float[] dx, int dxOff) {
        PoolChecks.avgBwd(p, dy, dyOff, dx, dxOff);
        Arrays.fill(dx, dxOff, dxOff + p.inputSize(), 0f);
        int planes = p.n() * p.c(), w = p.w();
        int inPlane = p.h() * w, outH = p.outH(), outW = p.outW(), outPlane = outH * outW;
        for (int pl = 0; pl < planes; pl++) {
            int dxp = dxOff + pl * inPlane, dyp = dyOff + pl * outPlane;
            for (int oh = 0; oh < outH; oh++) {
                int hs = oh * p.strideH() - p.padTop();
                int h0 = Math.max(hs, 0), h1 = Math.min(hs + p.kh(), p.h());
                int rowDiv = rowDivisor(p, oh);
                for (int ow = 0; ow < outW; ow++) {
                    int ws = ow * p.strideW() - p.padLeft();
                    int w0 = Math.max(ws, 0), w1 = Math.min(ws + p.kw(), w);
                    float g = dy[dyp + oh * outW + ow] / (rowDiv * colDivisor(p, ow));
                    for (int ih = h0; ih < h1; ih++) {
                        int r = dxp + ih * w;
                        for (int iw = w0; iw < w1; iw++) dx[r + iw] += g;
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // separable path (any window), max without argmax and average

    /** The per-thread row buffer for p, with the padding columns set to the identity of the reduction. */
    private static float[] rowBuffer(PoolParams p, float identity) {
        float[][] s = SCRATCH.get();
        int outWRounded = (p.outW() + VL - 1) / VL * VL;
        int need = (outWRounded + VL) * p.strideW() + p.kw() + p.padLeft() + p.w() + 2 * VL;
        if (s[0].length < need) s[0] = new float[need];
        if (s[1].length < outWRounded + VL) s[1] = new float[outWRounded + VL];
        float[] row = s[0];
        // only [padLeft, padLeft + W) is rewritten per row; the rest reads as padding
        Arrays.fill(row, 0, p.padLeft(), identity);
        Arrays.fill(row, p.padLeft() + p.w(), row.length, identity);
        return row;
    }

    /**
     * One plane: for each output row the window rows are reduced (max or sum) into row[padLeft + iw], then each output
     * reduces kw buffer entries starting at ow * strideW. For average, divided by rowDivisor * colDiv[ow].
     */
    private static void separable(PoolParams p, boolean max, float[] x, int xp, float[] y, int yp, float[] row, float[] colDiv, int yEnd) {
        int w = p.w(), outW = p.outW();
        for (int oh = 0; oh < p.outH(); oh++) {
            int hs = oh * p.strideH() - p.padTop();
            int h0 = Math.max(hs, 0), h1 = Math.min(hs + p.kh(), p.h());
            verticalReduce(max, x, xp + h0 * w, xp + h1 * w, w, row, p.padLeft());
            int yr = yp + oh * outW;
            float rowDiv = max ? 1f : rowDivisor(p, oh);
            int sw = p.strideW();
            if (sw == 1) horizontalStride1(max, row, p.kw(), y, yr, outW, colDiv, rowDiv, yEnd);
            else if (sw == 2) horizontalStride2(max, row, p.kw(), y, yr, outW, colDiv, rowDiv, yEnd);
            else horizontalScalar(max, row, p.kw(), sw, y, yr, outW, colDiv, rowDiv);
        }
    }

    /**
     * row[at + iw] = max or sum over the rows from..end (step w) of x[row + iw]: a vector of every window row is
     * reduced in registers and stored once. A row's last, partial vector is taken whole when the loads stay inside x
     * (SqueezeNet's 111 columns left 15 to scalar code, the most expensive part of the pool); the lanes it stores past
     * the row, on the buffer's padding, are set back to the identity.
     */
    private static void verticalReduce(boolean max, float[] x, int from, int end, int w, float[] row, int at) {
        int wholeEnd = (w + VL - 1) / VL * VL;
        int vecEnd = end - w + wholeEnd <= x.length ? wholeEnd : F.loopBound(w);
        int i = 0;
        for (; i < vecEnd; i += VL) {
            FloatVector acc = FloatVector.fromArray(F, x, from + i);
            for (int r = from + w; r < end; r += w) {
                FloatVector v = FloatVector.fromArray(F, x, r + i);
                acc = max ? acc.max(v) : acc.add(v);
            }
            acc.intoArray(row, at + i);
        }
        for (; i < w; i++) {
            float acc = x[from + i];
            for (int r = from + w; r < end; r += w) acc = max ? Math.max(acc, x[r + i]) : acc + x[r + i];
            row[at + i] = acc;
        }
        if (vecEnd > w) Arrays.fill(row, at + w, at + vecEnd, max ? Float.NEGATIVE_INFINITY : 0f);
    }

    private static void horizontalStride1(boolean max, float[] row, int kw, float[] y, int yr, int outW, float[] colDiv, float rowDiv, int yEnd) {
        for (int ow = 0; ow < outW; ow += VL) {
            FloatVector acc = FloatVector.fromArray(F, row, ow);
            for (int j = 1; j < kw; j++) {
                FloatVector v = FloatVector.fromArray(F, row, ow + j);
                acc = max ? acc.max(v) : acc.add(v);
            }
            if (!max) acc = acc.div(FloatVector.fromArray(F, colDiv, ow).mul(rowDiv));
            // whole vectors while inside the tensor (spilling, see above); masked only at its very end
            if (yr + ow + VL <= yEnd) acc.intoArray(y, yr + ow);
            else acc.intoArray(y, yr + ow, F.indexInRange(ow, outW));
        }
    }

    /** Stride 2: positions 2 ow + j are the even (j even) or odd (j odd) lanes of the two vectors from 2 ow + (j & ~1). */
    private static void horizontalStride2(boolean max, float[] row, int kw, float[] y, int yr, int outW, float[] colDiv, float rowDiv, int yEnd) {
        FloatVector even = FloatVector.fromArray(F, EVEN, 0), odd = FloatVector.fromArray(F, ODD, 0);
        for (int ow = 0; ow < outW; ow += VL) {
            int base = 2 * ow;
            FloatVector lo = FloatVector.fromArray(F, row, base), hi = FloatVector.fromArray(F, row, base + VL);
            FloatVector acc = even.selectFrom(lo, hi);
            for (int j = 1; j < kw; j++) {
                if ((j & 1) == 0) {
                    lo = FloatVector.fromArray(F, row, base + j);
                    hi = FloatVector.fromArray(F, row, base + j + VL);
                }
                FloatVector v = ((j & 1) == 0 ? even : odd).selectFrom(lo, hi);
                acc = max ? acc.max(v) : acc.add(v);
            }
            if (!max) acc = acc.div(FloatVector.fromArray(F, colDiv, ow).mul(rowDiv));
            // whole vectors while inside the tensor (spilling, see above); masked only at its very end
            if (yr + ow + VL <= yEnd) acc.intoArray(y, yr + ow);
            else acc.intoArray(y, yr + ow, F.indexInRange(ow, outW));
        }
    }

    private static void horizontalScalar(boolean max, float[] row, int kw, int sw, float[] y, int yr, int outW, float[] colDiv, float rowDiv) {
        for (int ow = 0; ow < outW; ow++) {
            int base = ow * sw;
            float acc = row[base];
            for (int j = 1; j < kw; j++) acc = max ? Math.max(acc, row[base + j]) : acc + row[base + j];
            y[yr + ow] = max ? acc : acc / (rowDiv * colDiv[ow]);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // global pooling

    @Override
    public void globalAvgFwd(int n, int c, int hw, float[] x, int xOff, float[] y, int yOff) {
        PoolChecks.globalFwd(n, c, hw, x, xOff, y, yOff);
        for (int pl = 0; pl < n * c; pl++) {
            int xp = xOff + pl * hw;
            FloatVector acc = FloatVector.zero(F);
            int i = 0;
            for (int bound = F.loopBound(hw); i < bound; i += VL) acc = acc.add(FloatVector.fromArray(F, x, xp + i));
            double sum = SimdMath.sum(acc);
            for (; i < hw; i++) sum += x[xp + i];
            y[yOff + pl] = (float) (sum / hw);
        }
    }

    @Override
    public void globalMaxFwd(int n, int c, int hw, float[] x, int xOff, float[] y, int yOff) {
        PoolChecks.globalFwd(n, c, hw, x, xOff, y, yOff);
        for (int pl = 0; pl < n * c; pl++) {
            int xp = xOff + pl * hw;
            FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            int i = 0;
            for (int bound = F.loopBound(hw); i < bound; i += VL) acc = acc.max(FloatVector.fromArray(F, x, xp + i));
            float best = acc.reduceLanes(VectorOperators.MAX);
            for (; i < hw; i++) best = Math.max(best, x[xp + i]);
            y[yOff + pl] = best;
        }
    }

    @Override
    public void globalAvgBwd(int n, int c, int hw, float[] dy, int dyOff, float[] dx, int dxOff) {
        PoolChecks.globalBwd(n, c, hw, dy, dyOff, dx, dxOff);
        for (int pl = 0; pl < n * c; pl++) {
            float gs = dy[dyOff + pl] / hw;
            FloatVector g = FloatVector.broadcast(F, gs);
            int dxp = dxOff + pl * hw;
            int i = 0;
            for (int bound = F.loopBound(hw); i < bound; i += VL) g.intoArray(dx, dxp + i);
            for (; i < hw; i++) dx[dxp + i] = gs;
        }
    }
}
