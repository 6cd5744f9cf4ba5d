package io.github.vcnn.kernels.simd.conv;

import io.github.vcnn.exec.WorkerPool;
import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.simd.conv.gen.ConvTiles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Weight gradient of a stride-1 convolution vectorized over input channels:
 * {@code dw[k][c][r][s] = sum over images and output pixels (i, j) of dz[k][i][j] * x[c][i + r*dh - padT][j + s*dw - padL]}.
 *
 * <p>Layouts (L = lanes): the input is copied channel-blocked and zero-padded, {@code xs[g][C/G/L][hp][wp][L]}
 * ({@code nChw{L}c} per group), and dz into rows of the same padded width, interleaved by groups of P output channels,
 * {@code dzp[g][K/G/P][outH*wp][P]}, zero in the columns past outW. Output pixel {@code px = i*wp + j} then reads input
 * vector {@code px + tap offset} for every tap, so a register tile (P output channels broadcast from dz x V vectors of
 * input channels, {@link ConvTiles}{@code .bwdWcPxV}) is one flat loop whose indexes are affine in the loop variable
 * (C2 hoists the range checks) and whose input and dz streams are contiguous. The padding columns cost
 * {@code (wp - outW) / wp} of the work (3% on a 56-wide image, 22% on LeNet's 14-wide one).
 *
 * <p>Sums: each weight's sum runs over images, bands and pixels in one fixed order, whichever thread computes it;
 * results are bit-identical for any thread count. Non-finite inputs: a padding column multiplies an input value by a
 * zero dz, so an infinite input can turn an infinite weight gradient into NaN.
 */
public final class BwdWeightsOverChannels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /**
     * Output channels per register tile: 4 on 16 vector registers (with 5, C2 loads the five broadcasts of a step up
     * front, 10 accumulators + 2 input vectors + 5 broadcasts do not fit, and one accumulator went through the stack
     * every step: read in the generated code on Zen 2), 14 on 32 registers; {@code -Dvcnn.conv.tile=5x2|6x2|14x2}
     * forces 5, 6 or 14.
     */
    private static final int P = RegisterTiles.FORCED_CONV_TILE != 0 ? RegisterTiles.FORCED_CONV_TILE
            : RegisterTiles.WIDE_REGISTER_FILE ? 14 : 4;
    /** Pixels per band: a tile's input slice (2 vectors per pixel) stays in a 16 KB share of L1 across its output channels. */
    private static final int BAND_PIXELS = 2048 / L;

    private static final ThreadLocal<Work> WORK = ThreadLocal.withInitial(Work::new);

    private BwdWeightsOverChannels() {
    }

    /** Stride 1 and at least one full vector of input channels per group (fewer channels waste most lanes). */
    public static boolean applies(ConvParams p) {
        return p.strideH() == 1 && p.strideW() == 1 && p.cg() >= L && scratchFits(p);
    }

    private static boolean scratchFits(ConvParams p) {
        long hp = p.h() + (long) p.padTop() + p.padBottom(), wp = p.w() + (long) p.padLeft() + p.padRight();
        long cbs = (p.cg() + L - 1) / L, kq = (p.kg() + P - 1) / P;
        long xs = p.groups() * cbs * hp * wp * L + (long) (p.dilationW() * (p.s() - 1) + 1) * L;
        long dzp = p.groups() * kq * p.outH() * wp * P;
        long acc = (long) p.groups() * p.r() * p.s() * p.kg() * cbs * L;
        return Math.max(xs, Math.max(dzp, acc)) <= Integer.MAX_VALUE - 64;
    }

    /**
     * {@code dw = } the weight gradient ({@code [K][C/G][R][S]} from {@code dwOff}, overwritten) of x ({@code [N][C][H][W]})
     * and dz ({@code [N][K][outH][outW]}); the caller has checked the arrays and that {@link #applies} holds.
     */
    public static void bwdWeights(ConvParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff, int threads) {
        Work wk = WORK.get();
        int groups = p.groups(), kg = p.kg(), cg = p.cg(), rs = p.r() * p.s(), cbs = (cg + L - 1) / L;
        int accSize = groups * rs * kg * cbs * L;
        float[] acc = wk.acc = Work.grow(wk.acc, accSize);
        Arrays.fill(acc, 0, accSize, 0f);
        int units = groups * rs * ((cbs + 1) / 2);
        int t = Math.min(WorkerPool.usable(threads), units);
        Split split = wk.split;
        split.set(p, x, xOff, dz, dzOff, acc);
        try {
            if (t == 1) split.run(0, 0, units);
            else WorkerPool.shared().runRanges(units, t, t, split);
        } finally {
            split.clear();
        }
        // acc[g][t][k][cbs*L] -> dw[g*Kg + k][c][r][s]
        for (int g = 0; g < groups; g++) {
            for (int tap = 0; tap < rs; tap++) {
                for (int k = 0; k < kg; k++) {
                    int src = ((g * rs + tap) * kg + k) * cbs * L, dst = dwOff + (g * kg + k) * cg * rs + tap;
                    for (int c = 0; c < cg; c++) dw[dst + c * rs] = acc[src + c];
                }
            }
        }
    }

    /** Units [from, to) of (group, tap, pair of input-channel blocks), every image and band, on the running thread. */
    private static void units(ConvParams p, Work own, float[] x, int xOff, float[] dz, int dzOff, float[] acc, int from, int to) {
        if (from >= to) return;
        int groups = p.groups(), kg = p.kg(), cg = p.cg(), s = p.s(), rs = p.r() * s;
        int cbs = (cg + L - 1) / L, pairs = (cbs + 1) / 2, kq = (kg + P - 1) / P;
        int hp = p.h() + p.padTop() + p.padBottom(), wp = p.w() + p.padLeft() + p.padRight(), oh = p.outH();
        int xPlane = hp * wp * L, dzPlane = oh * wp * P;
        own.prepare(groups * cbs * xPlane + (p.dilationW() * (s - 1) + 1) * L, groups * kq * dzPlane);
        int bandRows = Math.max(1, BAND_PIXELS / wp);
        for (int n = 0; n < p.n(); n++) {
            fillInput(p, x, xOff + n * p.c() * p.h() * p.w(), own.xs, cbs, hp, wp);
            fillGradient(p, dz, dzOff + n * p.k() * oh * p.outW(), own.dzp, kq, wp);
            for (int i0 = 0; i0 < oh; i0 += bandRows) {
                int px0 = i0 * wp, pixels = Math.min(bandRows, oh - i0) * wp;
                for (int u = from; u < to; u++) {
                    int g = u / (rs * pairs), tap = u / pairs % rs, cb = 2 * (u % pairs);
                    int tapOff = ((tap / s) * p.dilationH() * wp + (tap % s) * p.dilationW()) * L;
                    int xb = (g * cbs + cb) * xPlane + px0 * L + tapOff;
                    boolean pair = cbs - cb >= 2;
                    for (int q = 0; q < kq; q++) {
                        int k0 = q * P, valid = Math.min(P, kg - k0);
                        int db = (g * kq + q) * dzPlane + px0 * P;
                        int o0 = ((g * rs + tap) * kg + k0) * cbs * L + cb * L;
                        tile(pair, own.xs, xb, xPlane, pixels, own.dzp, db, valid, acc, o0, cbs * L);
                    }
                }
            }
        }
    }

    private static void tile(boolean pair, float[] xs, int xb, int xPlane, int pixels, float[] dzp, int db, int valid, float[] acc,
                             int o0, int oStep) {
        if (pair) {
            if (P == 4) ConvTiles.bwdWc4x2(xs, xb, xPlane, pixels, dzp, db, valid, acc, o0, oStep);
            else if (P == 5) ConvTiles.bwdWc5x2(xs, xb, xPlane, pixels, dzp, db, valid, acc, o0, oStep);
            else if (P == 14) ConvTiles.bwdWc14x2(xs, xb, xPlane, pixels, dzp, db, valid, acc, o0, oStep);
            else ConvTiles.bwdWc6x2(xs, xb, xPlane, pixels, dzp, db, valid, acc, o0, oStep);
        } else {
            if (P == 4) ConvTiles.bwdWc4x1(xs, xb, xPlane, pixels, dzp, db, valid, acc, o0, oStep);
            else if (P == 5) ConvTiles.bwdWc5x1(xs, xb, xPlane, pixels, dzp, db, valid, acc, o0, oStep);
            else if (P == 14) ConvTiles.bwdWc14x1(xs, xb, xPlane, pixels, dzp, db, valid, acc, o0, oStep);
            else ConvTiles.bwdWc6x1(xs, xb, xPlane, pixels, dzp, db, valid, acc, o0, oStep);
        }
    }

    /**
     * One NCHW image into xs[g][cb][hp][wp][L]: only the interior is written; the padding and the lanes past C/G stay
     * zero from {@link Work#prepare}. Scalar stores L floats apart (gathers are slow on AVX2 and need masks on tails).
     */
    private static void fillInput(ConvParams p, float[] x, int off, float[] xs, int cbs, int hp, int wp) {
        int cg = p.cg(), h = p.h(), w = p.w(), padT = p.padTop(), padL = p.padLeft();
        for (int ch = 0; ch < p.c(); ch++) {
            int g = ch / cg, cl = ch % cg;
            int plane = ((g * cbs + cl / L) * hp + padT) * wp * L + padL * L + cl % L;
            int src = off + ch * h * w;
            for (int i = 0; i < h; i++) {
                int d = plane + i * wp * L, sr = src + i * w;
                for (int j = 0; j < w; j++) xs[d + j * L] = x[sr + j];
            }
        }
    }

    /** One image's dz into dzp[g][q][i*wp + j][P] for j < outW (the padding columns and channels past K/G stay zero). */
    private static void fillGradient(ConvParams p, float[] dz, int off, float[] dzp, int kq, int wp) {
        int kg = p.kg(), oh = p.outH(), ow = p.outW(), dzPlane = oh * wp * P;
        for (int k = 0; k < p.k(); k++) {
            int g = k / kg, kl = k % kg;
            int dst = (g * kq + kl / P) * dzPlane + kl % P, src = off + k * oh * ow;
            for (int i = 0; i < oh; i++) {
                int d = dst + i * wp * P, sr = src + i * ow;
                for (int j = 0; j < ow; j++) dzp[d + j * P] = dz[sr + j];
            }
        }
    }

    /** The call's arguments for the pool threads; one reusable instance per calling thread. */
    private static final class Split implements WorkerPool.RangeTask {
        private ConvParams p;
        private float[] x, dz, acc;
        private int xOff, dzOff;

        void set(ConvParams p, float[] x, int xOff, float[] dz, int dzOff, float[] acc) {
            this.p = p;
            this.x = x;
            this.xOff = xOff;
            this.dz = dz;
            this.dzOff = dzOff;
            this.acc = acc;
        }

        void clear() {
            p = null;
            x = dz = acc = null;
        }

        @Override
        public void run(int index, int from, int to) {
            units(p, WORK.get(), x, xOff, dz, dzOff, acc, from, to);
        }
    }

    /** Per-thread grow-only scratch. */
    private static final class Work {
        float[] xs = new float[0], dzp = new float[0], acc = new float[0];
        final Split split = new Split();

        /** Sizes this thread's copies and zeroes them (padding and tail lanes must read as zero). */
        void prepare(int xsSize, int dzpSize) {
            xs = grow(xs, xsSize);
            dzp = grow(dzp, dzpSize);
            Arrays.fill(xs, 0, xsSize, 0f);
            Arrays.fill(dzp, 0, dzpSize, 0f);
        }

        static float[] grow(float[] a, int n) {
            return a.length >= n ? a : new float[Math.max(n, a.length + (a.length >> 1))];
        }
    }
}
