package io.github.vcnn.kernels.simd;

import io.github.vcnn.kernels.Checks;
import io.github.vcnn.kernels.ConvChecks;
import io.github.vcnn.kernels.ConvKernels;
import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.PackedConvWeights;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Direct convolution on the Vector API, vectorized over 16 output channels (one {@code FloatVector}
 * of {@link FloatVector#SPECIES_512}).
 *
 * <p>Layouts. Weights are packed once by {@link #pack} into {@code [G][KB][R][S][C/G][16]}: output
 * channels of a group blocked by 16 (zero-padded tail block), then the taps, then input channels, so
 * that the reduction over {@code (s, c)} of one kernel row walks memory contiguously. Per call the
 * input image is copied into a zero-padded, channel-last per-thread scratch {@code [G][Hp][Wp][C/G]}
 * (Hp x Wp covers exactly what the outputs read), so the inner loops need no bounds logic and the
 * input values of one kernel row, {@code (s, c)}, are contiguous too.
 *
 * <p>Forward: a register tile of 6 output pixels x 2 channel vectors (12 accumulators; 12 x 1 for an
 * odd last block) sums {@code w[kb][r][s][c][:] * x[pixel][r][s][c]} (weight vector times broadcast
 * input), adds the bias, and parks the 16-channel pixel vectors in a small per-thread staging block;
 * the activation runs there as one vector pass and gathers transpose the block into the NCHW output.
 * Pixels of a tile are consecutive output pixels in row-major order and may span rows, so small images
 * waste no lanes. Vectors never cross a method boundary (C2 would box them where it does not inline).
 *
 * <p>Width path: with fewer than 8 output channels per group (depthwise) or a reduction C/G*R*S &lt; 64
 * (a first layer on a grey image) the tile is instead 6 output channels x 32 output columns of one row,
 * over a planar scratch {@code [C][Hp][Wq]} whose rows are split into {@code strideW} column phases, so
 * the input columns of one tap are contiguous for any stride; results are stored straight into NCHW rows.
 *
 * <p>bwdData is the same kernel run on {@code dz} with the rotated, channel-swapped weights (packed per
 * call, they are small) and padding {@code dil*(R-1) - pad}; for stride &gt; 1 the scratch copy
 * spreads {@code dz} with {@code stride-1} zeros between elements (the transposed convolution).
 * bwdWeights broadcasts input values against 16-channel vectors of a channel-blocked copy of {@code dz},
 * 6 taps x 2 channel vectors per register tile, over a band of output rows at a time. With one input
 * channel at stride 1 it vectorizes over output pixels instead (no dz transpose, which dominated there).
 *
 * <p>Stateless and thread-safe: every buffer lives in a grow-only per-thread {@link Work}.
 */
public final class SimdConv implements ConvKernels {
    /** The JVM's preferred species: 16 lanes on AVX-512, 8 on AVX2, 4 on NEON / SSE; every layout below blocks by L. */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    static final String VARIANT = "simd";
    /** Output pixels per staging block; a multiple of both tile widths (6 and 12). */
    private static final int CHUNK = 96;
    /** Output pixels per band in bwdWeights (the band's dz and input rows stay in L1/L2). */
    private static final int BAND_PIXELS = 128;
    /** Slack behind the input scratch: weight-gradient tiles read up to 5 values past a kernel row. */
    private static final int SLACK = 16;
    /** Output columns per tile of the width path (two vectors). */
    private static final int WIDTH_TILE = 2 * L;

    /** Gather offsets of one channel across L staged pixel vectors (lane i reads pixel i). */
    private static final int[] STAGE_MAP = stageMap();

    private static int[] stageMap() {
        int[] m = new int[L];
        for (int i = 0; i < L; i++) m[i] = i * L;
        return m;
    }

    private static final ThreadLocal<Work> WORK = ThreadLocal.withInitial(Work::new);

    public SimdConv() {
    }

    // ------------------------------------------------------------------------------------------ pack

    @Override
    public PackedConvWeights pack(ConvParams p, float[] w, int wOff) {
        ConvChecks.pack(p, w, wOff);
        int kb = blocks(p.kg());
        float[] data = new float[p.groups() * kb * p.r() * p.s() * p.cg() * L];
        packForward(w, wOff, p.groups(), p.kg(), p.cg(), p.r(), p.s(), data);
        return new PackedConvWeights(VARIANT, p, data, L);
    }

    /** dst[g][kb][r][s][c][16] = w[g*Kg + kb*16 + lane][c][r][s]; lanes past Kg stay zero. */
    private static void packForward(float[] w, int wOff, int groups, int kg, int cg, int r, int s, float[] dst) {
        int kbs = blocks(kg);
        for (int g = 0; g < groups; g++) {
            for (int k = 0; k < kg; k++) {
                int block = (g * kbs + k / L) * r * s * cg * L, lane = k % L;
                int src = wOff + (g * kg + k) * cg * r * s;
                for (int c = 0; c < cg; c++) {
                    for (int t = 0; t < r * s; t++) {
                        dst[block + (t * cg + c) * L + lane] = w[src + c * r * s + t];
                    }
                }
            }
        }
    }

    /**
     * Weights of the transposed convolution (bwdData): input and output channels swapped inside each
     * group, taps rotated by 180 degrees. dst[g][cb][r][s][k][16] = w[g*Kg + k][cb*16 + lane][R-1-r][S-1-s].
     */
    private static void packTransposed(float[] w, int wOff, int groups, int kg, int cg, int r, int s, float[] dst) {
        int cbs = blocks(cg), rs = r * s;
        Arrays.fill(dst, 0, groups * cbs * rs * kg * L, 0f);
        for (int g = 0; g < groups; g++) {
            for (int k = 0; k < kg; k++) {
                int src = wOff + (g * kg + k) * cg * rs;
                for (int c = 0; c < cg; c++) {
                    int block = (g * cbs + c / L) * rs * kg * L, lane = c % L;
                    for (int t = 0; t < rs; t++) {
                        dst[block + ((rs - 1 - t) * kg + k) * L + lane] = w[src + c * rs + t];
                    }
                }
            }
        }
    }

    /**
     * The padded scratch copies (input, spread dz, channel-blocked dz and weights) must fit Java arrays;
     * huge paddings or strides could otherwise overflow the int index arithmetic.
     */
    private static void checkScratch(ConvParams p) {
        long hp = (long) (p.outH() - 1) * p.strideH() + (long) p.dilationH() * (p.r() - 1) + 1;
        long wp = (long) (p.outW() - 1) * p.strideW() + (long) p.dilationW() * (p.s() - 1) + 1;
        long wq = (long) p.strideW() * (p.outW() + WIDTH_TILE + (long) p.dilationW() * p.s());
        long hpT = p.h() + (long) p.dilationH() * p.r(), wpT = p.w() + WIDTH_TILE + (long) p.dilationW() * p.s();
        long kPad = p.k() + (long) (L - 1) * p.groups(), cPad = p.c() + (long) (L - 1) * p.groups();
        long worst = Math.max(Math.max(p.c() * hp * Math.max(wp, wq), p.k() * hpT * wpT),
                Math.max(kPad * p.outH() * p.outW(), Math.max(kPad * p.cg(), cPad * p.kg()) * p.r() * p.s()));
        if (worst > Integer.MAX_VALUE - 64 - SLACK) {
            throw new IllegalArgumentException("padded working copy of " + worst + " floats is too large for a Java array: " + p);
        }
    }

    private static int blocks(int channels) {
        return (channels + L - 1) / L;
    }

    // --------------------------------------------------------------------------------------- forward

    @Override
    public void fwd(ConvParams p, float[] x, int xOff, PackedConvWeights w, float[] bias, int biasOff, Epilogue act, float[] y, int yOff) {
        ConvChecks.fwd(VARIANT, p, x, xOff, w, bias, biasOff, act, y, yOff);
        checkScratch(p);

        Work wk = WORK.get();
        int groups = p.groups(), kg = p.kg(), kbs = blocks(kg);
        float[] b = wk.bias = Work.grow(wk.bias, groups * kbs * L);
        Arrays.fill(b, 0, groups * kbs * L, 0f);
        if (bias != null) {
            for (int k = 0; k < p.k(); k++) b[((k / kg) * kbs + (k % kg) / L) * L + (k % kg) % L] = bias[biasOff + k];
        }
        // a strided 1x1 conv reads only every stride-th pixel: copy just those and run it with stride 1
        boolean sampled = p.r() == 1 && p.s() == 1 && (p.strideH() > 1 || p.strideW() > 1) && kg >= 8 && p.cg() >= 64;
        wk.plan(groups, p.cg(), kg, p.r(), p.s(), sampled ? 1 : p.strideH(), sampled ? 1 : p.strideW(),
                p.dilationH(), p.dilationW(), p.outH(), p.outW(), !sampled);
        int inPlane = p.c() * p.h() * p.w(), outPlane = p.k() * p.outH() * p.outW();
        for (int n = 0; n < p.n(); n++) {
            if (sampled) {
                wk.fillSampled(x, xOff + n * inPlane, p.c(), p.h(), p.w(), p.strideH(), p.strideW(), p.padTop(), p.padLeft());
            } else {
                wk.fillInput(x, xOff + n * inPlane, p.c(), p.h(), p.w(), 1, 1, p.padTop(), p.padLeft());
            }
            convImage(wk, w.data(), act, y, yOff + n * outPlane);
        }
    }

    /**
     * One image through the planned convolution: y[k][pix] = act(sum_{r,s,c} w[k][r][s][c] * xs[pix][r][s][c] + b[k]).
     * Reads the scratch input and bias of {@code wk}; writes NCHW output from {@code yOff}.
     */
    private static void convImage(Work wk, float[] wp, Epilogue act, float[] y, int yOff) {
        if (wk.width) {
            convImageWidth(wk, wp, act, y, yOff);
            return;
        }
        int kg = wk.kg, kbs = blocks(kg), ohw = wk.oh * wk.ow;
        int blockSize = wk.nseg * wk.inner * L;
        float[] xs = wk.xs, stage = wk.stage, bias = wk.bias;
        int[] pb = wk.pixelBase;
        for (int g = 0; g < wk.groups; g++) {
            int xg = g * wk.hp * wk.wp * wk.cg;
            for (int kb = 0; kb < kbs; ) {
                int vecs = kbs - kb >= 2 ? 2 : 1, tileWidth = vecs == 2 ? 6 : 12;
                int wb = (g * kbs + kb) * blockSize, bb = (g * kbs + kb) * L;
                for (int pix0 = 0; pix0 < ohw; pix0 += CHUNK) {
                    int len = Math.min(CHUNK, ohw - pix0);
                    int oh = pix0 / wk.ow, ow = pix0 % wk.ow;
                    for (int t = 0; t < len; t += tileWidth) {
                        // pixel bases of the tile; pixels past the image repeat the last one (computed, never stored)
                        int base = 0;
                        for (int i = 0; i < tileWidth; i++) {
                            if (pix0 + t + i < ohw) {
                                base = xg + (oh * wk.sh * wk.wp + ow * wk.sw) * wk.cg;
                                if (++ow == wk.ow) {
                                    ow = 0;
                                    oh++;
                                }
                            }
                            pb[i] = base;
                        }
                        if (vecs == 2) {
                            fwdTile6x2(xs, pb, wp, wb, blockSize, wk.segOff, wk.nseg, wk.inner, bias, bb, stage, t * L, CHUNK * L + t * L);
                        } else {
                            fwdTile12x1(xs, pb, wp, wb, wk.segOff, wk.nseg, wk.inner, bias, bb, stage, t * L);
                        }
                    }
                    activate(stage, 0, len * L, act);
                    if (vecs == 2) activate(stage, CHUNK * L, len * L, act);
                    // staging [vec][pixel][16] -> NCHW rows of the block's channels
                    for (int v = 0; v < vecs; v++) {
                        for (int lane = 0; lane < L; lane++) {
                            int k = (kb + v) * L + lane;
                            if (k >= kg) break;
                            int yb = yOff + (g * kg + k) * ohw + pix0, sb = v * CHUNK * L + lane;
                            int i = 0;
                            for (; i + L <= len; i += L) FloatVector.fromArray(F, stage, sb + i * L, STAGE_MAP, 0).intoArray(y, yb + i);
                            if (i < len) {
                                VectorMask<Float> m = F.indexInRange(i, len);
                                FloatVector.fromArray(F, stage, sb + i * L, STAGE_MAP, 0, m).intoArray(y, yb + i, m);
                            }
                        }
                    }
                }
                kb += vecs;
            }
        }
    }

    /** 6 pixels x 32 output channels; weights of the second vector sit {@code wStep} after the first. */
    private static void fwdTile6x2(float[] x, int[] pb, float[] w, int wb, int wStep, int[] segOff, int nseg, int inner,
                                   float[] bias, int bb, float[] out, int o0, int o1) {
        int p0 = pb[0], p1 = pb[1], p2 = pb[2], p3 = pb[3], p4 = pb[4], p5 = pb[5];
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
        FloatVector a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
        int segLen = inner * L;
        for (int q = 0; q < nseg; q++) {
            int xo = segOff[q], w0 = wb + q * segLen, w1 = w0 + wStep;
            int x0 = p0 + xo, x1 = p1 + xo, x2 = p2 + xo, x3 = p3 + xo, x4 = p4 + xo, x5 = p5 + xo;
            for (int u = 0; u < inner; u++) {
                FloatVector wv0 = FloatVector.fromArray(F, w, w0 + u * L);
                FloatVector wv1 = FloatVector.fromArray(F, w, w1 + u * L);
                FloatVector xv = FloatVector.broadcast(F, x[x0 + u]);
                a00 = wv0.fma(xv, a00);
                a01 = wv1.fma(xv, a01);
                xv = FloatVector.broadcast(F, x[x1 + u]);
                a10 = wv0.fma(xv, a10);
                a11 = wv1.fma(xv, a11);
                xv = FloatVector.broadcast(F, x[x2 + u]);
                a20 = wv0.fma(xv, a20);
                a21 = wv1.fma(xv, a21);
                xv = FloatVector.broadcast(F, x[x3 + u]);
                a30 = wv0.fma(xv, a30);
                a31 = wv1.fma(xv, a31);
                xv = FloatVector.broadcast(F, x[x4 + u]);
                a40 = wv0.fma(xv, a40);
                a41 = wv1.fma(xv, a41);
                xv = FloatVector.broadcast(F, x[x5 + u]);
                a50 = wv0.fma(xv, a50);
                a51 = wv1.fma(xv, a51);
            }
        }
        FloatVector b0 = FloatVector.fromArray(F, bias, bb), b1 = FloatVector.fromArray(F, bias, bb + L);
        a00.add(b0).intoArray(out, o0);
        a10.add(b0).intoArray(out, o0 + L);
        a20.add(b0).intoArray(out, o0 + 2 * L);
        a30.add(b0).intoArray(out, o0 + 3 * L);
        a40.add(b0).intoArray(out, o0 + 4 * L);
        a50.add(b0).intoArray(out, o0 + 5 * L);
        a01.add(b1).intoArray(out, o1);
        a11.add(b1).intoArray(out, o1 + L);
        a21.add(b1).intoArray(out, o1 + 2 * L);
        a31.add(b1).intoArray(out, o1 + 3 * L);
        a41.add(b1).intoArray(out, o1 + 4 * L);
        a51.add(b1).intoArray(out, o1 + 5 * L);
    }

    /** 12 pixels x 16 output channels (the last, odd block of a group). */
    private static void fwdTile12x1(float[] x, int[] pb, float[] w, int wb, int[] segOff, int nseg, int inner,
                                    float[] bias, int bb, float[] out, int o0) {
        int p0 = pb[0], p1 = pb[1], p2 = pb[2], p3 = pb[3], p4 = pb[4], p5 = pb[5];
        int p6 = pb[6], p7 = pb[7], p8 = pb[8], p9 = pb[9], p10 = pb[10], p11 = pb[11];
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        FloatVector a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        int segLen = inner * L;
        for (int q = 0; q < nseg; q++) {
            int xo = segOff[q], w0 = wb + q * segLen;
            int x0 = p0 + xo, x1 = p1 + xo, x2 = p2 + xo, x3 = p3 + xo, x4 = p4 + xo, x5 = p5 + xo;
            int x6 = p6 + xo, x7 = p7 + xo, x8 = p8 + xo, x9 = p9 + xo, x10 = p10 + xo, x11 = p11 + xo;
            for (int u = 0; u < inner; u++) {
                FloatVector wv = FloatVector.fromArray(F, w, w0 + u * L);
                a0 = wv.fma(FloatVector.broadcast(F, x[x0 + u]), a0);
                a1 = wv.fma(FloatVector.broadcast(F, x[x1 + u]), a1);
                a2 = wv.fma(FloatVector.broadcast(F, x[x2 + u]), a2);
                a3 = wv.fma(FloatVector.broadcast(F, x[x3 + u]), a3);
                a4 = wv.fma(FloatVector.broadcast(F, x[x4 + u]), a4);
                a5 = wv.fma(FloatVector.broadcast(F, x[x5 + u]), a5);
                a6 = wv.fma(FloatVector.broadcast(F, x[x6 + u]), a6);
                a7 = wv.fma(FloatVector.broadcast(F, x[x7 + u]), a7);
                a8 = wv.fma(FloatVector.broadcast(F, x[x8 + u]), a8);
                a9 = wv.fma(FloatVector.broadcast(F, x[x9 + u]), a9);
                a10 = wv.fma(FloatVector.broadcast(F, x[x10 + u]), a10);
                a11 = wv.fma(FloatVector.broadcast(F, x[x11 + u]), a11);
            }
        }
        FloatVector b = FloatVector.fromArray(F, bias, bb);
        a0.add(b).intoArray(out, o0);
        a1.add(b).intoArray(out, o0 + L);
        a2.add(b).intoArray(out, o0 + 2 * L);
        a3.add(b).intoArray(out, o0 + 3 * L);
        a4.add(b).intoArray(out, o0 + 4 * L);
        a5.add(b).intoArray(out, o0 + 5 * L);
        a6.add(b).intoArray(out, o0 + 6 * L);
        a7.add(b).intoArray(out, o0 + 7 * L);
        a8.add(b).intoArray(out, o0 + 8 * L);
        a9.add(b).intoArray(out, o0 + 9 * L);
        a10.add(b).intoArray(out, o0 + 10 * L);
        a11.add(b).intoArray(out, o0 + 11 * L);
    }

    // ------------------------------------------------------------------------- width path (forward)

    /**
     * The vectorized-over-width forward for few channels per group or a short
     * reduction: a tile is 6 output channels x 32 consecutive output columns of one row (12 accumulators),
     * summing broadcast weights times input row vectors over (r, s, c); results go straight to NCHW rows.
     * Channels of a tile may come from different groups (depthwise), each reading its own input planes.
     */
    private static void convImageWidth(Work wk, float[] wp, Epilogue act, float[] y, int yOff) {
        int kg = wk.kg, kbs = blocks(kg), k = wk.groups * kg, oh = wk.oh, ow = wk.ow;
        int planeGroup = wk.cg * wk.hp * wk.wq, blockSize = wk.taps * L, rowStep = wk.sh * wk.wq;
        int[] tw = wk.tileW, ty = wk.tileY, tx = wk.tileX;
        float[] tb = wk.tileB, rows = wk.rowAcc;
        // 6 channels of one output row per tile while at least 6 channels are left ...
        int fullK = k - k % 6;
        for (int k0 = 0; k0 < fullK; k0 += 6) {
            boolean shared = true;
            for (int i = 0; i < 6; i++) {
                setItem(wk, i, k0 + i, 0, kbs, blockSize, planeGroup, rowStep, yOff);
                shared &= tx[i] == tx[0];
            }
            for (int row = 0; row < oh; row++) {
                for (int ow0 = 0; ow0 < ow; ow0 += WIDTH_TILE) {
                    int cols = Math.min(WIDTH_TILE, ow - ow0), at = row * rowStep + ow0;
                    if (shared) {
                        widthTileShared(wk.xs, tx[0] + at, wk.tapOff, wk.taps, wp, tw, tb, rows);
                    } else {
                        widthTileSeparate(wk.xs, tx, at, wk.tapOff, wk.taps, wp, tw, tb, rows);
                    }
                    finishRows(rows, act, y, ty, row * ow + ow0, cols);
                }
            }
        }
        // ... then (channel, row) pairs of the last k % 6 channels, 6 per tile (one channel: 6 rows)
        int items = (k - fullK) * oh;
        for (int it0 = 0; it0 < items; it0 += 6) {
            for (int i = 0; i < 6; i++) {
                int it = Math.min(it0 + i, items - 1);   // a short last tile repeats its last item
                setItem(wk, i, fullK + it / oh, it % oh, kbs, blockSize, planeGroup, rowStep, yOff);
            }
            for (int ow0 = 0; ow0 < ow; ow0 += WIDTH_TILE) {
                widthTileSeparate(wk.xs, tx, ow0, wk.tapOff, wk.taps, wp, tw, tb, rows);
                finishRows(rows, act, y, ty, ow0, Math.min(WIDTH_TILE, ow - ow0));
            }
        }
    }

    /** Tile item i = output channel ch, output row `row`: its weights, bias, input and output row bases. */
    private static void setItem(Work wk, int i, int ch, int row, int kbs, int blockSize, int planeGroup, int rowStep, int yOff) {
        int g = ch / wk.kg, kl = ch % wk.kg;
        wk.tileW[i] = (g * kbs + kl / L) * blockSize + kl % L;
        wk.tileB[i] = wk.bias[(g * kbs + kl / L) * L + kl % L];
        wk.tileX[i] = g * planeGroup + row * rowStep;
        wk.tileY[i] = yOff + (ch * wk.oh + row) * wk.ow;
    }

    /** Activation on the 6 x 32 tile results, then up to {@code cols} columns of each to its output row. */
    private static void finishRows(float[] rows, Epilogue act, float[] y, int[] ty, int yo, int cols) {
        activate(rows, 0, 6 * WIDTH_TILE, act);
        if (cols == WIDTH_TILE) {
            for (int i = 0; i < 6; i++) {
                FloatVector.fromArray(F, rows, i * WIDTH_TILE).intoArray(y, ty[i] + yo);
                FloatVector.fromArray(F, rows, i * WIDTH_TILE + L).intoArray(y, ty[i] + yo + L);
            }
        } else {
            VectorMask<Float> lo = F.indexInRange(0, cols), hi = F.indexInRange(L, cols);
            for (int i = 0; i < 6; i++) {
                FloatVector.fromArray(F, rows, i * WIDTH_TILE).intoArray(y, ty[i] + yo, lo);
                FloatVector.fromArray(F, rows, i * WIDTH_TILE + L).intoArray(y, ty[i] + yo + L, hi);
            }
        }
    }

    /** 6 channels of one group and row (same input planes) x 32 columns; acc + bias to out[6][32]. */
    private static void widthTileShared(float[] x, int xb, int[] tapOff, int taps, float[] w, int[] tw, float[] tb, float[] out) {
        int w0 = tw[0], w1 = tw[1], w2 = tw[2], w3 = tw[3], w4 = tw[4], w5 = tw[5];
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
        FloatVector a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
        for (int u = 0; u < taps; u++) {
            int xi = xb + tapOff[u], wu = u * L;
            FloatVector x0 = FloatVector.fromArray(F, x, xi), x1 = FloatVector.fromArray(F, x, xi + L);
            FloatVector wv = FloatVector.broadcast(F, w[w0 + wu]);
            a00 = x0.fma(wv, a00);
            a01 = x1.fma(wv, a01);
            wv = FloatVector.broadcast(F, w[w1 + wu]);
            a10 = x0.fma(wv, a10);
            a11 = x1.fma(wv, a11);
            wv = FloatVector.broadcast(F, w[w2 + wu]);
            a20 = x0.fma(wv, a20);
            a21 = x1.fma(wv, a21);
            wv = FloatVector.broadcast(F, w[w3 + wu]);
            a30 = x0.fma(wv, a30);
            a31 = x1.fma(wv, a31);
            wv = FloatVector.broadcast(F, w[w4 + wu]);
            a40 = x0.fma(wv, a40);
            a41 = x1.fma(wv, a41);
            wv = FloatVector.broadcast(F, w[w5 + wu]);
            a50 = x0.fma(wv, a50);
            a51 = x1.fma(wv, a51);
        }
        a00.add(tb[0]).intoArray(out, 0);
        a01.add(tb[0]).intoArray(out, L);
        a10.add(tb[1]).intoArray(out, 2 * L);
        a11.add(tb[1]).intoArray(out, 3 * L);
        a20.add(tb[2]).intoArray(out, 4 * L);
        a21.add(tb[2]).intoArray(out, 5 * L);
        a30.add(tb[3]).intoArray(out, 6 * L);
        a31.add(tb[3]).intoArray(out, 7 * L);
        a40.add(tb[4]).intoArray(out, 8 * L);
        a41.add(tb[4]).intoArray(out, 9 * L);
        a50.add(tb[5]).intoArray(out, 10 * L);
        a51.add(tb[5]).intoArray(out, 11 * L);
    }

    /** 6 items with their own input rows (other groups, other rows) x 32 columns; acc + bias to out[6][32]. */
    private static void widthTileSeparate(float[] x, int[] tx, int at, int[] tapOff, int taps, float[] w, int[] tw, float[] tb, float[] out) {
        int w0 = tw[0], w1 = tw[1], w2 = tw[2], w3 = tw[3], w4 = tw[4], w5 = tw[5];
        int b0 = tx[0] + at, b1 = tx[1] + at, b2 = tx[2] + at, b3 = tx[3] + at, b4 = tx[4] + at, b5 = tx[5] + at;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
        FloatVector a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
        for (int u = 0; u < taps; u++) {
            int o = tapOff[u], wu = u * L;
            FloatVector wv = FloatVector.broadcast(F, w[w0 + wu]);
            a00 = FloatVector.fromArray(F, x, b0 + o).fma(wv, a00);
            a01 = FloatVector.fromArray(F, x, b0 + o + L).fma(wv, a01);
            wv = FloatVector.broadcast(F, w[w1 + wu]);
            a10 = FloatVector.fromArray(F, x, b1 + o).fma(wv, a10);
            a11 = FloatVector.fromArray(F, x, b1 + o + L).fma(wv, a11);
            wv = FloatVector.broadcast(F, w[w2 + wu]);
            a20 = FloatVector.fromArray(F, x, b2 + o).fma(wv, a20);
            a21 = FloatVector.fromArray(F, x, b2 + o + L).fma(wv, a21);
            wv = FloatVector.broadcast(F, w[w3 + wu]);
            a30 = FloatVector.fromArray(F, x, b3 + o).fma(wv, a30);
            a31 = FloatVector.fromArray(F, x, b3 + o + L).fma(wv, a31);
            wv = FloatVector.broadcast(F, w[w4 + wu]);
            a40 = FloatVector.fromArray(F, x, b4 + o).fma(wv, a40);
            a41 = FloatVector.fromArray(F, x, b4 + o + L).fma(wv, a41);
            wv = FloatVector.broadcast(F, w[w5 + wu]);
            a50 = FloatVector.fromArray(F, x, b5 + o).fma(wv, a50);
            a51 = FloatVector.fromArray(F, x, b5 + o + L).fma(wv, a51);
        }
        a00.add(tb[0]).intoArray(out, 0);
        a01.add(tb[0]).intoArray(out, L);
        a10.add(tb[1]).intoArray(out, 2 * L);
        a11.add(tb[1]).intoArray(out, 3 * L);
        a20.add(tb[2]).intoArray(out, 4 * L);
        a21.add(tb[2]).intoArray(out, 5 * L);
        a30.add(tb[3]).intoArray(out, 6 * L);
        a31.add(tb[3]).intoArray(out, 7 * L);
        a40.add(tb[4]).intoArray(out, 8 * L);
        a41.add(tb[4]).intoArray(out, 9 * L);
        a50.add(tb[5]).intoArray(out, 10 * L);
        a51.add(tb[5]).intoArray(out, 11 * L);
    }

    private static final FloatVector ZERO = FloatVector.zero(F);
    private static final FloatVector ONE = FloatVector.broadcast(F, 1f);

    /**
     * The fused activation in place on a[from, from+count) (count a multiple of 16), with the scalar
     * reference's semantics, NaN included. A loop per kind over the tiles' stored results keeps every
     * vector inside this method (vectors passed between methods that C2 does not inline get boxed).
     */
    private static void activate(float[] a, int from, int count, Epilogue act) {
        int end = from + count;
        switch (act.kind()) {
            case NONE -> {
            }
            case RELU -> {
                for (int i = from; i < end; i += L) {
                    FloatVector z = FloatVector.fromArray(F, a, i);
                    z.blend(ZERO, z.compare(VectorOperators.LE, 0f)).intoArray(a, i);   // NaN stays NaN, as PyTorch
                }
            }
            case LEAKY_RELU -> {
                float alpha = act.alpha();
                for (int i = from; i < end; i += L) {
                    FloatVector z = FloatVector.fromArray(F, a, i);
                    z.mul(alpha).blend(z, z.compare(VectorOperators.GT, 0f)).intoArray(a, i);
                }
            }
            case SIGMOID -> {
                for (int i = from; i < end; i += L) {
                    FloatVector z = FloatVector.fromArray(F, a, i);
                    ONE.div(z.neg().lanewise(VectorOperators.EXP).add(1f)).intoArray(a, i);
                }
            }
            case CLIP -> {
                float lo = act.min(), hi = act.max();
                for (int i = from; i < end; i += L) {
                    FloatVector.fromArray(F, a, i).max(lo).min(hi).intoArray(a, i);
                }
            }
        }
    }


    // ------------------------------------------------------------------------------------- bwd data

    @Override
    public void bwdData(ConvParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff) {
        ConvChecks.bwdData(p, dz, dzOff, w, wOff, dx, dxOff);
        checkScratch(p);

        Work wk = WORK.get();
        int groups = p.groups(), kg = p.kg(), cg = p.cg(), r = p.r(), s = p.s();
        // dx = conv(spread(dz), rot180(w) with C and K swapped), stride 1, same dilation, padding dil*(R-1) - pad
        int cbs = blocks(cg);
        float[] wt = wk.wt = Work.grow(wk.wt, groups * cbs * r * s * kg * L);
        packTransposed(w, wOff, groups, kg, cg, r, s, wt);
        float[] b = wk.bias = Work.grow(wk.bias, groups * cbs * L);
        Arrays.fill(b, 0, groups * cbs * L, 0f);
        wk.plan(groups, kg, cg, r, s, 1, 1, p.dilationH(), p.dilationW(), p.h(), p.w(), true);
        int padT = p.dilationH() * (r - 1) - p.padTop(), padL = p.dilationW() * (s - 1) - p.padLeft();
        int dzPlane = p.k() * p.outH() * p.outW(), dxPlane = p.c() * p.h() * p.w();
        for (int n = 0; n < p.n(); n++) {
            wk.fillInput(dz, dzOff + n * dzPlane, p.k(), p.outH(), p.outW(), p.strideH(), p.strideW(), padT, padL);
            convImage(wk, wt, Epilogue.NONE, dx, dxOff + n * dxPlane);
        }
    }

    // ---------------------------------------------------------------------------------- bwd weights

    @Override
    public void bwdWeights(ConvParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff, float[] db, int dbOff) {
        ConvChecks.bwdWeights(p, x, xOff, dz, dzOff, dw, dwOff, db, dbOff);
        checkScratch(p);

        Work wk = WORK.get();
        int groups = p.groups(), kg = p.kg(), cg = p.cg(), r = p.r(), s = p.s(), kbs = blocks(kg);
        int oh = p.outH(), ow = p.outW(), ohw = oh * ow;
        wk.plan(groups, cg, kg, r, s, p.strideH(), p.strideW(), p.dilationH(), p.dilationW(), oh, ow, false);
        int blockSize = wk.nseg * wk.inner * L, accSize = groups * kbs * blockSize;
        float[] acc = wk.dwb = Work.grow(wk.dwb, accSize);
        Arrays.fill(acc, 0, accSize, 0f);
        float[] dzb = wk.dzb = Work.grow(wk.dzb, groups * kbs * ohw * L);
        int inPlane = p.c() * p.h() * p.w(), outPlane = p.k() * ohw;
        int bandRows = Math.max(1, BAND_PIXELS / ow);
        int rowStep = wk.sh * wk.wp * cg, colStep = wk.sw * cg;
        int[] pixOff = wk.pixOff = Work.grow(wk.pixOff, bandRows * ow);   // input offset of each band pixel
        // one input channel at stride 1 (5x5 on a grey image): vectorize over pixels, skip the dz transpose
        if (groups == 1 && cg == 1 && wk.sh == 1 && wk.sw == 1 && wk.inner >= 3 && wk.inner <= 5 && kg % 4 == 0
                && (oh * wk.wp + L - 1) / L * L + wk.segOff[wk.nseg - 1] + 4 <= wk.hp * wk.wp + SLACK) {
            bwdWeightsGrey(p, wk, x, xOff, dz, dzOff, dw, dwOff);
            if (db != null) biasGradient(p.n(), p.k(), ohw, dz, dzOff, db, dbOff);
            return;
        }
        for (int n = 0; n < p.n(); n++) {
            wk.fillInput(x, xOff + n * inPlane, p.c(), p.h(), p.w(), 1, 1, p.padTop(), p.padLeft());
            blockOutput(dz, dzOff + n * outPlane, groups, kg, ohw, wk.channelMap, dzb);
            float[] xs = wk.xs;
            for (int oh0 = 0; oh0 < oh; oh0 += bandRows) {
                int rows = Math.min(bandRows, oh - oh0);
                for (int i = 0; i < rows; i++) {
                    for (int j = 0; j < ow; j++) pixOff[i * ow + j] = i * rowStep + j * colStep;
                }
                for (int g = 0; g < groups; g++) {
                    int xg = g * wk.hp * wk.wp * cg + oh0 * rowStep;
                    for (int kb = 0; kb < kbs; ) {
                        int vecs = kbs - kb >= 2 ? 2 : 1, tileTaps = vecs == 2 ? 6 : 12;
                        int d0 = ((g * kbs + kb) * ohw + oh0 * ow) * L, d1 = d0 + ohw * L;
                        int ab = (g * kbs + kb) * blockSize;
                        for (int q = 0; q < wk.nseg; q++) {
                            int xq = xg + wk.segOff[q];
                            for (int u0 = 0; u0 < wk.inner; u0 += tileTaps) {
                                int valid = Math.min(tileTaps, wk.inner - u0);
                                int o = ab + (q * wk.inner + u0) * L;
                                if (vecs == 2) {
                                    wTile6x2(xs, xq + u0, pixOff, rows * ow, dzb, d0, d1, acc, o, o + blockSize, valid);
                                } else {
                                    wTile12x1(xs, xq + u0, pixOff, rows * ow, dzb, d0, acc, o, valid);
                                }
                            }
                        }
                        kb += vecs;
                    }
                }
            }
        }
        // acc[g][kb][r][s][c][16] -> dw[g*Kg + k][c][r][s]
        int rs = r * s;
        for (int g = 0; g < groups; g++) {
            for (int k = 0; k < kg; k++) {
                int block = (g * kbs + k / L) * blockSize, lane = k % L, dst = dwOff + (g * kg + k) * cg * rs;
                for (int c = 0; c < cg; c++) {
                    for (int t = 0; t < rs; t++) dw[dst + c * rs + t] = acc[block + (t * cg + c) * L + lane];
                }
            }
        }
        if (db != null) biasGradient(p.n(), p.k(), ohw, dz, dzOff, db, dbOff);
    }

    /**
     * bwdWeights for one input channel at stride 1 (a first layer on a grey image): vectorized over 16
     * output pixels instead of channels, so dz needs no channel-blocking transpose. dz rows are copied
     * into zero-padded rows of the scratch width, making output pixel p read input p + tap offset for
     * every tap; vector partial sums per (k, tap) are summed lane by lane, in index order, once per call.
     */
    private static void bwdWeightsGrey(ConvParams p, Work wk, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff) {
        int k = p.k(), oh = p.outH(), ow = p.outW(), wp = wk.wp, inner = wk.inner, nseg = wk.nseg, taps = nseg * inner;
        int span = (oh * wp + L - 1) / L * L;   // padded dz row length: whole vectors
        float[] dzp = wk.dzb = Work.grow(wk.dzb, k * span);
        Arrays.fill(dzp, 0, k * span, 0f);   // the padding columns stay zero across images
        float[] acc = wk.dwb = Work.grow(wk.dwb, k * taps * L);
        Arrays.fill(acc, 0, k * taps * L, 0f);
        int inPlane = p.h() * p.w(), outPlane = k * oh * ow;
        for (int n = 0; n < p.n(); n++) {
            wk.fillInput(x, xOff + n * inPlane, 1, p.h(), p.w(), 1, 1, p.padTop(), p.padLeft());
            for (int ch = 0; ch < k; ch++) {
                for (int i = 0; i < oh; i++) System.arraycopy(dz, dzOff + n * outPlane + (ch * oh + i) * ow, dzp, ch * span + i * wp, ow);
            }
            for (int k0 = 0; k0 < k; k0 += 4) {
                for (int q = 0; q < nseg; q++) {
                    wTileGrey4x5(wk.xs, wk.segOff[q], inner, dzp, k0 * span, span, acc, (k0 * taps + q * inner) * L, taps * L);
                }
            }
        }
        for (int ch = 0; ch < k; ch++) {
            for (int t = 0; t < taps; t++) {
                int o = (ch * taps + t) * L;
                float sum = 0f;
                for (int l = 0; l < L; l++) sum += acc[o + l];
                dw[dwOff + ch * taps + t] = sum;
            }
        }
    }

    /**
     * acc[c][t][:] += sum over vectors v of dz[k0 + c][v] * x[v + xb + t], 4 output channels x up to 5
     * consecutive taps of one kernel row; taps past {@code valid} read the scratch slack and are not stored.
     */
    private static void wTileGrey4x5(float[] x, int xb, int valid, float[] dzp, int d0, int span, float[] acc, int o0, int oStep) {
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a01 = a00, a02 = a00, a03 = a00, a04 = a00, a10 = a00, a11 = a00, a12 = a00;
        FloatVector a13 = a00, a14 = a00, a20 = a00, a21 = a00, a22 = a00, a23 = a00, a24 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00, a34 = a00;
        int d1 = d0 + span, d2 = d1 + span, d3 = d2 + span;
        for (int v = 0; v < span; v += L) {
            FloatVector z0 = FloatVector.fromArray(F, dzp, d0 + v);
            FloatVector z1 = FloatVector.fromArray(F, dzp, d1 + v);
            FloatVector z2 = FloatVector.fromArray(F, dzp, d2 + v);
            FloatVector z3 = FloatVector.fromArray(F, dzp, d3 + v);
            FloatVector x0 = FloatVector.fromArray(F, x, xb + v);
            a00 = z0.fma(x0, a00);
            a10 = z1.fma(x0, a10);
            a20 = z2.fma(x0, a20);
            a30 = z3.fma(x0, a30);
            FloatVector x1 = FloatVector.fromArray(F, x, xb + v + 1);
            a01 = z0.fma(x1, a01);
            a11 = z1.fma(x1, a11);
            a21 = z2.fma(x1, a21);
            a31 = z3.fma(x1, a31);
            FloatVector x2 = FloatVector.fromArray(F, x, xb + v + 2);
            a02 = z0.fma(x2, a02);
            a12 = z1.fma(x2, a12);
            a22 = z2.fma(x2, a22);
            a32 = z3.fma(x2, a32);
            FloatVector x3 = FloatVector.fromArray(F, x, xb + v + 3);
            a03 = z0.fma(x3, a03);
            a13 = z1.fma(x3, a13);
            a23 = z2.fma(x3, a23);
            a33 = z3.fma(x3, a33);
            FloatVector x4 = FloatVector.fromArray(F, x, xb + v + 4);
            a04 = z0.fma(x4, a04);
            a14 = z1.fma(x4, a14);
            a24 = z2.fma(x4, a24);
            a34 = z3.fma(x4, a34);
        }
        { int o = o0; FloatVector.fromArray(F, acc, o).add(a00).intoArray(acc, o); }
        if (valid > 1) { int o = o0 + L; FloatVector.fromArray(F, acc, o).add(a01).intoArray(acc, o); }
        if (valid > 2) { int o = o0 + 2 * L; FloatVector.fromArray(F, acc, o).add(a02).intoArray(acc, o); }
        if (valid > 3) { int o = o0 + 3 * L; FloatVector.fromArray(F, acc, o).add(a03).intoArray(acc, o); }
        if (valid > 4) { int o = o0 + 4 * L; FloatVector.fromArray(F, acc, o).add(a04).intoArray(acc, o); }
        { int o = o0 + oStep; FloatVector.fromArray(F, acc, o).add(a10).intoArray(acc, o); }
        if (valid > 1) { int o = o0 + oStep + L; FloatVector.fromArray(F, acc, o).add(a11).intoArray(acc, o); }
        if (valid > 2) { int o = o0 + oStep + 2 * L; FloatVector.fromArray(F, acc, o).add(a12).intoArray(acc, o); }
        if (valid > 3) { int o = o0 + oStep + 3 * L; FloatVector.fromArray(F, acc, o).add(a13).intoArray(acc, o); }
        if (valid > 4) { int o = o0 + oStep + 4 * L; FloatVector.fromArray(F, acc, o).add(a14).intoArray(acc, o); }
        { int o = o0 + 2 * oStep; FloatVector.fromArray(F, acc, o).add(a20).intoArray(acc, o); }
        if (valid > 1) { int o = o0 + 2 * oStep + L; FloatVector.fromArray(F, acc, o).add(a21).intoArray(acc, o); }
        if (valid > 2) { int o = o0 + 2 * oStep + 2 * L; FloatVector.fromArray(F, acc, o).add(a22).intoArray(acc, o); }
        if (valid > 3) { int o = o0 + 2 * oStep + 3 * L; FloatVector.fromArray(F, acc, o).add(a23).intoArray(acc, o); }
        if (valid > 4) { int o = o0 + 2 * oStep + 4 * L; FloatVector.fromArray(F, acc, o).add(a24).intoArray(acc, o); }
        { int o = o0 + 3 * oStep; FloatVector.fromArray(F, acc, o).add(a30).intoArray(acc, o); }
        if (valid > 1) { int o = o0 + 3 * oStep + L; FloatVector.fromArray(F, acc, o).add(a31).intoArray(acc, o); }
        if (valid > 2) { int o = o0 + 3 * oStep + 2 * L; FloatVector.fromArray(F, acc, o).add(a32).intoArray(acc, o); }
        if (valid > 3) { int o = o0 + 3 * oStep + 3 * L; FloatVector.fromArray(F, acc, o).add(a33).intoArray(acc, o); }
        if (valid > 4) { int o = o0 + 3 * oStep + 4 * L; FloatVector.fromArray(F, acc, o).add(a34).intoArray(acc, o); }
    }

    /** dz[k][pix] (one image, NCHW) -> dzb[g][kb][pix][16], lanes past Kg zero. */
    private static void blockOutput(float[] dz, int off, int groups, int kg, int ohw, int[] channelMap, float[] dzb) {
        int kbs = blocks(kg);
        for (int g = 0; g < groups; g++) {
            for (int kb = 0; kb < kbs; kb++) {
                int src = off + (g * kg + kb * L) * ohw, dst = (g * kbs + kb) * ohw * L;
                channelMap(channelMap, ohw, Math.min(L, kg - kb * L));
                if (kg - kb * L >= L) {
                    for (int i = 0; i < ohw; i++) FloatVector.fromArray(F, dz, src + i, channelMap, 0).intoArray(dzb, dst + i * L);
                } else {
                    VectorMask<Float> m = F.indexInRange(0, kg - kb * L);   // gathered lanes past Kg are zero
                    for (int i = 0; i < ohw; i++) FloatVector.fromArray(F, dz, src + i, channelMap, 0, m).intoArray(dzb, dst + i * L);
                }
            }
        }
    }

    /**
     * Gather offsets of {@code valid} consecutive channels of an NCHW tensor (lane * plane); lanes past
     * {@code valid} repeat lane 0, because the JDK range-checks masked-off gather lanes too.
     */
    private static void channelMap(int[] map, int plane, int valid) {
        for (int i = 0; i < L; i++) map[i] = i < valid ? i * plane : 0;
    }

    /** db[k] = sum over batch and pixels of dz[n][k]. */
    /**
     * The lanes added in index order. Not {@code reduceLanes(ADD)}: its order differs between the interpreter
     * (sequential) and C2 (a tree), so the same call would round differently before and after compilation and
     * training would not be bit-reproducible. Called once per channel, outside any hot loop.
     */
    private static float laneSum(FloatVector v) {
        float s = 0f;
        for (int i = 0; i < L; i++) s += v.lane(i);
        return s;
    }

    private static void biasGradient(int n, int k, int ohw, float[] dz, int dzOff, float[] db, int dbOff) {
        int vecEnd = F.loopBound(ohw);
        for (int ch = 0; ch < k; ch++) {
            FloatVector sum = FloatVector.zero(F);
            float tail = 0f;
            for (int img = 0; img < n; img++) {
                int base = dzOff + (img * k + ch) * ohw;
                int i = 0;
                for (; i < vecEnd; i += L) sum = sum.add(FloatVector.fromArray(F, dz, base + i));
                for (; i < ohw; i++) tail += dz[base + i];
            }
            db[dbOff + ch] = laneSum(sum) + tail;
        }
    }

    /**
     * acc[v][t] += sum over a band of output pixels of dz[v][pix] * x[pix tap base + t], t in [0, 6):
     * 6 consecutive (s, c) taps of one kernel row x 32 output channels.
     */
    private static void wTile6x2(float[] x, int xb, int[] pixOff, int pixels,
                                 float[] dzb, int d0, int d1, float[] acc, int o0, int o1, int valid) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
        FloatVector a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
        // one flat loop over the band's pixels: dz walks linearly, the input through pixOff
        for (int px = 0; px < pixels; px++) {
            int xi = xb + pixOff[px];
            FloatVector dv0 = FloatVector.fromArray(F, dzb, d0 + px * L);
            FloatVector dv1 = FloatVector.fromArray(F, dzb, d1 + px * L);
            FloatVector xv = FloatVector.broadcast(F, x[xi]);
            a00 = dv0.fma(xv, a00);
            a01 = dv1.fma(xv, a01);
            xv = FloatVector.broadcast(F, x[xi + 1]);
            a10 = dv0.fma(xv, a10);
            a11 = dv1.fma(xv, a11);
            xv = FloatVector.broadcast(F, x[xi + 2]);
            a20 = dv0.fma(xv, a20);
            a21 = dv1.fma(xv, a21);
            xv = FloatVector.broadcast(F, x[xi + 3]);
            a30 = dv0.fma(xv, a30);
            a31 = dv1.fma(xv, a31);
            xv = FloatVector.broadcast(F, x[xi + 4]);
            a40 = dv0.fma(xv, a40);
            a41 = dv1.fma(xv, a41);
            xv = FloatVector.broadcast(F, x[xi + 5]);
            a50 = dv0.fma(xv, a50);
            a51 = dv1.fma(xv, a51);
        }
        FloatVector.fromArray(F, acc, o0).add(a00).intoArray(acc, o0);
        FloatVector.fromArray(F, acc, o1).add(a01).intoArray(acc, o1);
        if (valid > 1) {
            FloatVector.fromArray(F, acc, o0 + L).add(a10).intoArray(acc, o0 + L);
            FloatVector.fromArray(F, acc, o1 + L).add(a11).intoArray(acc, o1 + L);
        }
        if (valid > 2) {
            FloatVector.fromArray(F, acc, o0 + 2 * L).add(a20).intoArray(acc, o0 + 2 * L);
            FloatVector.fromArray(F, acc, o1 + 2 * L).add(a21).intoArray(acc, o1 + 2 * L);
        }
        if (valid > 3) {
            FloatVector.fromArray(F, acc, o0 + 3 * L).add(a30).intoArray(acc, o0 + 3 * L);
            FloatVector.fromArray(F, acc, o1 + 3 * L).add(a31).intoArray(acc, o1 + 3 * L);
        }
        if (valid > 4) {
            FloatVector.fromArray(F, acc, o0 + 4 * L).add(a40).intoArray(acc, o0 + 4 * L);
            FloatVector.fromArray(F, acc, o1 + 4 * L).add(a41).intoArray(acc, o1 + 4 * L);
        }
        if (valid > 5) {
            FloatVector.fromArray(F, acc, o0 + 5 * L).add(a50).intoArray(acc, o0 + 5 * L);
            FloatVector.fromArray(F, acc, o1 + 5 * L).add(a51).intoArray(acc, o1 + 5 * L);
        }
    }

    /** 12 consecutive taps x 16 output channels (the last, odd block of a group). */
    private static void wTile12x1(float[] x, int xb, int[] pixOff, int pixels,
                                  float[] dzb, int d0, float[] acc, int o0, int valid) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        FloatVector a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (int px = 0; px < pixels; px++) {
            int xi = xb + pixOff[px];
            FloatVector dv = FloatVector.fromArray(F, dzb, d0 + px * L);
            a0 = dv.fma(FloatVector.broadcast(F, x[xi]), a0);
            a1 = dv.fma(FloatVector.broadcast(F, x[xi + 1]), a1);
            a2 = dv.fma(FloatVector.broadcast(F, x[xi + 2]), a2);
            a3 = dv.fma(FloatVector.broadcast(F, x[xi + 3]), a3);
            a4 = dv.fma(FloatVector.broadcast(F, x[xi + 4]), a4);
            a5 = dv.fma(FloatVector.broadcast(F, x[xi + 5]), a5);
            a6 = dv.fma(FloatVector.broadcast(F, x[xi + 6]), a6);
            a7 = dv.fma(FloatVector.broadcast(F, x[xi + 7]), a7);
            a8 = dv.fma(FloatVector.broadcast(F, x[xi + 8]), a8);
            a9 = dv.fma(FloatVector.broadcast(F, x[xi + 9]), a9);
            a10 = dv.fma(FloatVector.broadcast(F, x[xi + 10]), a10);
            a11 = dv.fma(FloatVector.broadcast(F, x[xi + 11]), a11);
        }
        FloatVector.fromArray(F, acc, o0).add(a0).intoArray(acc, o0);
        if (valid > 1) FloatVector.fromArray(F, acc, o0 + L).add(a1).intoArray(acc, o0 + L);
        if (valid > 2) FloatVector.fromArray(F, acc, o0 + 2 * L).add(a2).intoArray(acc, o0 + 2 * L);
        if (valid > 3) FloatVector.fromArray(F, acc, o0 + 3 * L).add(a3).intoArray(acc, o0 + 3 * L);
        if (valid > 4) FloatVector.fromArray(F, acc, o0 + 4 * L).add(a4).intoArray(acc, o0 + 4 * L);
        if (valid > 5) FloatVector.fromArray(F, acc, o0 + 5 * L).add(a5).intoArray(acc, o0 + 5 * L);
        if (valid > 6) FloatVector.fromArray(F, acc, o0 + 6 * L).add(a6).intoArray(acc, o0 + 6 * L);
        if (valid > 7) FloatVector.fromArray(F, acc, o0 + 7 * L).add(a7).intoArray(acc, o0 + 7 * L);
        if (valid > 8) FloatVector.fromArray(F, acc, o0 + 8 * L).add(a8).intoArray(acc, o0 + 8 * L);
        if (valid > 9) FloatVector.fromArray(F, acc, o0 + 9 * L).add(a9).intoArray(acc, o0 + 9 * L);
        if (valid > 10) FloatVector.fromArray(F, acc, o0 + 10 * L).add(a10).intoArray(acc, o0 + 10 * L);
        if (valid > 11) FloatVector.fromArray(F, acc, o0 + 11 * L).add(a11).intoArray(acc, o0 + 11 * L);
    }

    /** As {@link #pack}, in place into {@code into}'s array (zero-filled first, so the padding lanes are zero). */
    @Override
    public void repack(ConvParams p, float[] w, int wOff, PackedConvWeights into) {
        ConvChecks.repack(VARIANT, p, w, wOff, into, (long) p.groups() * blocks(p.kg()) * p.r() * p.s() * p.cg() * L);
        Arrays.fill(into.data(), 0f);
        packForward(w, wOff, p.groups(), p.kg(), p.cg(), p.r(), p.s(), into.data());
    }

    // ------------------------------------------------------------------------------ per-thread work

    /** Grow-only buffers and the geometry of the convolution the current call runs; confined to one thread. */
    private static final class Work {
        float[] xs = new float[0];
        float[] bias = new float[0];
        float[] wt = new float[0];
        float[] dzb = new float[0];
        float[] dwb = new float[0];
        final float[] stage = new float[2 * CHUNK * L];
        final int[] pixelBase = new int[12];
        /** Gather offsets of 16 consecutive channels in an NCHW tensor: lane * plane size. */
        final int[] channelMap = new int[L];
        int[] segOff = new int[0];
        int[] pixOff = new int[0];
        // geometry: groups, channels per group in (cg) and out (kg), kernel, stride, output size,
        // padded scratch size, and the reduction split into nseg contiguous runs of `inner` values.
        int groups, cg, kg, r, s, sh, sw, dh, dw, oh, ow, hp, wp, nseg, inner;
        // width path: planar scratch xs[c][hp][wq = sw phases of wph], reduction offsets tapOff[(r*S + s)*cg + c]
        boolean width;
        int wq, wph, taps;
        int[] tapOff = new int[0];
        final int[] tileW = new int[6], tileY = new int[6], tileX = new int[6];
        final float[] tileB = new float[6];
        final float[] rowAcc = new float[6 * WIDTH_TILE];

        /**
         * Sets the geometry. {@code allowWidth}: the caller can take the planar layout of the
         * vectorized-over-width path, chosen when the channel-blocked tile would
         * waste lanes (fewer than 8 output channels per group) or the reduction is too short to pay for
         * the transposed store (C/G*R*S &lt; 64, e.g. a first layer on a grey image).
         */
        void plan(int groups, int cg, int kg, int r, int s, int sh, int sw, int dh, int dw, int oh, int ow, boolean allowWidth) {
            this.groups = groups;
            this.cg = cg;
            this.kg = kg;
            this.r = r;
            this.s = s;
            this.sh = sh;
            this.sw = sw;
            this.dh = dh;
            this.dw = dw;
            this.oh = oh;
            this.ow = ow;
            this.hp = (oh - 1) * sh + dh * (r - 1) + 1;
            this.wp = (ow - 1) * sw + dw * (s - 1) + 1;
            boolean rowContiguous = dw == 1 || s == 1;
            this.inner = rowContiguous ? s * cg : cg;
            this.nseg = rowContiguous ? r : r * s;
            if (segOff.length < nseg) segOff = new int[nseg];
            for (int q = 0; q < nseg; q++) {
                int rr = rowContiguous ? q : q / s, ss = rowContiguous ? 0 : q % s;
                segOff[q] = (rr * dh * wp + ss * dw) * cg;
            }
            this.width = allowWidth && (kg < 8 || cg * r * s < 64);
            if (width) {
                // a scratch row holds sw column phases of wph values (padded column j at phase j % sw,
                // position j / sw), so the columns one tap reads for consecutive outputs are contiguous
                this.wph = (ow + WIDTH_TILE - 1) / WIDTH_TILE * WIDTH_TILE + dw * (s - 1) / sw + 1;
                this.wq = sw * wph;
                this.taps = cg * r * s;
                if (tapOff.length < taps) tapOff = new int[taps];
                for (int rr = 0; rr < r; rr++) {
                    for (int ss = 0; ss < s; ss++) {
                        int col = (ss * dw) % sw * wph + ss * dw / sw;
                        for (int c = 0; c < cg; c++) tapOff[(rr * s + ss) * cg + c] = (c * hp + rr * dh) * wq + col;
                    }
                }
            }
        }

        /**
         * Copies one NCHW image into the zero-padded channel-last scratch xs[g][hp][wp][cg]: source pixel
         * (i, j) lands at (i*spreadH + padT, j*spreadW + padL); pads may be negative (cropping) and
         * spread &gt; 1 leaves zeros between source pixels (transposed convolution).
         */
        void fillInput(float[] src, int off, int c, int h, int w, int spreadH, int spreadW, int padT, int padL) {
            if (width) {
                fillPlanes(src, off, c, h, w, spreadH, spreadW, padT, padL);
                return;
            }
            int size = groups * hp * wp * cg;
            xs = grow(xs, size + SLACK);
            Arrays.fill(xs, 0, size + SLACK, 0f);
            int iLo = Math.max(0, ceilDiv(-padT, spreadH)), iHi = Math.min(h, ceilDiv(hp - padT, spreadH));
            int jLo = Math.max(0, ceilDiv(-padL, spreadW)), jHi = Math.min(w, ceilDiv(wp - padL, spreadW));
            int step = spreadW * cg;
            if (cg < 4) {
                // few channels per pixel: a plain strided copy (a contiguous one for one channel) beats gathers
                for (int ch = 0; ch < c; ch++) {
                    int g = ch / cg, cl = ch % cg;
                    for (int i = iLo; i < iHi; i++) {
                        int srcRow = off + (ch * h + i) * w;
                        int dstRow = ((g * hp + i * spreadH + padT) * wp + padL) * cg + cl;
                        if (step == 1) {
                            System.arraycopy(src, srcRow + jLo, xs, dstRow + jLo, jHi - jLo);
                        } else {
                            for (int j = jLo; j < jHi; j++) xs[dstRow + j * step] = src[srcRow + j];
                        }
                    }
                }
                return;
            }
            // 16 channels of one pixel per gather (NCHW -> channel-last)
            for (int ch0 = 0; ch0 < c; ch0 += Math.min(L, cg - ch0 % cg)) {
                int g = ch0 / cg, cl = ch0 % cg, valid = Math.min(L, cg - cl);
                VectorMask<Float> m = F.indexInRange(0, valid);
                channelMap(channelMap, h * w, valid);
                for (int i = iLo; i < iHi; i++) {
                    int srcRow = off + (ch0 * h + i) * w;
                    int dstRow = ((g * hp + i * spreadH + padT) * wp + padL) * cg + cl;
                    if (valid == L) {
                        for (int j = jLo; j < jHi; j++) FloatVector.fromArray(F, src, srcRow + j, channelMap, 0).intoArray(xs, dstRow + j * step);
                    } else {
                        for (int j = jLo; j < jHi; j++) FloatVector.fromArray(F, src, srcRow + j, channelMap, 0, m).intoArray(xs, dstRow + j * step, m);
                    }
                }
            }
        }

        /**
         * The channel-last scratch of a strided 1x1 convolution planned with stride 1: xs[g][oh][ow][cg]
         * = x[g*cg + c][oh*strideH - padT][ow*strideW - padL], zero where that falls into the padding.
         */
        void fillSampled(float[] src, int off, int c, int h, int w, int strideH, int strideW, int padT, int padL) {
            int size = groups * hp * wp * cg;
            xs = grow(xs, size + SLACK);
            Arrays.fill(xs, 0, size + SLACK, 0f);
            for (int ch0 = 0; ch0 < c; ch0 += Math.min(L, cg - ch0 % cg)) {
                int g = ch0 / cg, cl = ch0 % cg, valid = Math.min(L, cg - cl);
                VectorMask<Float> m = F.indexInRange(0, valid);
                channelMap(channelMap, h * w, valid);
                for (int row = 0; row < hp; row++) {
                    int i = row * strideH - padT;
                    if (i < 0 || i >= h) continue;
                    int srcRow = off + (ch0 * h + i) * w, dstRow = (g * hp + row) * wp * cg + cl;
                    for (int col = 0; col < wp; col++) {
                        int j = col * strideW - padL;
                        if (j < 0 || j >= w) continue;
                        if (valid == L) {
                            FloatVector.fromArray(F, src, srcRow + j, channelMap, 0).intoArray(xs, dstRow + col * cg);
                        } else {
                            FloatVector.fromArray(F, src, srcRow + j, channelMap, 0, m).intoArray(xs, dstRow + col * cg, m);
                        }
                    }
                }
            }
        }

        /** As {@link #fillInput} into planar xs[c][hp][wq] (the width path; columns past the padded input stay zero). */
        private void fillPlanes(float[] src, int off, int c, int h, int w, int spreadH, int spreadW, int padT, int padL) {
            int size = c * hp * wq;
            xs = grow(xs, size + SLACK);
            Arrays.fill(xs, 0, size + SLACK, 0f);
            int iLo = Math.max(0, ceilDiv(-padT, spreadH)), iHi = Math.min(h, ceilDiv(hp - padT, spreadH));
            int jLo = Math.max(0, ceilDiv(-padL, spreadW)), jHi = Math.min(w, ceilDiv(wp - padL, spreadW));
            for (int ch = 0; ch < c; ch++) {
                for (int i = iLo; i < iHi; i++) {
                    int srcRow = off + (ch * h + i) * w;
                    int dstRow = (ch * hp + i * spreadH + padT) * wq;
                    if (sw == 1 && spreadW == 1) {
                        System.arraycopy(src, srcRow + jLo, xs, dstRow + padL + jLo, jHi - jLo);
                    } else {
                        for (int j = jLo; j < jHi; j++) {
                            int col = j * spreadW + padL;
                            xs[dstRow + col % sw * wph + col / sw] = src[srcRow + j];
                        }
                    }
                }
            }
        }

        static float[] grow(float[] a, int n) {
            return a.length >= n ? a : new float[Math.max(n, a.length + (a.length >> 1))];
        }

        static int[] grow(int[] a, int n) {
            return a.length >= n ? a : new int[Math.max(n, a.length + (a.length >> 1))];
        }

        private static int ceilDiv(int a, int b) {
            return Math.floorDiv(a + b - 1, b);
        }
    }
}
