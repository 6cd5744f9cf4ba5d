package io.github.vcnn.kernels.simd.conv;

import io.github.vcnn.kernels.Activation;
import io.github.vcnn.kernels.Checks;
import io.github.vcnn.kernels.ConvChecks;
import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.exec.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Winograd forward convolution for 3x3 and 5x5 kernels, stride 1, dilation 1, one group (any padding, batch and image
 * size), in three variants (Lavin and Gray, 2015): F(4x4,3x3), each 4x4 block of outputs from a 6x6 input tile with 36
 * multiplies per (input, output) channel pair instead of 144 (interpolation points 0, 1, -1, 2, -2, infinity),
 * F(2x2,3x3), 2x2 outputs from 4x4 tiles with 16 instead of 36, and F(2x2,5x5), 2x2 outputs from 6x6 tiles with 36
 * instead of 100. {@link #outputTile} picks F(2x2,3x3) when F(4x4)'s transformed weights would exceed 4 MiB (C*K above
 * about 29,000, e.g. 256 -> 256 or 128 -> 256), from C and K only. F(2x2,5x5) uses the points of F(4x4,3x3): the
 * input transform B^T depends only on the points (and the scale factors kept in G), so the 6x6 input transform and
 * the GEMMs are shared, and only G (6x5) and A^T (2x6) differ.
 *
 * <p>{@code Y = A^T [ sum_c (G g_kc G^T) . (B^T d_c B) ] A} per tile: the weight transform {@code U = G g G^T} is done
 * once ({@link #transformWeights}); per call the input tiles are transformed ({@code V = B^T d B}), (m+2)^2 independent
 * GEMMs {@code M[xi] = V[xi] U[xi]} sum over input channels, and the output transform {@code A^T M A} with bias and
 * the fused activation gives m x m outputs per tile and channel.
 *
 * <p>Layouts, with {@code L} the lanes of {@link FloatVector#SPECIES_PREFERRED}, {@code KB = ceil(K/L)}, {@code Cp = ceil(C/L)*L}:
 * <ul>
 * <li>transformed weights {@code u[(m+2)^2][KB/2][Cp][2L]} (then {@code [Cp][L]} for an odd KB): per tile position, pairs of
 *     output-channel blocks interleaved per input channel, so the two weight vectors of a GEMM step are adjacent; zero past
 *     K and C ({@link #transformWeights});</li>
 * <li>per call, per thread: the input copied channel-blocked and zero-padded into a ring of rows {@code [C/L][ring][Wp][L]}
 *     ({@code Wp = m*ceil(outW/m) + R - 1}), filled row by row as the blocks reach them, so only the rows of the current
 *     block are held (L2-sized) and a tile is (m+2)^2 vector loads; for a block of {@code TB} tiles (a multiple of the
 *     register tile) the transformed input {@code V[(m+2)^2][TB][Cp]} and the GEMM result {@code M[(m+2)^2][TB][KB*L]};
 *     a staging block {@code [KB][m][m*tiles][L]} for one run of tiles of a tile row, copied from there into NCHW rows.</li>
 * </ul>
 * Tiles are numbered across a group of images of the batch when one image has fewer tiles than a block.
 * The GEMM's register tile is 5 tiles x 2 vectors of output channels on 16-register ISAs (AVX2), 6 x 2 on 32-register
 * ones (one flat loop over the input channels, indices affine in the loop variable), mixed with 5 x 2 where that pads fewer
 * tiles ({@link #fiveTiles}); an odd last block uses 5 x 1 / 6 x 1.
 *
 * <p>Numerics: F(4x4,3x3) and F(2x2,5x5) round more than the direct sum (transform coefficients up to 8 and 1/24); NOTES.md states the
 * error measured against float64 and the direct kernel. A NaN or infinity in the input reaches every output of the tiles
 * whose input window holds it (up to 8x8 outputs with F(4x4,3x3), 4x4 with F(2x2,3x3), 6x6 with F(2x2,5x5), instead of the direct kernel's R x R), a
 * property of every Winograd kernel.
 *
 * <p>Stateless and thread-safe: scratch arrays are per thread and grow-only; a call allocates nothing once they have grown.
 */
public final class WinogradConv {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /**
     * Tiles per register tile of the GEMM (x 2 vectors of output channels). 16-register ISAs (AVX2, SSE) take 5
     * (10 accumulators): with 6 x 2 = 12, C2 kept three broadcast temporaries live and spilled an accumulator to the
     * stack every step on Zen 2 (a store-to-load round trip on an FMA chain, read in the generated code). 32-register
     * ones (AVX-512, NEON) take 6. {@code -Dvcnn.winograd.tile=5x2|6x2} overrides.
     */
    static final int MR = registerTile();
    /** Tile positions of the larger variant's 6x6 input tile (the most independent GEMMs). */
    private static final int XI = 36;
    /**
     * Transformed weights above this many bytes in F(4x4,3x3) use F(2x2,3x3) instead ({@link #outputTile}): 16 tile
     * positions instead of 36 (weights 2.25x smaller) and 2x2 output tiles, so with few pixels each weight load serves
     * about 3x more tiles (r18_l3 at batch 1: 49 tiles instead of 16), where streaming 9.4 MB of F(4x4) weights from
     * L3 or memory every call dominated and varied with what else ran. Chosen from C and K only, so weights
     * transformed once fit every batch and image size.
     */
    private static final long F4_MAX_WEIGHT_BYTES = Long.getLong("vcnn.winograd.f4MaxBytes", 4L << 20);

    /** {@code -Dvcnn.winograd=false} turns the Winograd path off ({@link #enabled()}). */
    public static final String PROPERTY = "vcnn.winograd";
    private static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true").trim());

    /** Whether {@link #fillRow} gathers whole channel blocks ({@code -Dvcnn.winograd.gatherFill}; default: 16 lanes or more). */
    static final boolean GATHER_FILL = Boolean.parseBoolean(System.getProperty("vcnn.winograd.gatherFill", String.valueOf(L >= 16)));

    /** Target bytes of V + M per tile block (L2 of 512 KB on Zen 2 also holds the weight panels and the input rows). */
    private static final int BLOCK_BYTES = Integer.getInteger("vcnn.winograd.blockBytes", 320 * 1024);
    /** Fewest tiles per block (each weight panel loaded from L3 serves this many tiles), a multiple of MR. */
    private static final int MIN_BLOCK_TILES = RegisterTiles.roundUp(Math.max(MR, Integer.getInteger("vcnn.winograd.minTiles", 25)), MR);
    /** Forces the tiles per block (tuning; 0 = from BLOCK_BYTES and MIN_BLOCK_TILES). */
    private static final int FORCED_BLOCK_TILES = Integer.getInteger("vcnn.winograd.tiles", 0);

    /**
     * How threads share a call ({@code -Dvcnn.winograd.split=auto|tiles|channels}; tuning): blocks of tiles, or pairs of
     * output-channel blocks. auto splits channels only where an image group is one tile block (see forward).
     */
    private static final String SPLIT = TuningSetting.choice("vcnn.winograd.split", "auto", "tiles", "channels");

    private static final FloatVector ZERO = FloatVector.zero(F);
    private static final FloatVector P2 = FloatVector.broadcast(F, 2f);
    private static final FloatVector M2 = FloatVector.broadcast(F, -2f);
    private static final FloatVector P4 = FloatVector.broadcast(F, 4f);
    private static final FloatVector M4 = FloatVector.broadcast(F, -4f);
    private static final FloatVector M5 = FloatVector.broadcast(F, -5f);
    private static final FloatVector P8 = FloatVector.broadcast(F, 8f);

    /** G of F(4,3) (6x3), in double: the weight transform is computed once, in double, then rounded. */
    static final double[][] G4 = {
            {1.0 / 4, 0, 0},
            {-1.0 / 6, -1.0 / 6, -1.0 / 6},
            {-1.0 / 6, 1.0 / 6, -1.0 / 6},
            {1.0 / 24, 1.0 / 12, 1.0 / 6},
            {1.0 / 24, -1.0 / 12, 1.0 / 6},
            {0, 0, 1}};
    /**
     * G of F(2,5) (6x5): row p is c_p * (1, p, p^2, p^3, p^4) with the c_p of {@link #G4} (same points, same B^T), the
     * infinity row picks the last tap.
     */
    static final double[][] G2_5 = {
            {1.0 / 4, 0, 0, 0, 0},
            {-1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6},
            {-1.0 / 6, 1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6},
            {1.0 / 24, 2.0 / 24, 4.0 / 24, 8.0 / 24, 16.0 / 24},
            {1.0 / 24, -2.0 / 24, 4.0 / 24, -8.0 / 24, 16.0 / 24},
            {0, 0, 0, 0, 1}};
    /** Doubles of weight-transform scratch: G g (alpha x r) and the filter (r x r), for alpha 6 and r 5. */
    private static final int DTMP = 6 * 5 + 25 + 36;
    /** G of F(2,3) (4x3). */
    private static final double[][] G2 = {
            {1, 0, 0},
            {0.5, 0.5, 0.5},
            {0.5, -0.5, 0.5},
            {0, 0, 1}};

    private static final ThreadLocal<Work> WORK = ThreadLocal.withInitial(Work::new);

    private WinogradConv() {
    }

    private static int registerTile() {
        String forced = System.getProperty("vcnn.winograd.tile", "").trim();
        if (forced.equals("5x2")) return 5;
        if (forced.equals("6x2")) return 6;
        return RegisterTiles.WIDE_REGISTER_FILE ? 6 : 5;
    }

    // --------------------------------------------------------------------------------------------- API

    /** False when {@code -Dvcnn.winograd=false}: callers should then use the direct kernel. */
    public static boolean enabled() {
        return ENABLED;
    }

    /** True for the convolutions this kernel computes: 3x3 or 5x5, stride 1, dilation 1, one group (any N, C, K, H, W, padding). */
    public static boolean applies(ConvParams p) {
        return p != null && (p.r() == 3 || p.r() == 5) && p.s() == p.r() && p.strideH() == 1 && p.strideW() == 1
                && p.dilationH() == 1 && p.dilationW() == 1 && p.groups() == 1;
    }

    /**
     * The output tile of the variant used for {@code p}: for 3x3, 4 (F(4x4,3x3)) unless its transformed weights would
     * exceed 4 MiB, then 2 (F(2x2,3x3)); depends on C and K only. For 5x5, 2 (F(2x2,5x5)). {@code -Dvcnn.winograd.f4MaxBytes} moves the limit.
     */
    public static int outputTile(ConvParams p) {
        checkApplies(p);
        return outputTile(p.r(), p.c(), p.k());
    }

    /** 5x5 kernels: always 2 (F(2x2,5x5) has the 6x6 tiles of F(4x4,3x3); F(4x4,5x5)'s 8x8 ones round too much). */
    private static int outputTile(int r, int c, int k) {
        if (r == 5) return 2;
        return (long) XI * blocks(k) * L * blocks(c) * L * Float.BYTES > F4_MAX_WEIGHT_BYTES ? 2 : 4;
    }

    /**
     * Fewest multiplies saved (direct / Winograd, tiles' overhang and register padding counted) for Winograd to be chosen:
     * 1.6 on AVX2 (Zen 2: ResNet-18's 512-channel 7x7 layer at batch 1, 1.53, ran slower than the direct kernel); 1.5 at 16
     * lanes, where it ran faster (Zen 4, session 8: 2,177-2,961 against 3,430-3,550 us at one thread), the direct kernel
     * there being held back by its 9.4 MB weight stream.
     */
    private static final double MIN_GAIN = L >= 16 ? 1.5 : 1.6;

    /**
     * Whether this kernel is expected to beat the direct one on {@code p} (the measured rule of NOTES.md, Zen 2 AVX2):
     * {@link #enabled()} and {@link #applies}, at least 8 input and output channels, at least {@link #MIN_GAIN}x fewer
     * multiplies than the direct sum once the tiles' overhang and the register tile's padding are counted, and at least 16
     * tiles per call to share each weight load when the transformed weights exceed 4 MiB (on Zen 2, 512 channels at 7x7
     * with batch 1 ran slower than the direct kernel; so did a C=3 first layer).
     */
    public static boolean preferred(ConvParams p) {
        return ENABLED && applies(p) && preferred(p.r(), p.n(), p.c(), p.k(), p.outH(), p.outW());
    }

    /** The rule of {@link #preferred} for an r x r kernel on N images of C -> K channels and an outH x outW output. */
    private static boolean preferred(int r, int n, int c, int k, int outH, int outW) {
        if (c < 8 || k < 8) return false;
        int m = outputTile(r, c, k), alpha = m + r - 1;
        long th = (outH + m - 1) / m, tw = (outW + m - 1) / m, tiles = (long) n * th * tw;
        double useful = (double) outH * outW / ((double) m * m * th * tw);
        double slots = (double) tiles / RegisterTiles.roundUp((int) Math.min(tiles, Integer.MAX_VALUE / 2), MR);
        if ((double) r * r * m * m / (alpha * alpha) * useful * slots < MIN_GAIN) return false;
        return weightBytes(r, c, k, m) <= (4L << 20) || tiles >= 16;
    }

    private static long weightBytes(ConvParams p, int m) {
        return weightBytes(p.r(), p.c(), p.k(), m);
    }

    /** Bytes of the transformed weights: alpha^2 tile positions (alpha = m + r - 1) of the padded K x C matrix. */
    private static long weightBytes(int r, int c, int k, int m) {
        long alpha = m + r - 1;
        return alpha * alpha * blocks(k) * L * blocks(c) * L * Float.BYTES;
    }

    /** Floats of the transformed weights of {@code p}: {@code alpha^2 * ceil(K/L)*L * ceil(C/L)*L}, alpha = m + R - 1, m = {@link #outputTile}. */
    public static int transformedLength(ConvParams p) {
        return transformedLength(p, outputTile(p));
    }

    static int transformedLength(ConvParams p, int m) {
        checkApplies(p);
        if (m != 2 && (m != 4 || p.r() != 3)) {
            throw new IllegalArgumentException("output tile: " + m + "x" + m + " is not a variant for " + p.r() + "x" + p.s()
                    + " (F(4x4) and F(2x2) for 3x3, F(2x2) for 5x5)");
        }
        long len = weightBytes(p, m) / Float.BYTES;
        if (len > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("params: transformed Winograd weights of " + len + " floats are too large for a Java array: " + p);
        }
        return (int) len;
    }

    /**
     * {@code U = G g G^T} of PyTorch-layout weights {@code w[K][C][3][3]} (from {@code wOff}) in a new array laid out
     * {@code [(m+2)^2][KB/2][Cp][2L]}, then for an odd KB one {@code [Cp][L]} block: per tile position, pairs of
     * output-channel blocks interleaved per input channel (the two weight vectors of a GEMM step are adjacent), zero past
     * K and C; m = {@link #outputTile}. Block kb of tile position xi starts at {@code (xi*KB + kb)*L*Cp}.
     */
    public static float[] transformWeights(ConvParams p, float[] w, int wOff) {
        return transformWeights(p, w, wOff, outputTile(p));
    }

    /** As {@link #transformWeights} into {@code dst[0, transformedLength(p))} (the padding is zeroed). */
    public static void transformWeightsInto(ConvParams p, float[] w, int wOff, float[] dst) {
        Checks.array("w", w, wOff, p.weightSize(), "weights [K][C][R][S]", p);
        transformInto(p, w, wOff, false, dst, outputTile(p), WORK.get().dtmp);   // per-thread scratch: repack allocates nothing
    }

    /** The weights for output tile m (2 or 4), whichever {@link #outputTile} would say (tests run both variants). */
    static float[] transformWeights(ConvParams p, float[] w, int wOff, int m) {
        float[] dst = new float[transformedLength(p, m)];
        transformWeightsInto(p, w, wOff, dst, m);
        return dst;
    }

    static void transformWeightsInto(ConvParams p, float[] w, int wOff, float[] dst, int m) {
        Checks.array("w", w, wOff, p.weightSize(), "weights [K][C][R][S]", p);
        transformInto(p, w, wOff, false, dst, m, new double[DTMP]);
    }

    /**
     * U of the convolution {@code p} into dst; {@code transposed}: w holds the weights {@code [C][K][R][S]} of the
     * convolution whose input gradient {@code p} computes, read rotated by 180 degrees (p's K and C are its C and K).
     * {@code tmp}: at least {@link #DTMP} doubles of scratch.
     */
    private static void transformInto(ConvParams p, float[] w, int wOff, boolean transposed, float[] dst, int m, double[] tmp) {
        int len = transformedLength(p, m);
        Checks.array("dst", dst, 0, len, "transformed weights [alpha^2][K/2L][C][2L]", p);
        int r = p.r(), rr = r * r, alpha = m + r - 1;
        double[][] g = r == 5 ? G2_5 : m == 4 ? G4 : G2;
        int c = p.c(), k = p.k(), kbs = blocks(k), cp = blocks(c) * L, pairs = kbs / 2;
        Arrays.fill(dst, 0, len, 0f);
        final int gw = alpha * r;   // tmp[0, alpha*r): G g; tmp[gw, gw+r*r): the r x r filter g as p sees it
        // a pair's 2L output channels of one input channel share cache lines of dst: write them together (channel by
        // channel, each line was written 16 times, after it had left the cache). Scalar double arithmetic on purpose:
        // it runs once per weight tensor at load, mostly before C2 has compiled it, and Vector API code is slow there.
        for (int g0 = 0; g0 < kbs; g0 += g0 < 2 * pairs ? 2 : 1) {
            int kLo = g0 * L, kHi = Math.min(k, (g0 < 2 * pairs ? g0 + 2 : g0 + 1) * L);
            for (int cc = 0; cc < c; cc++) {
                for (int kk = kLo; kk < kHi; kk++) {
                    int kb = kk / L, lane = kk % L;
                    // element (xi, kk, cc) at dBase + xi * step
                    int dBase = kb < 2 * pairs
                            ? (kb & ~1) * L * cp + cc * 2 * L + (kb & 1) * L + lane
                            : kb * L * cp + cc * L + lane;
                    int src = transposed ? wOff + (cc * k + kk) * rr : wOff + (kk * c + cc) * rr;
                    transformOne(w, src, transposed, r, m, g, tmp, dst, dBase, kbs * L * cp);
                }
            }
        }
    }

    /**
     * {@code U = G g G^T} of the filter at {@code w[src..]} (rotated by 180 degrees when {@code transposed}) to
     * {@code dst[dBase + xi*step]}. A method of its own: at load it runs before anything is compiled, and C2 compiles a
     * method called this often long before it compiles the loop around it.
     */
    private static void transformOne(float[] w, int src, boolean transposed, int r, int m, double[][] g, double[] tmp, float[] dst,
                                     int dBase, int step) {
        int rr = r * r, alpha = m + r - 1, gw = alpha * r;
        if (transposed) {
            for (int t = 0; t < rr; t++) tmp[gw + t] = w[src + rr - 1 - t];
        } else {
            for (int t = 0; t < rr; t++) tmp[gw + t] = w[src + t];
        }
        if (r == 3) {   // G's rows in closed form: a third of the arithmetic of the matrix products
            for (int c = 0; c < 3; c++) lift3(tmp, gw + c, 3, tmp, c, 3, m);   // G g: each of the 3 columns
            for (int i = 0; i < alpha; i++) lift3(tmp, i * 3, 1, tmp, gw + 9 + i * alpha, 1, m);   // (G g) G^T: each row
            for (int xi = 0; xi < alpha * alpha; xi++) dst[dBase + xi * step] = (float) tmp[gw + 9 + xi];
            return;
        }
        // tmp = G g (alpha x r), then U = tmp G^T (alpha x alpha)
        for (int i = 0; i < alpha; i++) {
            for (int s = 0; s < r; s++) {
                double v = 0;
                for (int q = 0; q < r; q++) v += g[i][q] * tmp[gw + q * r + s];
                tmp[i * r + s] = v;
            }
        }
        for (int i = 0; i < alpha; i++) {
            for (int j = 0; j < alpha; j++) {
                double v = 0;
                for (int q = 0; q < r; q++) v += tmp[i * r + q] * g[j][q];
                dst[dBase + (i * alpha + j) * step] = (float) v;
            }
        }
    }

    /**
     * G (of F(4,3), {@link #G4}, for m = 4; of F(2,3), {@link #G2}, for m = 2) in closed form on one column or row of
     * three values {@code src[so + q*ss]}, giving the m + 2 values {@code dst[dOff + i*ds]}.
     */
    private static void lift3(double[] src, int so, int ss, double[] dst, int dOff, int ds, int m) {
        double g0 = src[so], g1 = src[so + ss], g2 = src[so + 2 * ss];
        if (m == 4) {
            double s = -(g0 + g2) / 6, d = g1 / 6, t = g0 / 24 + g2 / 6, e = g1 / 12;
            dst[dOff] = g0 / 4;
            dst[dOff + ds] = s - d;
            dst[dOff + 2 * ds] = s + d;
            dst[dOff + 3 * ds] = t + e;
            dst[dOff + 4 * ds] = t - e;
            dst[dOff + 5 * ds] = g2;
        } else {
            double s = (g0 + g2) / 2, d = g1 / 2;
            dst[dOff] = g0;
            dst[dOff + ds] = s + d;
            dst[dOff + 2 * ds] = s - d;
            dst[dOff + 3 * ds] = g2;
        }
    }

    /**
     * Forward: {@code y = act(xcorr(x, w) + bias)} with {@code u} from {@link #transformWeights} for the same C and K.
     *
     * @param x    input {@code [N][C][H][W]} from {@code xOff}
     * @param u    transformed weights, {@link #transformedLength} floats from 0
     * @param bias {@code [K]} from {@code biasOff}, or null
     * @param act  fused epilogue (the scalar kernel's semantics)
     * @param y    output {@code [N][K][outH][outW]} from {@code yOff}, overwritten
     * @throws IllegalArgumentException naming the argument, before anything is written, when {@link #applies} is false or an array is short
     */
    public static void fwd(ConvParams p, float[] x, int xOff, float[] u, float[] bias, int biasOff, Epilogue act, float[] y, int yOff) {
        fwdWithTile(p, x, xOff, u, bias, biasOff, act, y, yOff, outputTile(p), 1);
    }

    /**
     * {@link #fwd} on up to {@code threads} threads of {@link WorkerPool#shared()}: the tile blocks of each image group
     * are split into contiguous ranges, one per thread (a group of one block: its output channels, in pairs of blocks);
     * every tile and channel is computed the same way whichever thread runs it, so the result is bit-identical for any
     * thread count.
     */
    public static void fwd(ConvParams p, float[] x, int xOff, float[] u, float[] bias, int biasOff, Epilogue act, float[] y, int yOff,
                           int threads) {
        fwdWithTile(p, x, xOff, u, bias, biasOff, act, y, yOff, outputTile(p), threads);
    }

    /**
     * {@link #fwd} with the input ({@code xBlocked}) and/or the output ({@code yBlocked}) channel-blocked,
     * {@code nChw{L}c} ({@code [N][C/L][H][W][L]}, C and K multiples of L; not checked here): the ring is filled by
     * contiguous copies and the staged outputs are copied out by rows, no transposition. Same bits as NCHW.
     */
    public static void fwd(ConvParams p, boolean xBlocked, float[] x, int xOff, float[] u, float[] bias, int biasOff, Epilogue act,
                           boolean yBlocked, float[] y, int yOff, int threads) {
        fwdWithTile(p, x, xOff, u, bias, biasOff, act, y, yOff, outputTile(p), threads, xBlocked, yBlocked, null, 0);
    }

    /**
     * As above with {@code residual} (the output's shape and layout, not overlapping y; null: none) added before the
     * activation, which must then be none or ReLU ({@link #fusesResidual}): {@code y = act(conv + b + residual)} as the
     * staged outputs are stored, the bits of a separate Add (+ Relu) after the convolution.
     */
    public static void fwd(ConvParams p, boolean xBlocked, float[] x, int xOff, float[] u, float[] bias, int biasOff, float[] residual,
                           int residualOff, Epilogue act, boolean yBlocked, float[] y, int yOff, int threads) {
        if (residual != null && !fusesResidual(act)) {
            throw new IllegalArgumentException("act: the Winograd kernel fuses a residual with no activation or ReLU only, got " + act);
        }
        fwdWithTile(p, x, xOff, u, bias, biasOff, act, y, yOff, outputTile(p), threads, xBlocked, yBlocked, residual, residualOff);
    }

    /** Whether a residual input can go into the stores with this activation: none or ReLU. */
    public static boolean fusesResidual(Epilogue act) {
        return act.isIdentity() || act.kind() == Activation.RELU;
    }

    /** {@link #fwd} with output tile m (2 or 4) and weights transformed for it. */
    static void fwdWithTile(ConvParams p, float[] x, int xOff, float[] u, float[] bias, int biasOff, Epilogue act, float[] y, int yOff,
                            int m) {
        fwdWithTile(p, x, xOff, u, bias, biasOff, act, y, yOff, m, 1);
    }

    static void fwdWithTile(ConvParams p, float[] x, int xOff, float[] u, float[] bias, int biasOff, Epilogue act, float[] y, int yOff,
                            int m, int threads) {
        fwdWithTile(p, x, xOff, u, bias, biasOff, act, y, yOff, m, threads, false, false, null, 0);
    }

    static void fwdWithTile(ConvParams p, float[] x, int xOff, float[] u, float[] bias, int biasOff, Epilogue act, float[] y, int yOff,
                            int m, int threads, boolean xBlocked, boolean yBlocked, float[] res, int resOff) {
        Checks.positive("threads", threads, "intra-op threads");
        int uLen = transformedLength(p, m);
        Checks.array("x", x, xOff, p.inputSize(), "input [N][C][H][W]", p);
        Checks.array("u (transformed weights)", u, 0, uLen, "Winograd weights [(m+2)^2][K/2L][C][2L]", p);
        Checks.optionalArray("bias", bias, biasOff, p.k(), "bias [K]", p);
        Checks.notNull("act (epilogue)", act);
        Checks.array("y", y, yOff, p.outputSize(), "output [N][K][outH][outW]", p);
        if (res != null) ConvChecks.residual(p, res, resOff, y, yOff);
        int resDelta = resOff - yOff;   // residual index = output index + resDelta
        Work wk = WORK.get();
        Plan plan = wk.prepare(p, m, bias, biasOff);
        plan.layouts(xBlocked, yBlocked);
        int inPlane = p.c() * p.h() * p.w(), outPlane = p.k() * p.outH() * p.outW();
        int t = WorkerPool.usable(threads), pairs = (plan.kbs + 1) / 2;
        // An image group of one block (ResNet-18's 7x7 layer: 16 tiles) splits its output channels instead of its tiles:
        // each thread then streams its share of the transformed weights (16 MB there) rather than all of them for half
        // the tiles, and pads no extra register tiles. The input transform is repeated per thread (a few percent).
        boolean channelSplit = t > 1 && pairs >= 2 && (SPLIT.equals("channels") || SPLIT.equals("auto") && plan.images * plan.tilesPerImage <= plan.tb);
        if (t > 1 && !channelSplit) {
            // each image group's blocks split over the threads: as many blocks as a multiple of the threads, of equal
            // size (the buffers keep their stride). ResNet-18's 28x28 layer, 49 tiles in blocks of 30 and 19, ran 1.6x
            // on two threads; its 56x56 one, 196 tiles in 6 x 30 + 16, split 90 / 106
            wk.reblock(plan.balancedBlockTiles(Math.min(plan.images, p.n()) * plan.tilesPerImage, t));
        }
        for (int n0 = 0; n0 < p.n(); n0 += plan.images) {
            int tiles = Math.min(plan.images, p.n() - n0) * plan.tilesPerImage, blocks = (tiles + plan.bs - 1) / plan.bs;
            if (t == 1 || (blocks == 1 && !channelSplit)) {
                runBlocks(plan, wk, x, xOff + n0 * inPlane, u, 0, blocks, tiles, act, y, yOff + n0 * outPlane, 0, plan.kbs, res, resDelta);
            } else {
                Split split = wk.split;
                split.set(p, m, x, xOff + n0 * inPlane, u, bias, biasOff, act, y, yOff + n0 * outPlane, tiles, plan.bs, channelSplit);
                split.layouts(xBlocked, yBlocked);
                split.residual(res, resDelta);
                try {
                    int n = channelSplit ? pairs : blocks;
                    WorkerPool.shared().runRanges(n, Math.min(t, n), t, split);
                } finally {
                    split.clear();
                }
            }
        }
    }

    /**
     * Tile blocks [b0, b1) of one image group (tiles of it: {@code tiles}), filling the input ring from the first
     * block's top row: a block starts on a multiple of the block size, so its rows fit the ring as in a serial run.
     * Output-channel blocks [kb0, kb1) only (kb0 even: the weight panels pair blocks).
     */
    private static void runBlocks(Plan plan, Work wk, float[] x, int xGroup, float[] u, int b0, int b1, int tiles, Epilogue act,
                                  float[] y, int yGroup, int kb0, int kb1, float[] res, int resDelta) {
        if (b0 >= b1) return;
        int filled = plan.firstRow(b0 * plan.bs);   // virtual input rows [.., filled) are (or were) in the ring
        for (int b = b0; b < b1; b++) {
            int t0 = b * plan.bs, count = Math.min(plan.bs, tiles - t0);
            // the block's tiles read virtual rows up to hi (row r of image i is i*hp + r); the ring keeps them
            int hi = plan.firstRow(t0 + count - 1) + plan.alpha;
            for (; filled < hi; filled++) fillRow(plan, x, xGroup, filled, wk.xs);
            block(plan, wk, u, t0, count, act, y, yGroup, kb0, kb1, res, resDelta);
        }
    }

    /** One image group's blocks split over pool threads; one reusable instance per calling thread (no allocation per call). */
    private static final class Split implements WorkerPool.RangeTask {
        private ConvParams p;
        private int m, xGroup, biasOff, yGroup, tiles, blockTiles;
        private boolean channels, xBlocked, yBlocked;
        private float[] x, u, bias, y, res;
        private int resDelta;
        private Epilogue act;

        /** {@code channels}: the ranges are pairs of output-channel blocks of the group's one block, else blocks of tiles. */
        void set(ConvParams p, int m, float[] x, int xGroup, float[] u, float[] bias, int biasOff, Epilogue act, float[] y, int yGroup,
                 int tiles, int blockTiles, boolean channels) {
            this.blockTiles = blockTiles;
            this.channels = channels;
            this.p = p;
            this.m = m;
            this.x = x;
            this.xGroup = xGroup;
            this.u = u;
            this.bias = bias;
            this.biasOff = biasOff;
            this.act = act;
            this.y = y;
            this.yGroup = yGroup;
            this.tiles = tiles;
        }

        void layouts(boolean xBlocked, boolean yBlocked) {
            this.xBlocked = xBlocked;
            this.yBlocked = yBlocked;
        }

        void residual(float[] res, int resDelta) {
            this.res = res;
            this.resDelta = resDelta;
        }

        void clear() {   // drop the references to the caller's arrays
            p = null;
            x = u = bias = y = res = null;
            act = null;
        }

        @Override
        public void run(int index, int from, int to) {
            Work own = WORK.get();   // the caller's Work when the caller runs this range, else the worker's
            Plan plan = own.prepare(p, m, bias, biasOff);
            plan.layouts(xBlocked, yBlocked);
            own.reblock(blockTiles);   // the caller's balanced blocks
            if (channels) {
                runBlocks(plan, own, x, xGroup, u, 0, (tiles + plan.bs - 1) / plan.bs, tiles, act, y, yGroup, 2 * from, Math.min(plan.kbs, 2 * to),
                        res, resDelta);
            } else {
                runBlocks(plan, own, x, xGroup, u, from, to, tiles, act, y, yGroup, 0, plan.kbs, res, resDelta);
            }
        }
    }

    // ------------------------------------------------------------------------------------ backward data

    /**
     * Whether {@link #bwdData} computes and is expected to pay on {@code p}: the input gradient of an R x R stride-1
     * convolution is itself one (dz convolved with the weights rotated by 180 degrees, C and K swapped, padding
     * pad), so the forward rule decides on that convolution; pads above R-1 would crop and are left to the direct kernel.
     */
    public static boolean preferredForBwdData(ConvParams p) {
        if (!ENABLED || !applies(p)) return false;
        int e = p.r() - 1;
        return p.padTop() <= e && p.padLeft() <= e && p.padBottom() <= e && p.padRight() <= e
                && preferred(p.r(), p.n(), p.k(), p.c(), p.h(), p.w());
    }

    /**
     * Input gradient {@code dx = conv_transpose(dz, w)} of the convolution {@code p} (3x3 or 5x5, stride 1, dilation 1,
     * one group, pads at most R-1): the weights are transformed into per-thread scratch (training changes them every step;
     * the transform is kept while they stay bit-identical, e.g. across the slices of one batch), then the forward kernel
     * runs on dz.
     *
     * @param dz output gradient {@code [N][K][outH][outW]} from {@code dzOff}
     * @param w  weights {@code [K][C][R][S]} from {@code wOff}
     * @param dx input gradient {@code [N][C][H][W]} from {@code dxOff}, overwritten
     */
    public static void bwdData(ConvParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff) {
        bwdData(p, dz, dzOff, w, wOff, dx, dxOff, 1);
    }

    /** {@link #bwdData} on up to {@code threads} pool threads, bit-identical for any count (as {@link #fwd}). */
    public static void bwdData(ConvParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff, int threads) {
        checkApplies(p);
        int e = p.r() - 1;
        if (p.padTop() > e || p.padLeft() > e || p.padBottom() > e || p.padRight() > e) {
            throw new IllegalArgumentException("params: Winograd bwdData needs pads of at most R-1 = " + e + ", got " + p);
        }
        Checks.array("w", w, wOff, p.weightSize(), "weights [K][C][R][S]", p);
        Work wk = WORK.get();
        if (!p.equals(wk.bwdOf)) {   // the transposed convolution's record, built once per shape and thread
            wk.bwdParams = new ConvParams(p.n(), p.k(), p.outH(), p.outW(), p.c(), p.r(), p.s(), 1, 1,
                    e - p.padTop(), e - p.padLeft(), e - p.padBottom(), e - p.padRight(), 1, 1, 1);
            wk.bwdOf = p;
        }
        ConvParams t = wk.bwdParams;
        int m = outputTile(t), n = p.weightSize();
        // A training step calls this once per batch slice with unchanged weights: the transform (about 1 ms for LeNet's
        // 32 -> 64 5x5 layer) is redone only when the weights differ bit for bit from the last ones seen (a ~20 us compare).
        boolean same = wk.uC == t.c() && wk.uK == t.k() && wk.uR == t.r() && wk.uSrc.length >= n
                && Arrays.equals(w, wOff, wOff + n, wk.uSrc, 0, n);
        if (!same) {
            wk.uC = -1;   // invalid until the transform is complete
            wk.u = Work.grow(wk.u, transformedLength(t, m));
            transformInto(t, w, wOff, true, wk.u, m, wk.dtmp);
            wk.uSrc = Work.grow(wk.uSrc, n);
            System.arraycopy(w, wOff, wk.uSrc, 0, n);
            wk.uC = t.c();
            wk.uK = t.k();
            wk.uR = t.r();
        }
        fwdWithTile(t, dz, dzOff, wk.u, null, 0, Epilogue.NONE, dx, dxOff, m, threads);
    }

    // ------------------------------------------------------------------------------------- planning

    private static void checkApplies(ConvParams p) {
        Checks.notNull("params", p);
        if ((p.r() != 3 && p.r() != 5) || p.s() != p.r()) {
            throw new IllegalArgumentException("params: Winograd needs a 3x3 or 5x5 kernel, got R=" + p.r() + " S=" + p.s() + ": " + p);
        }
        if (p.strideH() != 1 || p.strideW() != 1) {
            throw new IllegalArgumentException("params: Winograd needs stride 1, got strideH=" + p.strideH() + " strideW=" + p.strideW() + ": " + p);
        }
        if (p.dilationH() != 1 || p.dilationW() != 1) {
            throw new IllegalArgumentException("params: Winograd needs dilation 1, got dilationH=" + p.dilationH() + " dilationW=" + p.dilationW() + ": " + p);
        }
        if (p.groups() != 1) {
            throw new IllegalArgumentException("params: Winograd needs groups=1, got groups=" + p.groups() + ": " + p);
        }
    }

    private static int blocks(int channels) {
        return (channels + L - 1) / L;
    }

    /**
     * The sizes of one call: tiles, padded channel counts, the padded input geometry (hp x wp, row r of image i being
     * virtual row i*hp + r), tiles per block, images per group and the rows the input ring holds. One mutable
     * instance per thread (a record per call was an allocation C2 did not remove).
     */
    static final class Plan {
        int m, alpha, xi, c, k, h, w, padT, padL, oh, ow, tw, tilesPerImage, cbs, cp, kbs, kp, hp, wp, images, tb, ring;
        /** Tiles per block, at most tb (the buffers' stride, a multiple of MR): tb unless {@link #blockTiles} balanced them. */
        int bs;
        /** The input / output in nChw{L}c instead of NCHW (per call; {@link #set} resets both to NCHW). */
        boolean xBlocked, yBlocked;

        void layouts(boolean xBlocked, boolean yBlocked) {
            this.xBlocked = xBlocked;
            this.yBlocked = yBlocked;
        }
        /** lane l -> l * H * W: the gather of L channel planes at one pixel ({@link #fillRow}). */
        final int[] laneMap = new int[L];

        void set(ConvParams p, int outTile) {
            set(p, outTile, FORCED_BLOCK_TILES);
        }

        /** As {@link #set(ConvParams, int)} with {@code forcedTiles} tiles per block (rounded up to the register tile) when positive. */
        void set(ConvParams p, int outTile, int forcedTiles) {
            m = outTile;
            xBlocked = yBlocked = false;
            alpha = m + p.r() - 1;
            xi = alpha * alpha;
            c = p.c();
            k = p.k();
            h = p.h();
            w = p.w();
            padT = p.padTop();
            padL = p.padLeft();
            for (int l = 0; l < L; l++) laneMap[l] = l * h * w;
            oh = p.outH();
            ow = p.outW();
            int th = (oh + m - 1) / m;
            tw = (ow + m - 1) / m;
            cbs = blocks(c);
            kbs = blocks(k);
            cp = cbs * L;
            kp = kbs * L;
            long hpl = (long) m * th + p.r() - 1, wpl = (long) m * tw + p.r() - 1, tiles = (long) th * tw;
            long tb0;
            if (forcedTiles > 0) {
                tb0 = RegisterTiles.roundUp(forcedTiles, MR);
            } else {
                long perTile = (long) xi * Float.BYTES * (cp + kp);
                tb0 = Math.max(MIN_BLOCK_TILES, BLOCK_BYTES / perTile / MR * MR);
            }
            // small images: one block spans several images of the batch (fewer padded tiles, more weight reuse)
            long imgs = tiles >= tb0 ? 1 : Math.max(1, Math.min(p.n(), tb0 / tiles));
            long tbl = Math.min(tb0, RegisterTiles.roundUp((int) Math.min(Integer.MAX_VALUE / 2, imgs * tiles), MR));
            if (Math.max(xi * tbl * Math.max(cp, kp), (long) cbs * hpl * wpl * L) > Integer.MAX_VALUE - 64
                    || imgs * hpl * wpl > Integer.MAX_VALUE - 64) {
                throw new IllegalArgumentException("params: Winograd working copy too large for a Java array: " + p);
            }
            hp = (int) hpl;
            wp = (int) wpl;
            tilesPerImage = (int) tiles;
            images = (int) imgs;
            tb = (int) tbl;
            blockTiles(tb);
        }

        /** Blocks of {@code bs} (at most tb) tiles, and the ring for them: the widest row span of a block (all rows when that is the whole group). */
        void blockTiles(int bs) {
            this.bs = bs;
            int groupTiles = images * tilesPerImage, span = 0;
            for (int t0 = 0; t0 < groupTiles; t0 += bs) {
                int last = Math.min(t0 + bs, groupTiles) - 1;
                span = Math.max(span, firstRow(last) + alpha - firstRow(t0));
            }
            ring = Math.min(span, images * hp);
        }

        /**
         * Tiles per block that split {@code tiles} into a multiple of {@code threads} blocks of near-equal size, no larger
         * than tb (tb when a block would fall under MR tiles). Depends only on its arguments,
         * so every thread of a call computes the same blocks (and the tiles' sums do not depend on the blocks).
         */
        int balancedBlockTiles(int tiles, int threads) {
            int blocks = (tiles + tb - 1) / tb, even = (blocks + threads - 1) / threads * threads, size = (tiles + even - 1) / even;
            return size < MR ? tb : size;
        }

        /** Virtual input row of the top of tile t of a group. */
        int firstRow(int t) {
            return (t / tilesPerImage) * hp + m * ((t % tilesPerImage) / tw);
        }

        int ringFloats() {
            return cbs * ring * wp * L;
        }
    }

    // --------------------------------------------------------------------------------------- one block

    /**
     * Tiles [t0, t0+count) of the current image group (tile t: image t / tilesPerImage, then row-major tile order):
     * input transform, the 36 GEMMs, output transform, activation and NCHW stores, for output-channel blocks [kb0, kb1).
     * {@code yGroup}: output of the group's first image.
     */
    private static void block(Plan pl, Work wk, float[] u, int t0, int count, Epilogue act, float[] y, int yGroup, int kb0, int kb1,
                              float[] res, int resDelta) {
        int tb = pl.tb, cp = pl.cp, kp = pl.kp, fives = fiveTiles(count), sixes = sixTiles(count, fives);
        int padded = 6 * sixes + 5 * fives;
        float[] xs = wk.xs, v = wk.v, m = wk.m, stage = wk.stage, tmp = wk.tmp;
        int[] rows = wk.rows;
        int rowLen = pl.wp * L, plane = pl.ring * rowLen;
        int mt = pl.m;
        for (int t = 0; t < count; t++) {
            int g = t0 + t, vr = pl.firstRow(g), tj = (g % pl.tilesPerImage) % pl.tw;
            for (int r = 0; r < pl.alpha; r++) rows[r] = ((vr + r) % pl.ring) * rowLen + mt * tj * L;
            if (pl.alpha == 6) inputTransform6x6(xs, rows, plane, pl.cbs, v, t * cp, tb * cp, tmp);
            else inputTransform4x4(xs, rows, plane, pl.cbs, v, t * cp, tb * cp, tmp);
        }
        if (padded > count) {
            // the short last register tile computes zeros (never stored)
            for (int xi = 0; xi < pl.xi; xi++) Arrays.fill(v, (xi * tb + count) * cp, (xi * tb + padded) * cp, 0f);
        }
        gemm(pl.xi, v, u, m, tb, sixes, fives, cp, pl.kbs, kp, kb0, kb1);

        int outPlane = pl.k * pl.oh * pl.ow;
        for (int s = 0; s < count; ) {
            int g = t0 + s, img = g / pl.tilesPerImage, tt = g % pl.tilesPerImage;
            int ti = tt / pl.tw, tj = tt % pl.tw;
            int run = Math.min(count - s, pl.tw - tj), segW = mt * run;
            for (int i = 0; i < run; i++) {
                if (mt == 4) outputTransform4of6(m, (s + i) * kp, tb * kp, kb0, kb1, wk.bias, stage, 4 * i * L, segW * L, tmp);
                else if (pl.alpha == 6) outputTransform2of6(m, (s + i) * kp, tb * kp, kb0, kb1, wk.bias, stage, 2 * i * L, segW * L, tmp);
                else outputTransform2of4(m, (s + i) * kp, tb * kp, kb0, kb1, wk.bias, stage, 2 * i * L, segW * L, tmp);
            }
            int rowsOut = Math.min(mt, pl.oh - mt * ti), cols = Math.min(segW, pl.ow - mt * tj);
            if (res != null) {   // y = act(stage + residual) as it is stored (act none or ReLU)
                boolean relu = !act.isIdentity();
                if (pl.yBlocked) {
                    copyRowsResidual(stage, segW, mt, kb0, kb1, rowsOut, cols, y, yGroup + img * outPlane + (mt * ti * pl.ow + mt * tj) * L,
                            pl.oh * pl.ow, pl.ow, res, resDelta, relu);
                } else {
                    scatterResidual(stage, segW, mt, kb0 * L, Math.min(pl.k, kb1 * L), rowsOut, cols, y,
                            yGroup + img * outPlane + mt * ti * pl.ow + mt * tj, pl.oh * pl.ow, pl.ow, res, resDelta, relu);
                }
                s += run;
                continue;
            }
            FusedActivation.applyInPlace(act, stage, kb0 * L * mt * segW, (kb1 - kb0) * L * mt * segW);
            if (pl.yBlocked) {
                copyRows(stage, segW, mt, kb0, kb1, rowsOut, cols, y, yGroup + img * outPlane + (mt * ti * pl.ow + mt * tj) * L, pl.oh * pl.ow, pl.ow);
                s += run;
                continue;
            }
            scatter(stage, segW, mt, kb0 * L, Math.min(pl.k, kb1 * L), rowsOut, cols, y, yGroup + img * outPlane + mt * ti * pl.ow + mt * tj,
                    pl.oh * pl.ow, pl.ow);
            s += run;
        }
    }

    // -------------------------------------------------------------------------------- input: NCHW -> tiles

    /**
     * Virtual row vr of the image group (image vr / hp, padded row vr % hp = input row vr % hp - padTop) into ring slot
     * vr % ring of the channel-blocked, zero-padded scratch {@code xs[cb][ring][wp][L]}: column j holds input column
     * j - padLeft, zero outside the input and for channels past C. Scalar copies (loads along the input row, stores
     * L floats apart) measured a little faster than L-lane gathers on Zen 2 and need no masks; with 16 lanes (AVX-512)
     * a whole block takes one gather per column instead ({@link #GATHER_FILL}).
     */
    static void fillRow(Plan pl, float[] x, int xGroup, int vr, float[] xs) {
        int img = vr / pl.hp, ih = vr % pl.hp - pl.padT;
        int rowLen = pl.wp * L, plane = pl.ring * rowLen, slot = (vr % pl.ring) * rowLen;
        int jHi = Math.min(pl.padL + pl.w, pl.wp), cols = jHi - pl.padL;
        int xImg = xGroup + img * pl.c * pl.h * pl.w;
        for (int cb = 0; cb < pl.cbs; cb++) {
            int row = cb * plane + slot;
            if (ih < 0 || ih >= pl.h) {
                Arrays.fill(xs, row, row + rowLen, 0f);
                continue;
            }
            int c0 = cb * L, valid = Math.min(L, pl.c - c0);
            Arrays.fill(xs, row, row + pl.padL * L, 0f);
            Arrays.fill(xs, row + jHi * L, row + rowLen, 0f);
            int d = row + pl.padL * L;
            if (pl.xBlocked) {   // nChw{L}c: the block's row is cols * L contiguous floats
                System.arraycopy(x, xImg + (c0 * pl.h + ih * L) * pl.w, xs, d, cols * L);
                continue;
            }
            if (valid == L && GATHER_FILL) {
                int src = xImg + (c0 * pl.h + ih) * pl.w;
                for (int j = 0; j < cols; j++) FloatVector.fromArray(F, x, src + j, pl.laneMap, 0).intoArray(xs, d + j * L);
                continue;
            }
            if (valid < L) Arrays.fill(xs, d, d + cols * L, 0f);
            for (int lane = 0; lane < valid; lane++) {
                int src = xImg + ((c0 + lane) * pl.h + ih) * pl.w, dl = d + lane;
                for (int j = 0; j < cols; j++) xs[dl + j * L] = x[src + j];
            }
        }
    }

    /**
     * F(4x4,3x3) and F(2x2,5x5): {@code V = B^T d B} of one 6x6 tile for every channel block: pixel (r, q) of block cb at
     * {@code xs[rows[r] + cb*plane + q*L]} (L channels) to {@code v[vb + xi*xiStride + cb*L]}.
     */
    static void inputTransform6x6(float[] xs, int[] rows, int plane, int cbs, float[] v, int vb, int xiStride, float[] tmp) {
        int r0 = rows[0], r1 = rows[1], r2 = rows[2], r3 = rows[3], r4 = rows[4], r5 = rows[5];
        for (int cb = 0; cb < cbs; cb++) {
            int x0 = cb * plane;
            // B^T d: down each of the 6 columns
            for (int q = 0; q < 6; q++) {
                int o = x0 + q * L;
                FloatVector d0 = FloatVector.fromArray(F, xs, r0 + o);
                FloatVector d1 = FloatVector.fromArray(F, xs, r1 + o);
                FloatVector d2 = FloatVector.fromArray(F, xs, r2 + o);
                FloatVector d3 = FloatVector.fromArray(F, xs, r3 + o);
                FloatVector d4 = FloatVector.fromArray(F, xs, r4 + o);
                FloatVector d5 = FloatVector.fromArray(F, xs, r5 + o);
                FloatVector df31 = d3.sub(d1), df42 = d4.sub(d2);
                int to = q * L;
                d0.fma(P4, d2.fma(M5, d4)).intoArray(tmp, to);
                d1.add(d2).fma(M4, d3.add(d4)).intoArray(tmp, to + 6 * L);
                d1.sub(d2).fma(P4, d4.sub(d3)).intoArray(tmp, to + 12 * L);
                df31.fma(P2, df42).intoArray(tmp, to + 18 * L);
                df31.fma(M2, df42).intoArray(tmp, to + 24 * L);
                d1.fma(P4, d3.fma(M5, d5)).intoArray(tmp, to + 30 * L);
            }
            // (B^T d) B: along each of the 6 rows
            int vo = vb + cb * L;
            for (int r = 0; r < 6; r++) {
                int o = r * 6 * L;
                FloatVector d0 = FloatVector.fromArray(F, tmp, o);
                FloatVector d1 = FloatVector.fromArray(F, tmp, o + L);
                FloatVector d2 = FloatVector.fromArray(F, tmp, o + 2 * L);
                FloatVector d3 = FloatVector.fromArray(F, tmp, o + 3 * L);
                FloatVector d4 = FloatVector.fromArray(F, tmp, o + 4 * L);
                FloatVector d5 = FloatVector.fromArray(F, tmp, o + 5 * L);
                FloatVector df31 = d3.sub(d1), df42 = d4.sub(d2);
                int out = vo + r * 6 * xiStride;
                d0.fma(P4, d2.fma(M5, d4)).intoArray(v, out);
                d1.add(d2).fma(M4, d3.add(d4)).intoArray(v, out + xiStride);
                d1.sub(d2).fma(P4, d4.sub(d3)).intoArray(v, out + 2 * xiStride);
                df31.fma(P2, df42).intoArray(v, out + 3 * xiStride);
                df31.fma(M2, df42).intoArray(v, out + 4 * xiStride);
                d1.fma(P4, d3.fma(M5, d5)).intoArray(v, out + 5 * xiStride);
            }
        }
    }

    /**
     * F(2x2,3x3): {@code V = B^T d B} of one 4x4 tile for every channel block ({@code B^T = [1 0 -1 0; 0 1 1 0;
     * 0 -1 1 0; 0 1 0 -1]}), pixel (r, q) at {@code xs[rows[r] + cb*plane + q*L]}, to {@code v[vb + xi*xiStride + cb*L]}.
     */
    private static void inputTransform4x4(float[] xs, int[] rows, int plane, int cbs, float[] v, int vb, int xiStride, float[] tmp) {
        int r0 = rows[0], r1 = rows[1], r2 = rows[2], r3 = rows[3];
        for (int cb = 0; cb < cbs; cb++) {
            int x0 = cb * plane;
            for (int q = 0; q < 4; q++) {
                int o = x0 + q * L;
                FloatVector d0 = FloatVector.fromArray(F, xs, r0 + o);
                FloatVector d1 = FloatVector.fromArray(F, xs, r1 + o);
                FloatVector d2 = FloatVector.fromArray(F, xs, r2 + o);
                FloatVector d3 = FloatVector.fromArray(F, xs, r3 + o);
                int to = q * L;
                d0.sub(d2).intoArray(tmp, to);
                d1.add(d2).intoArray(tmp, to + 4 * L);
                d2.sub(d1).intoArray(tmp, to + 8 * L);
                d1.sub(d3).intoArray(tmp, to + 12 * L);
            }
            int vo = vb + cb * L;
            for (int r = 0; r < 4; r++) {
                int o = r * 4 * L;
                FloatVector d0 = FloatVector.fromArray(F, tmp, o);
                FloatVector d1 = FloatVector.fromArray(F, tmp, o + L);
                FloatVector d2 = FloatVector.fromArray(F, tmp, o + 2 * L);
                FloatVector d3 = FloatVector.fromArray(F, tmp, o + 3 * L);
                int out = vo + r * 4 * xiStride;
                d0.sub(d2).intoArray(v, out);
                d1.add(d2).intoArray(v, out + xiStride);
                d2.sub(d1).intoArray(v, out + 2 * xiStride);
                d1.sub(d3).intoArray(v, out + 3 * xiStride);
            }
        }
    }

    // ------------------------------------------------------------------------------------------ GEMMs

    /**
     * Register tiles of 5 tiles in the cover of {@code count} tiles (the rest in tiles of MR = 6): the fewest tiles computed,
     * then the fewest 5-tiles. With 6 only, 25 tiles (a block of ResNet-18's 28x28 layer split over two threads) computed
     * 30 and 16 (its 7x7 layer) 18; 5 x 5 and 6 + 5 + 5 compute none past them. A 5-tile sums each output in the same
     * order as a 6-tile, so the cover never changes a result. All of them on 16-register ISAs (MR = 5).
     */
    static int fiveTiles(int count) {
        if (MR == 5) return (count + 4) / 5;
        int best = 0, bestCovered = RegisterTiles.roundUp(count, 6);
        for (int b = 1; b <= 5; b++) {   // six 5-tiles are five 6-tiles
            int covered = RegisterTiles.roundUp(Math.max(0, count - 5 * b), 6) + 5 * b;
            if (covered < bestCovered) {
                best = b;
                bestCovered = covered;
            }
        }
        return best;
    }

    /** Register tiles of 6 tiles beside {@code fives} of 5 in the cover of {@code count} tiles ({@link #fiveTiles}). */
    static int sixTiles(int count, int fives) {
        return MR == 6 ? Math.max(0, count - 5 * fives + 5) / 6 : 0;
    }

    /**
     * {@code m[xi][t][k] = sum_c v[xi][t][c] u[xi][k][c]} for the 36 tile positions and tiles [0, 6*sixes + 5*fives):
     * register tiles of 6 tiles (then of 5) x 2 channel vectors (x 1 for an odd last block), over the padded input
     * channels; output-channel blocks [kb0, kb1) (kb0 even; an odd count only when kb1 is the last block).
     */
    private static void gemm(int xis, float[] v, float[] u, float[] m, int tb, int sixes, int fives, int cp, int kbs, int kp, int kb0, int kb1) {
        int panel = cp * L, split = 6 * sixes, end = split + 5 * fives;
        for (int xi = 0; xi < xis; xi++) {
            int vx = xi * tb * cp, mx = xi * tb * kp, ux = xi * kbs * panel;
            int kb = kb0;
            for (; kb + 1 < kb1; kb += 2) {
                int ub = ux + kb * panel;
                for (int t = 0; t < split; t += 6) gemm6x2(v, vx + t * cp, cp, u, ub, m, mx + t * kp + kb * L, kp);
                for (int t = split; t < end; t += 5) gemm5x2(v, vx + t * cp, cp, u, ub, m, mx + t * kp + kb * L, kp);
            }
            if (kb < kb1) {
                int ub = ux + kb * panel;
                for (int t = 0; t < split; t += 6) gemm6x1(v, vx + t * cp, cp, u, ub, m, mx + t * kp + kb * L, kp);
                for (int t = split; t < end; t += 5) gemm5x1(v, vx + t * cp, cp, u, ub, m, mx + t * kp + kb * L, kp);
            }
        }
    }

    /** 5 tiles (rows {@code vb + i*cp} of v) x two vectors of output channels (interleaved panel {@code u[ub + c*2L]}), over cp input channels. */
    private static void gemm5x2(float[] v, int vb, int cp, float[] u, int ub, float[] m, int mb, int kp) {
        int x0 = vb, x1 = vb + cp, x2 = vb + 2 * cp, x3 = vb + 3 * cp, x4 = vb + 4 * cp;
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00, a40 = a00, a41 = a00;
        for (int i = 0; i < cp; i++) {
            FloatVector w0 = FloatVector.fromArray(F, u, ub + i * 2 * L);
            FloatVector w1 = FloatVector.fromArray(F, u, ub + i * 2 * L + L);
            FloatVector xv = FloatVector.broadcast(F, v[x0 + i]);
            a00 = w0.fma(xv, a00);
            a01 = w1.fma(xv, a01);
            xv = FloatVector.broadcast(F, v[x1 + i]);
            a10 = w0.fma(xv, a10);
            a11 = w1.fma(xv, a11);
            xv = FloatVector.broadcast(F, v[x2 + i]);
            a20 = w0.fma(xv, a20);
            a21 = w1.fma(xv, a21);
            xv = FloatVector.broadcast(F, v[x3 + i]);
            a30 = w0.fma(xv, a30);
            a31 = w1.fma(xv, a31);
            xv = FloatVector.broadcast(F, v[x4 + i]);
            a40 = w0.fma(xv, a40);
            a41 = w1.fma(xv, a41);
        }
        a00.intoArray(m, mb);
        a01.intoArray(m, mb + L);
        a10.intoArray(m, mb + kp);
        a11.intoArray(m, mb + kp + L);
        a20.intoArray(m, mb + 2 * kp);
        a21.intoArray(m, mb + 2 * kp + L);
        a30.intoArray(m, mb + 3 * kp);
        a31.intoArray(m, mb + 3 * kp + L);
        a40.intoArray(m, mb + 4 * kp);
        a41.intoArray(m, mb + 4 * kp + L);
    }

    /** 5 tiles x one vector of output channels (the odd last block, panel {@code u[ub + c*L]}), over cp input channels. */
    private static void gemm5x1(float[] v, int vb, int cp, float[] u, int ub, float[] m, int mb, int kp) {
        int x0 = vb, x1 = vb + cp, x2 = vb + 2 * cp, x3 = vb + 3 * cp, x4 = vb + 4 * cp;
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a10 = a00, a20 = a00, a30 = a00, a40 = a00;
        for (int i = 0; i < cp; i++) {
            FloatVector w0 = FloatVector.fromArray(F, u, ub + i * L);
            FloatVector xv = FloatVector.broadcast(F, v[x0 + i]);
            a00 = w0.fma(xv, a00);
            xv = FloatVector.broadcast(F, v[x1 + i]);
            a10 = w0.fma(xv, a10);
            xv = FloatVector.broadcast(F, v[x2 + i]);
            a20 = w0.fma(xv, a20);
            xv = FloatVector.broadcast(F, v[x3 + i]);
            a30 = w0.fma(xv, a30);
            xv = FloatVector.broadcast(F, v[x4 + i]);
            a40 = w0.fma(xv, a40);
        }
        a00.intoArray(m, mb);
        a10.intoArray(m, mb + kp);
        a20.intoArray(m, mb + 2 * kp);
        a30.intoArray(m, mb + 3 * kp);
        a40.intoArray(m, mb + 4 * kp);
    }

    /** 6 tiles (rows {@code vb + i*cp} of v) x two vectors of output channels (interleaved panel {@code u[ub + c*2L]}), over cp input channels. */
    private static void gemm6x2(float[] v, int vb, int cp, float[] u, int ub, float[] m, int mb, int kp) {
        int x0 = vb, x1 = vb + cp, x2 = vb + 2 * cp, x3 = vb + 3 * cp, x4 = vb + 4 * cp, x5 = vb + 5 * cp;
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
        for (int i = 0; i < cp; i++) {
            FloatVector w0 = FloatVector.fromArray(F, u, ub + i * 2 * L);
            FloatVector w1 = FloatVector.fromArray(F, u, ub + i * 2 * L + L);
            FloatVector xv = FloatVector.broadcast(F, v[x0 + i]);
            a00 = w0.fma(xv, a00);
            a01 = w1.fma(xv, a01);
            xv = FloatVector.broadcast(F, v[x1 + i]);
            a10 = w0.fma(xv, a10);
            a11 = w1.fma(xv, a11);
            xv = FloatVector.broadcast(F, v[x2 + i]);
            a20 = w0.fma(xv, a20);
            a21 = w1.fma(xv, a21);
            xv = FloatVector.broadcast(F, v[x3 + i]);
            a30 = w0.fma(xv, a30);
            a31 = w1.fma(xv, a31);
            xv = FloatVector.broadcast(F, v[x4 + i]);
            a40 = w0.fma(xv, a40);
            a41 = w1.fma(xv, a41);
            xv = FloatVector.broadcast(F, v[x5 + i]);
            a50 = w0.fma(xv, a50);
            a51 = w1.fma(xv, a51);
        }
        a00.intoArray(m, mb);
        a01.intoArray(m, mb + L);
        a10.intoArray(m, mb + kp);
        a11.intoArray(m, mb + kp + L);
        a20.intoArray(m, mb + 2 * kp);
        a21.intoArray(m, mb + 2 * kp + L);
        a30.intoArray(m, mb + 3 * kp);
        a31.intoArray(m, mb + 3 * kp + L);
        a40.intoArray(m, mb + 4 * kp);
        a41.intoArray(m, mb + 4 * kp + L);
        a50.intoArray(m, mb + 5 * kp);
        a51.intoArray(m, mb + 5 * kp + L);
    }

    /** 6 tiles x one vector of output channels (the odd last block, panel {@code u[ub + c*L]}), over cp input channels. */
    private static void gemm6x1(float[] v, int vb, int cp, float[] u, int ub, float[] m, int mb, int kp) {
        int x0 = vb, x1 = vb + cp, x2 = vb + 2 * cp, x3 = vb + 3 * cp, x4 = vb + 4 * cp, x5 = vb + 5 * cp;
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a10 = a00, a20 = a00, a30 = a00, a40 = a00, a50 = a00;
        for (int i = 0; i < cp; i++) {
            FloatVector w0 = FloatVector.fromArray(F, u, ub + i * L);
            FloatVector xv = FloatVector.broadcast(F, v[x0 + i]);
            a00 = w0.fma(xv, a00);
            xv = FloatVector.broadcast(F, v[x1 + i]);
            a10 = w0.fma(xv, a10);
            xv = FloatVector.broadcast(F, v[x2 + i]);
            a20 = w0.fma(xv, a20);
            xv = FloatVector.broadcast(F, v[x3 + i]);
            a30 = w0.fma(xv, a30);
            xv = FloatVector.broadcast(F, v[x4 + i]);
            a40 = w0.fma(xv, a40);
            xv = FloatVector.broadcast(F, v[x5 + i]);
            a50 = w0.fma(xv, a50);
        }
        a00.intoArray(m, mb);
        a10.intoArray(m, mb + kp);
        a20.intoArray(m, mb + 2 * kp);
        a30.intoArray(m, mb + 3 * kp);
        a40.intoArray(m, mb + 4 * kp);
        a50.intoArray(m, mb + 5 * kp);
    }

    // ------------------------------------------------------------------------------ output: tiles -> NCHW

    /**
     * F(4x4,3x3): {@code A^T M A + bias} of one tile for output-channel blocks [kb0, kb1): M at {@code m[mb + xi*xiStride + kb*L]};
     * output row a, column b of block kb to {@code stage[sb + kb*4*rowStep + a*rowStep + b*L]}.
     */
    private static void outputTransform4of6(float[] m, int mb, int xiStride, int kb0, int kb1, float[] bias, float[] stage, int sb, int rowStep,
                                            float[] tmp) {
        for (int kb = kb0; kb < kb1; kb++) {
            int mo = mb + kb * L;
            // A^T M: down each of the 6 columns
            for (int j = 0; j < 6; j++) {
                int o = mo + j * xiStride;
                FloatVector m0 = FloatVector.fromArray(F, m, o);
                FloatVector m1 = FloatVector.fromArray(F, m, o + 6 * xiStride);
                FloatVector m2 = FloatVector.fromArray(F, m, o + 12 * xiStride);
                FloatVector m3 = FloatVector.fromArray(F, m, o + 18 * xiStride);
                FloatVector m4 = FloatVector.fromArray(F, m, o + 24 * xiStride);
                FloatVector m5 = FloatVector.fromArray(F, m, o + 30 * xiStride);
                FloatVector s12 = m1.add(m2), d12 = m1.sub(m2), s34 = m3.add(m4), d34 = m3.sub(m4);
                int to = j * L;
                m0.add(s12).add(s34).intoArray(tmp, to);
                d34.fma(P2, d12).intoArray(tmp, to + 6 * L);
                s34.fma(P4, s12).intoArray(tmp, to + 12 * L);
                d34.fma(P8, d12.add(m5)).intoArray(tmp, to + 18 * L);
            }
            // (A^T M) A + bias: along each of the 4 rows
            FloatVector bv = FloatVector.fromArray(F, bias, kb * L);
            int so = sb + kb * 4 * rowStep;
            for (int a = 0; a < 4; a++) {
                int o = a * 6 * L;
                FloatVector m0 = FloatVector.fromArray(F, tmp, o);
                FloatVector m1 = FloatVector.fromArray(F, tmp, o + L);
                FloatVector m2 = FloatVector.fromArray(F, tmp, o + 2 * L);
                FloatVector m3 = FloatVector.fromArray(F, tmp, o + 3 * L);
                FloatVector m4 = FloatVector.fromArray(F, tmp, o + 4 * L);
                FloatVector m5 = FloatVector.fromArray(F, tmp, o + 5 * L);
                FloatVector s12 = m1.add(m2), d12 = m1.sub(m2), s34 = m3.add(m4), d34 = m3.sub(m4);
                int out = so + a * rowStep;
                m0.add(s12).add(s34).add(bv).intoArray(stage, out);
                d34.fma(P2, d12).add(bv).intoArray(stage, out + L);
                s34.fma(P4, s12).add(bv).intoArray(stage, out + 2 * L);
                d34.fma(P8, d12.add(m5)).add(bv).intoArray(stage, out + 3 * L);
            }
        }
    }

    /**
     * F(2x2,3x3): {@code A^T M A + bias} of one tile ({@code A^T = [1 1 1 0; 0 1 -1 -1]}) for blocks [kb0, kb1), M at
     * {@code m[mb + xi*xiStride + kb*L]}; output row a, column b of block kb to {@code stage[sb + kb*2*rowStep + a*rowStep + b*L]}.
     */
    private static void outputTransform2of4(float[] m, int mb, int xiStride, int kb0, int kb1, float[] bias, float[] stage, int sb, int rowStep,
                                            float[] tmp) {
        for (int kb = kb0; kb < kb1; kb++) {
            int mo = mb + kb * L;
            for (int j = 0; j < 4; j++) {
                int o = mo + j * xiStride;
                FloatVector m0 = FloatVector.fromArray(F, m, o);
                FloatVector m1 = FloatVector.fromArray(F, m, o + 4 * xiStride);
                FloatVector m2 = FloatVector.fromArray(F, m, o + 8 * xiStride);
                FloatVector m3 = FloatVector.fromArray(F, m, o + 12 * xiStride);
                int to = j * L;
                m0.add(m1).add(m2).intoArray(tmp, to);
                m1.sub(m2).sub(m3).intoArray(tmp, to + 4 * L);
            }
            FloatVector bv = FloatVector.fromArray(F, bias, kb * L);
            int so = sb + kb * 2 * rowStep;
            for (int a = 0; a < 2; a++) {
                int o = a * 4 * L;
                FloatVector m0 = FloatVector.fromArray(F, tmp, o);
                FloatVector m1 = FloatVector.fromArray(F, tmp, o + L);
                FloatVector m2 = FloatVector.fromArray(F, tmp, o + 2 * L);
                FloatVector m3 = FloatVector.fromArray(F, tmp, o + 3 * L);
                int out = so + a * rowStep;
                m0.add(m1).add(m2).add(bv).intoArray(stage, out);
                m1.sub(m2).sub(m3).add(bv).intoArray(stage, out + L);
            }
        }
    }

    /**
     * F(2x2,5x5): {@code A^T M A + bias} of one 6x6 tile for blocks [kb0, kb1) ({@code A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 1]}: the points of
     * F(4x4,3x3), so its input transform serves unchanged), M at {@code m[mb + xi*xiStride + kb*L]}; output row a,
     * column b of block kb to {@code stage[sb + kb*2*rowStep + a*rowStep + b*L]}.
     */
    private static void outputTransform2of6(float[] m, int mb, int xiStride, int kb0, int kb1, float[] bias, float[] stage, int sb, int rowStep,
                                            float[] tmp) {
        for (int kb = kb0; kb < kb1; kb++) {
            int mo = mb + kb * L;
            for (int j = 0; j < 6; j++) {
                int o = mo + j * xiStride;
                FloatVector m0 = FloatVector.fromArray(F, m, o);
                FloatVector m1 = FloatVector.fromArray(F, m, o + 6 * xiStride);
                FloatVector m2 = FloatVector.fromArray(F, m, o + 12 * xiStride);
                FloatVector m3 = FloatVector.fromArray(F, m, o + 18 * xiStride);
                FloatVector m4 = FloatVector.fromArray(F, m, o + 24 * xiStride);
                FloatVector m5 = FloatVector.fromArray(F, m, o + 30 * xiStride);
                int to = j * L;
                m0.add(m1.add(m2)).add(m3.add(m4)).intoArray(tmp, to);
                m3.sub(m4).fma(P2, m1.sub(m2).add(m5)).intoArray(tmp, to + 6 * L);
            }
            FloatVector bv = FloatVector.fromArray(F, bias, kb * L);
            int so = sb + kb * 2 * rowStep;
            for (int a = 0; a < 2; a++) {
                int o = a * 6 * L;
                FloatVector m0 = FloatVector.fromArray(F, tmp, o);
                FloatVector m1 = FloatVector.fromArray(F, tmp, o + L);
                FloatVector m2 = FloatVector.fromArray(F, tmp, o + 2 * L);
                FloatVector m3 = FloatVector.fromArray(F, tmp, o + 3 * L);
                FloatVector m4 = FloatVector.fromArray(F, tmp, o + 4 * L);
                FloatVector m5 = FloatVector.fromArray(F, tmp, o + 5 * L);
                int out = so + a * rowStep;
                m0.add(m1.add(m2)).add(m3.add(m4)).add(bv).intoArray(stage, out);
                m3.sub(m4).fma(P2, m1.sub(m2).add(m5)).add(bv).intoArray(stage, out + L);
            }
        }
    }

    /**
     * The staged run {@code stage[kb][mt][segW][L]} to NCHW: channel k in [k0, k1), row a, columns [0, cols) to
     * {@code y[yb + k*plane + a*ow + col]}: strided loads from the (L1-resident) staging block, contiguous stores.
     * Scalar copies measured a little faster than L-lane gathers on Zen 2 and need no masks.
     */
    private static void scatter(float[] stage, int segW, int mt, int k0, int k1, int rows, int cols, float[] y, int yb, int plane, int ow) {
        int rowStep = segW * L, kbStep = mt * rowStep;
        for (int kk = k0; kk < k1; kk++) {
            int sk = (kk / L) * kbStep + kk % L, yk = yb + kk * plane;
            for (int a = 0; a < rows; a++) {
                int so = sk + a * rowStep, yo = yk + a * ow;
                for (int i = 0; i < cols; i++) y[yo + i] = stage[so + i * L];
            }
        }
    }

    /**
     * The staged run {@code stage[kb][mt][segW][L]} to nChw{L}c: block kb in [kb0, kb1), row a, columns [0, cols) to
     * {@code y[yb + kb*plane*L + (a*ow + col)*L]}, one contiguous copy of cols * L floats per block and row.
     */
    private static void copyRows(float[] stage, int segW, int mt, int kb0, int kb1, int rows, int cols, float[] y, int yb, int plane, int ow) {
        int rowStep = segW * L, kbStep = mt * rowStep;
        for (int kb = kb0; kb < kb1; kb++) {
            for (int a = 0; a < rows; a++) System.arraycopy(stage, kb * kbStep + a * rowStep, y, yb + kb * plane * L + a * ow * L, cols * L);
        }
    }

    /** {@link #copyRows} adding {@code res[i + resDelta]} to each output i, then ReLU when {@code relu}. */
    private static void copyRowsResidual(float[] stage, int segW, int mt, int kb0, int kb1, int rows, int cols, float[] y, int yb, int plane,
                                         int ow, float[] res, int resDelta, boolean relu) {
        int rowStep = segW * L, kbStep = mt * rowStep, n = cols * L;
        for (int kb = kb0; kb < kb1; kb++) {
            for (int a = 0; a < rows; a++) {
                int so = kb * kbStep + a * rowStep, yo = yb + kb * plane * L + a * ow * L;
                for (int i = 0; i < n; i += L) {
                    FloatVector v = FloatVector.fromArray(F, stage, so + i).add(FloatVector.fromArray(F, res, yo + i + resDelta));
                    (relu ? v.max(ZERO) : v).intoArray(y, yo + i);
                }
            }
        }
    }

    /** {@link #scatter} adding {@code res[i + resDelta]} to each output i, then ReLU when {@code relu} (NaN stays NaN). */
    private static void scatterResidual(float[] stage, int segW, int mt, int k0, int k1, int rows, int cols, float[] y, int yb, int plane, int ow,
                                        float[] res, int resDelta, boolean relu) {
        int rowStep = segW * L, kbStep = mt * rowStep;
        for (int kk = k0; kk < k1; kk++) {
            int sk = (kk / L) * kbStep + kk % L, yk = yb + kk * plane;
            for (int a = 0; a < rows; a++) {
                int so = sk + a * rowStep, yo = yk + a * ow;
                for (int i = 0; i < cols; i++) {
                    float v = stage[so + i * L] + res[yo + i + resDelta];
                    y[yo + i] = relu ? Math.max(v, 0f) : v;
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------ scratch

    /** Per-thread grow-only buffers. */
    private static final class Work {
        float[] xs = new float[0], v = new float[0], m = new float[0], stage = new float[0], bias = new float[0];
        final float[] tmp = new float[XI * L];
        final double[] dtmp = new double[DTMP];
        float[] u = new float[0];          // bwdData's transformed weights
        float[] uSrc = new float[0];       // ... the weights they were transformed from, and that convolution's C, K, R
        int uC = -1, uK = -1, uR = -1;
        ConvParams bwdOf, bwdParams;       // bwdData: the last convolution seen and its transposed one
        final Plan plan = new Plan();
        final Split split = new Split();
        final int[] rows = new int[6];   // input rows of a tile (alpha of them)

        /** Plans a call on this thread: sizes, scratch grown, bias padded to Kp (zero past K). */
        Plan prepare(ConvParams p, int m, float[] bias, int biasOff) {
            plan.set(p, m);
            grow(plan);
            Arrays.fill(this.bias, 0, plan.kp, 0f);
            if (bias != null) System.arraycopy(bias, biasOff, this.bias, 0, p.k());
            return plan;
        }

        /** Blocks of {@code bs} tiles for the prepared plan (its ring and this thread's scratch follow). */
        void reblock(int bs) {
            if (bs == plan.bs) return;
            plan.blockTiles(bs);
            grow(plan);
        }

        void grow(Plan p) {
            xs = grow(xs, p.ringFloats());
            v = grow(v, p.xi * p.tb * p.cp);
            m = grow(m, p.xi * p.tb * p.kp);
            stage = grow(stage, p.kp * p.m * p.m * Math.min(p.tb, p.tw));
            bias = grow(bias, p.kp);
        }

        static float[] grow(float[] a, int n) {
            return a.length >= n ? a : new float[n];
        }
    }
}
