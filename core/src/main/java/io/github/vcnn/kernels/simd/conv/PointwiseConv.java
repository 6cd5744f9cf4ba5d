package io.github.vcnn.kernels.simd.conv;

import io.github.vcnn.exec.WorkerPool;
import io.github.vcnn.kernels.Activation;
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
 * <p>Weights are packed {@code [ceil(K/KT)][C][KT]} (KT = the register tile's output channels, zero past K), so a
 * tile's KT weights of one input channel are adjacent. Per unit of work (one image's run of pixel blocks of 2L): at
 * stride 1 the tile reads the input rows in place ({@code x[c][p0 .. p0+2L)}, a short last block moved left to end at
 * the image's last pixel); at stride &gt; 1 the output rows the unit's blocks span are first sampled, row by row, into a
 * compact plane {@code xb[C][rows x outW]} that the tile reads as it reads x at stride 1 (images of fewer than 2L output
 * pixels gather each block into {@code xb[C][2L]}, zero past the image). For each group
 * of KT output channels the generated tile of {@link ConvTiles} runs over the unit's blocks (its weights stay in L1);
 * a whole tile with a bias and ReLU or no activation adds the bias, applies ReLU and stores its rows to NCHW in
 * registers ({@code pointwiseKTx2Stored}); other tiles park their sums in a staging block, where the bias and the fused
 * activation are applied before the rows are copied out.
 *
 * <p>Stateless and thread-safe: scratch is per thread; units are split over {@link WorkerPool#shared()} and each is
 * computed the same way whichever thread runs it, so results are bit-identical for any thread count.
 */
public final class PointwiseConv {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Pixels per unit: the two vectors of the tile. */
    private static final int PIX = 2 * L;
    /**
     * Output channels per register tile by default: the channel-blocked path's pixel count (5 on AVX2, 14 on 32-register
     * ISAs); see {@link #channelTile}.
     */
    private static final int KT = RegisterTiles.CONV_PAIR_TILE;
    /** Input bytes of one unit's run of blocks (C x run x 2L floats): an L2 share. */
    private static final int RUN_BYTES = 96 * 1024;
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
     * Whether the simd variant packs {@code p} for this kernel: it {@link #applies} and is enabled; at stride 1 with at
     * least 8 input channels and at most 1 MiB of weights (reading the input in place; SqueezeNet's 512 -> 1000 classifier
     * ran 4% faster on the channel-blocked path), at stride &gt; 1 with 48 to 128 (the sampling copy is paid once per
     * unit; this range was measured with the per-block gather it replaced, not measured again). Measured on Zen 2 (AVX2) and Zen 4 (AVX-512), NOTES.md: on Zen 4, since the 8-channel tile, ResNet-18's 1x1
     * stride-2 downsample ran in 227 us against 255-282 on the channel-blocked path's sampled copy, and in 129-152 against
     * 231-265 at two threads (with the 14-channel tile the Xeon of session 6 had it the other way, 203 against 149).
     */
    public static boolean preferred(ConvParams p) {
        if (!ENABLED || !applies(p)) return false;
        boolean strided = p.strideH() > 1 || p.strideW() > 1;
        if (strided) return p.c() >= 48 && p.c() <= 128;
        return p.c() >= 8 && (long) p.c() * p.k() <= 256 * 1024;
    }

    /**
     * KT for {@code p}: the output channels of the register tile, the block of the packed layout. On 32 registers, 8
     * where it computes fewer channels than 14 (K = 16 ran 28 channels, 128 ran 140), else 14; on 16 registers, or
     * with {@code -Dvcnn.conv.tile}, the channel-blocked path's tile.
     */
    public static int channelTile(ConvParams p) {
        if (KT != 14 || RegisterTiles.FORCED_CONV_TILE != 0) return KT;
        return RegisterTiles.fewestComputed(p.k(), KT);
    }

    /** Floats of the packed weights of {@code p}: {@code ceil(K/KT) * KT * C}. */
    public static int packedLength(ConvParams p) {
        return RegisterTiles.roundUp(p.k(), channelTile(p)) * p.c();
    }

    /** The weights {@code w[K][C]} (from {@code wOff}) in this kernel's layout {@code [ceil(K/KT)][C][KT]}, zero past K. */
    public static float[] pack(ConvParams p, float[] w, int wOff) {
        float[] dst = new float[packedLength(p)];
        packInto(p, w, wOff, dst);
        return dst;
    }

    /** As {@link #pack} into {@code dst[0, packedLength(p))}. */
    public static void packInto(ConvParams p, float[] w, int wOff, float[] dst) {
        int c = p.c(), k = p.k(), tile = channelTile(p);
        for (int kt = 0; kt < (k + tile - 1) / tile; kt++) {
            for (int cc = 0; cc < c; cc++) {
                int d = (kt * c + cc) * tile;
                for (int i = 0; i < tile; i++) {
                    int kk = kt * tile + i;
                    dst[d + i] = kk < k ? w[wOff + kk * c + cc] : 0f;
                }
            }
        }
    }

    /** The plain weights {@code [K][C]} back from {@link #pack}'s layout. */
    public static float[] unpack(ConvParams p, float[] packed) {
        int c = p.c(), k = p.k(), tile = channelTile(p);
        float[] w = new float[k * c];
        for (int kk = 0; kk < k; kk++) {
            for (int cc = 0; cc < c; cc++) w[kk * c + cc] = packed[((kk / tile) * c + cc) * tile + kk % tile];
        }
        return w;
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
        int ohw = p.outH() * p.outW(), blocks = (ohw + PIX - 1) / PIX;
        int t = WorkerPool.usable(threads);
        // units of a few blocks: their input (C x run x 2L floats) stays in L2 while every group of KT channels reads it;
        // on several threads at least 4 units per thread (3 units of ResNet's 28x28 downsample kept 2 threads at 1.3x)
        int run = Math.max(1, Math.min(blocks, RUN_BYTES / (p.c() * PIX * Float.BYTES)));
        if (t > 1) run = Math.max(1, Math.min(run, (int) ((long) p.n() * blocks / (4L * t))));
        int runs = (blocks + run - 1) / run;
        // a multiple of the threads, and the blocks spread evenly over the runs: 25 blocks in runs of 3 had left one
        // thread 15 blocks and the other 10 (ResNet's 28x28 downsample at batch 1)
        if (t > 1 && p.n() % t != 0) runs = Math.min(blocks, (runs + t - 1) / t * t);
        run = (blocks + runs - 1) / runs;
        int units = p.n() * runs;
        Work wk = WORK.get();
        Task task = wk.task;
        task.set(p, x, xOff, w, wOff, bias, biasOff, act, y, yOff, blocks, run, runs);
        try {
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
        private int xOff, wOff, biasOff, yOff, blocks, run, runs;
        private Epilogue act;

        void set(ConvParams p, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff, Epilogue act, float[] y, int yOff,
                 int blocks, int run, int runs) {
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
            this.run = run;
            this.runs = runs;
        }

        void clear() {
            p = null;
            x = w = bias = y = null;
            act = null;
        }

        @Override
        public void run(int index, int from, int to) {
            Work own = WORK.get();
            int c = p.c(), k = p.k(), ow = p.outW(), ohw = p.outH() * ow, kt = channelTile(p);
            int sh = p.strideH(), sw = p.strideW(), h = p.h(), wd = p.w();
            boolean whole = ohw >= PIX, inPlace = sh == 1 && sw == 1 && whole;
            // strided with at least one whole block: sample the unit's output rows into a compact plane once (a gather
            // per block and row segment, with its divisions, took a quarter of ResNet's 28x28 downsample); else
            // gather each block (pixels past the image zero)
            boolean sampled = !inPlace && whole;
            // whole tiles with a bias and ReLU or no activation finish in registers, straight into y
            boolean relu = act.kind() == Activation.RELU, stored = bias != null && (relu || act.isIdentity());
            own.grow(inPlace ? 0 : sampled ? c * sampledPixels(run, ow) : c * run * PIX, run);
            float[] xb = own.xb, stage = own.stage;
            int[] p0s = own.p0s;
            for (int unit = from; unit < to; unit++) {
                int n = unit / runs, r = unit % runs, b0 = (int) ((long) r * blocks / runs), b1 = (int) ((long) (r + 1) * blocks / runs);
                int xImg = xOff + n * c * h * wd, yImg = yOff + n * k * ohw;
                for (int b = b0; b < b1; b++) {
                    int p0 = b * PIX;
                    p0s[b - b0] = whole ? Math.min(p0, ohw - PIX) : p0;   // a short last block ends at the last pixel
                    if (!whole) gather(p, x, xImg, p0, Math.min(PIX, ohw - p0), xb, (b - b0) * c * PIX);
                }
                // the sampled plane: output rows [row0, row1) of every channel, channel planes `plane` apart
                int row0 = sampled ? p0s[0] / ow : 0, plane = sampled ? ((p0s[b1 - b0 - 1] + PIX - 1) / ow + 1 - row0) * ow : 0;
                if (sampled) sample(p, x, xImg, row0, plane / ow, xb);
                for (int k0 = 0; k0 < k; k0 += kt) {
                    int rows = Math.min(kt, k - k0), wb = wOff + (k0 / kt) * c * kt;
                    for (int b = b0; b < b1; b++) {
                        int p0 = p0s[b - b0], len = whole ? PIX : Math.min(PIX, ohw - p0);
                        float[] xt = inPlace ? x : xb;
                        int xt0 = inPlace ? xImg + p0 : sampled ? p0 - row0 * ow : (b - b0) * c * PIX;
                        int xStride = inPlace ? h * wd : sampled ? plane : PIX;
                        if (stored && rows == kt && len == PIX) {
                            storedTile(kt, xt, xt0, xStride, c, w, wb, bias, biasOff + k0, relu, y, yImg + k0 * ohw + p0, ohw);
                            continue;
                        }
                        tile(kt, xt, xt0, xStride, c, w, wb, stage);
                        for (int i = 0; i < rows; i++) {
                            FloatVector bv = FloatVector.broadcast(F, bias == null ? 0f : bias[biasOff + k0 + i]);
                            FloatVector.fromArray(F, stage, i * PIX).add(bv).intoArray(stage, i * PIX);
                            FloatVector.fromArray(F, stage, i * PIX + L).add(bv).intoArray(stage, i * PIX + L);
                        }
                        FusedActivation.applyInPlace(act, stage, 0, rows * PIX);
                        for (int i = 0; i < rows; i++) {
                            int yb = yImg + (k0 + i) * ohw + p0;
                            if (len == PIX) {
                                FloatVector.fromArray(F, stage, i * PIX).intoArray(y, yb);
                                FloatVector.fromArray(F, stage, i * PIX + L).intoArray(y, yb + L);
                            } else {
                                System.arraycopy(stage, i * PIX, y, yb, len);
                            }
                        }
                    }
                }
            }
        }
    }

    /** Floats of one channel's sampled plane for a run of {@code run} blocks: the output rows 2L x run pixels can span. */
    private static int sampledPixels(int run, int ow) {
        return (run * PIX / ow + 2) * ow;
    }

    /**
     * Output rows [row0, row0 + nRows) of every input channel sampled at the strides into {@code xb[c][nRows x outW]}:
     * output pixel (oh, oc) reads input (oh * sh, oc * sw). A row's copy at stride 2 ({@link #copyRow}) writes its last
     * whole vector onto the next row or channel (written after it) or onto the slack L at xb's end.
     */
    private static void sample(ConvParams p, float[] x, int xImg, int row0, int nRows, float[] xb) {
        int c = p.c(), ow = p.outW(), sh = p.strideH(), sw = p.strideW(), h = p.h(), wd = p.w(), plane = nRows * ow;
        if (sw == 2 && xImg + (long) (c - 1) * h * wd + row0 * sh * wd + StrideTwoCopy.readRows(nRows, sh * wd, ow) <= x.length) {
            for (int cc = 0; cc < c; cc++) StrideTwoCopy.copyRows(x, xImg + cc * h * wd + row0 * sh * wd, sh * wd, nRows, ow, xb, cc * plane, ow);
            return;
        }
        for (int cc = 0; cc < c; cc++) {
            for (int i = 0; i < nRows; i++) {
                copyRow(x, xImg + cc * h * wd + (row0 + i) * sh * wd, sw, ow, xb, cc * plane + i * ow);
            }
        }
    }

    /**
     * Pixels [p0, p0+len) of every input channel into {@code xb[xo + c*2L ..]} (zero up to 2L), for images of fewer than
     * 2L output pixels: output pixel q reads input (q / ow * sh, q % ow * sw), copied by output-row segments
     * ({@link #copyRow}): at stride 2 its last whole vector lands on positions written later (the rest of the row, the
     * next channel, the next block, the zero fill) or on the slack at xb's end.
     */
    private static void gather(ConvParams p, float[] x, int xImg, int p0, int len, float[] xb, int xo) {
        int c = p.c(), ow = p.outW(), sh = p.strideH(), sw = p.strideW(), h = p.h(), wd = p.w();
        for (int cc = 0; cc < c; cc++) {
            int dst = xo + cc * PIX, src = xImg + cc * h * wd;
            for (int q = p0, end = p0 + len; q < end; ) {
                int oh = q / ow, oc = q % ow, seg = Math.min(end - q, ow - oc);
                copyRow(x, src + oh * sh * wd + oc * sw, sw, seg, xb, dst + q - p0);
                q += seg;
            }
            if (len < PIX) Arrays.fill(xb, dst + len, dst + PIX, 0f);
        }
    }

    /**
     * {@code xb[db + j] = x[sb + j*sw]} for j in [0, n): at stride 2 by {@link StrideTwoCopy} where its whole last vectors
     * stay inside x (it writes up to L-1 values more, the caller keeps room for them), else plainly.
     */
    private static void copyRow(float[] x, int sb, int sw, int n, float[] xb, int db) {
        if (sw == 1) System.arraycopy(x, sb, xb, db, n);
        else if (sw == 2 && sb + StrideTwoCopy.read(n) <= x.length) StrideTwoCopy.copy(x, sb, n, xb, db);
        else for (int j = 0; j < n; j++) xb[db + j] = x[sb + j * sw];
    }

    /** {@code kt} output channels x 2L pixels over the C input channels (rows {@code xStride} apart), to {@code stage[i][2L]}. */
    private static void tile(int kt, float[] x, int xb, int xStride, int c, float[] wp, int wb, float[] stage) {
        if (kt == 14) ConvTiles.pointwise14x2(x, xb, xStride, c, wp, wb, stage);
        else if (kt == RegisterTiles.NARROW_TILE) ConvTiles.pointwise8x2(x, xb, xStride, c, wp, wb, stage);
        else if (kt == 5) ConvTiles.pointwise5x2(x, xb, xStride, c, wp, wb, stage);
        else ConvTiles.pointwise6x2(x, xb, xStride, c, wp, wb, stage);
    }

    /** As {@link #tile}, then bias, ReLU (or nothing) and the store of the kt rows ({@code yStride} apart) from {@code yb}. */
    private static void storedTile(int kt, float[] x, int xb, int xStride, int c, float[] wp, int wb, float[] bias, int bb, boolean relu,
                                   float[] y, int yb, int yStride) {
        if (kt == 14) ConvTiles.pointwise14x2Stored(x, xb, xStride, c, wp, wb, bias, bb, relu, y, yb, yStride);
        else if (kt == RegisterTiles.NARROW_TILE) ConvTiles.pointwise8x2Stored(x, xb, xStride, c, wp, wb, bias, bb, relu, y, yb, yStride);
        else if (kt == 5) ConvTiles.pointwise5x2Stored(x, xb, xStride, c, wp, wb, bias, bb, relu, y, yb, yStride);
        else ConvTiles.pointwise6x2Stored(x, xb, xStride, c, wp, wb, bias, bb, relu, y, yb, yStride);
    }

    /** Per-thread grow-only scratch. */
    private static final class Work {
        float[] xb = new float[0];
        final float[] stage = new float[KT * PIX];
        int[] p0s = new int[0];
        final Task task = new Task();

        /** Room for {@code floats} of gathered or sampled input and the pixel starts of a run of {@code run} blocks. */
        void grow(int floats, int run) {
            if (xb.length < floats + L) xb = new float[floats + L];   // + L: the copy's last whole vector
            if (p0s.length < run) p0s = new int[run];
        }
    }
}
