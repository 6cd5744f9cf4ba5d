package io.github.vcnn.kernels.simd.conv;

import io.github.vcnn.exec.WorkerPool;
import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.simd.SimdConv;
import io.github.vcnn.kernels.simd.conv.gen.ConvTiles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * 1x1 convolutions (one group, no padding, any stride) straight on NCHW: {@code y[k][p] = act(sum_c w[k][c] x[c][p] + b[k])}
 * is the GEMM {@code W[K][C] X[C][P]} whose pixels are contiguous in both the input and the output, so it is vectorized
 * over pixels: the register tile broadcasts a weight {@code w[k][c]} for each of P output channels and FMAs it with two
 * vectors of 2L pixels of input channel c. No channel-last copy of the input and no transpose of the output, which on
 * the channel-blocked path cost as much as the arithmetic for a reduction of only 64 (ResNet's strided 1x1
 * downsample, SqueezeNet's squeeze and expand layers).
 *
 * <p>Per unit of work (one image's block of 2L output pixels): the block's input is copied into
 * {@code xb[C][2L]} (for stride &gt; 1 this copy does the subsampling; pixels past the image are zero), then for each
 * group of output channels the generated tile of {@link ConvTiles} runs with the roles swapped (its "weights" are the
 * pixel vectors, its broadcast operand the weight row {@code w[k][0..C)}), and the results, plus the bias and the fused
 * activation, are stored as NCHW rows. Weights stay in the plain layout {@code [K][C]} ({@link SimdConv#pack} with
 * block 1).
 *
 * <p>Stateless and thread-safe: scratch is per thread; units are split over {@link WorkerPool#shared()} and each is
 * computed the same way whichever thread runs it, so results are bit-identical for any thread count.
 */
public final class PointwiseConv {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Pixels per unit: the two vectors of the tile. */
    private static final int PIX = 2 * L;
    /** Output channels per register tile: the channel-blocked path's pixel count (5 on AVX2, 14 on 32-register ISAs). */
    private static final int KT = RegisterTiles.CONV_PAIR_TILE;
    private static final int[] ONE_SEGMENT = {0};
    /** {@code -Dvcnn.conv.pointwise=false} sends 1x1 convolutions to the channel-blocked path. */
    private static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("vcnn.conv.pointwise", "true").trim());

    private static final ThreadLocal<Work> WORK = ThreadLocal.withInitial(Work::new);

    private PointwiseConv() {
    }

    /** True for what this kernel computes: 1x1, one group, no padding (any stride and dilation, any N, C, K, H, W). */
    public static boolean applies(ConvParams p) {
        return p != null && p.r() == 1 && p.s() == 1 && p.groups() == 1
                && p.padTop() == 0 && p.padLeft() == 0 && p.padBottom() == 0 && p.padRight() == 0;
    }

    /**
     * Whether the simd variant packs {@code p} for this kernel: it {@link #applies}, is enabled, and has 48 to 128 input
     * channels. Measured on Zen 2 against the channel-blocked path (NOTES.md): 64 -> 128 at stride 2 (r18_ds) and
     * 64 -> 256 about 13% faster, 96 -> 16 even; 16 -> 64 and 256 -> 512 ran 12-25% slower (a reduction of 16 leaves the
     * tile's fixed cost unshared, one of 256 makes the channel-blocked copies cheap beside the arithmetic).
     */
    public static boolean preferred(ConvParams p) {
        return ENABLED && applies(p) && p.c() >= 48 && p.c() <= 128;
    }

    /**
     * Forward on up to {@code threads} threads of the shared pool. The arrays are not checked here: the caller
     * ({@link SimdConv#fwd}) has checked them against {@code p} ({@code ConvChecks.fwd}).
     *
     * @param x    input {@code [N][C][H][W]} from {@code xOff}
     * @param w    weights {@code [K][C]} from {@code wOff}
     * @param bias {@code [K]} from {@code biasOff}, or null
     * @param y    output {@code [N][K][outH][outW]} from {@code yOff}, overwritten
     */
    public static void fwd(ConvParams p, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff, Epilogue act,
                           float[] y, int yOff, int threads) {
        if (!applies(p)) throw new IllegalArgumentException("params: the pointwise kernel needs a 1x1 convolution with one group and no padding, not " + p);
        int ohw = p.outH() * p.outW(), blocks = (ohw + PIX - 1) / PIX, units = p.n() * blocks;
        Work wk = WORK.get();
        Task task = wk.task;
        task.set(p, x, xOff, w, wOff, bias, biasOff, act, y, yOff, blocks);
        try {
            int t = threads == 1 || WorkerPool.inWorker() ? 1 : Math.min(threads, WorkerPool.shared().threads());
            if (t == 1 || units == 1) task.run(0, 0, units);
            else WorkerPool.shared().runRanges(units, Math.min(t, units), t, task);
        } finally {
            task.clear();
        }
    }

    /** One call's arguments (one reusable instance per calling thread); a range of units per run. */
    private static final class Task implements WorkerPool.RangeTask {
        private ConvParams p;
        private float[] x, w, bias, y;
        private int xOff, wOff, biasOff, yOff, blocks;
        private Epilogue act;

        void set(ConvParams p, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff, Epilogue act, float[] y, int yOff,
                 int blocks) {
            this.p = p;
            this.x = x;
            this.xOff = xOff;
            this.w = w;
            this.wOff = wOff;
            this.bias = bias;
            this.biasOff = biasOff;
            this.act = act;
            this.y = y;
            this.yOff = yOff;
            this.blocks = blocks;
        }

        void clear() {
            p = null;
            x = w = bias = y = null;
            act = null;
        }

        @Override
        public void run(int index, int from, int to) {
            Work own = WORK.get();
            int c = p.c(), k = p.k(), ow = p.outW(), ohw = p.outH() * ow;
            own.grow(c);
            float[] xb = own.xb, stage = own.stage, zero = own.zero;
            int[] pb = own.pb, segSrc = own.segSrc, segDst = own.segDst, segLen = own.segLen;
            int sh = p.strideH(), sw = p.strideW(), h = p.h(), wd = p.w();
            for (int unit = from; unit < to; unit++) {
                int n = unit / blocks, p0 = (unit % blocks) * PIX, len = Math.min(PIX, ohw - p0);
                int xImg = xOff + n * c * h * wd, yImg = yOff + n * k * ohw;
                // xb[c][0..PIX): the block's pixels of every input channel (zero past the image), copied by output-row
                // segments (found once per unit): a contiguous copy at stride 1, a strided one else
                int segs = 0;
                for (int q = p0, end = p0 + len; q < end; ) {
                    int oh = q / ow, oc = q % ow, run = Math.min(end - q, ow - oc);
                    segSrc[segs] = oh * sh * wd + oc * sw;
                    segDst[segs] = q - p0;
                    segLen[segs++] = run;
                    q += run;
                }
                for (int cc = 0; cc < c; cc++) {
                    int dst = cc * PIX, src = xImg + cc * h * wd;
                    for (int g = 0; g < segs; g++) {
                        int sb = src + segSrc[g], db = dst + segDst[g], run = segLen[g];
                        if (sw == 1) System.arraycopy(x, sb, xb, db, run);
                        else for (int j = 0; j < run; j++) xb[db + j] = x[sb + j * sw];
                    }
                    if (len < PIX) Arrays.fill(xb, dst + len, dst + PIX, 0f);
                }
                for (int k0 = 0; k0 < k; k0 += KT) {
                    int rows = Math.min(KT, k - k0);
                    for (int i = 0; i < KT; i++) pb[i] = wOff + (k0 + Math.min(i, rows - 1)) * c;   // past K: the last row again (never stored)
                    tile(xb, pb, w, zero, stage, c);
                    for (int i = 0; i < rows; i++) {
                        FloatVector b = FloatVector.broadcast(F, bias == null ? 0f : bias[biasOff + k0 + i]);
                        FloatVector.fromArray(F, stage, i * L).add(b).intoArray(stage, i * L);
                        FloatVector.fromArray(F, stage, KT * L + i * L).add(b).intoArray(stage, KT * L + i * L);
                    }
                    FusedActivation.applyInPlace(act, stage, 0, 2 * KT * L);   // one call per tile (the rows past K are never stored)
                    for (int i = 0; i < rows; i++) {
                        int yb = yImg + (k0 + i) * ohw + p0;
                        if (len == PIX) {
                            FloatVector.fromArray(F, stage, i * L).intoArray(y, yb);
                            FloatVector.fromArray(F, stage, KT * L + i * L).intoArray(y, yb + L);
                        } else {
                            for (int j = 0; j < len; j++) y[yb + j] = stage[(j / L) * KT * L + i * L + j % L];
                        }
                    }
                }
            }
        }
    }

    /** KT output channels x 2L pixels over the C input channels: the generated tile, roles swapped (see the class comment). */
    private static void tile(float[] xb, int[] pb, float[] wp, float[] zero, float[] stage, int c) {   // wp: the weights [K][C]
        if (KT == 14) ConvTiles.fwd14x2(wp, pb, 0, xb, 0, ONE_SEGMENT, 0, 1, c, zero, 0, stage, 0, KT * L);
        else if (KT == 5) ConvTiles.fwd5x2(wp, pb, 0, xb, 0, ONE_SEGMENT, 0, 1, c, zero, 0, stage, 0, KT * L);
        else ConvTiles.fwd6x2(wp, pb, 0, xb, 0, ONE_SEGMENT, 0, 1, c, zero, 0, stage, 0, KT * L);
    }

    /** Per-thread grow-only scratch. */
    private static final class Work {
        float[] xb = new float[0];
        final float[] stage = new float[2 * KT * L], zero = new float[2 * L];
        final int[] pb = new int[KT], segSrc = new int[PIX], segDst = new int[PIX], segLen = new int[PIX];
        final Task task = new Task();

        void grow(int c) {
            if (xb.length < c * PIX) xb = new float[c * PIX];
        }
    }
}
