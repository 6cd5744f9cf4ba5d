package io.github.vcnn.kernels.simd;

import io.github.vcnn.exec.WorkerPool;
import io.github.vcnn.kernels.Activation;
import io.github.vcnn.kernels.BlockedLayouts;
import io.github.vcnn.kernels.Checks;
import io.github.vcnn.kernels.ConvChecks;
import io.github.vcnn.kernels.ConvKernels;
import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.Layout;
import io.github.vcnn.kernels.PackAccess;
import io.github.vcnn.kernels.PackedConvWeights;
import io.github.vcnn.kernels.simd.conv.BwdWeightsOverChannels;
import io.github.vcnn.kernels.simd.conv.PointwiseConv;
import io.github.vcnn.kernels.simd.conv.RegisterTiles;
import io.github.vcnn.kernels.simd.conv.StrideTwoCopy;
import io.github.vcnn.kernels.simd.conv.TuningSetting;
import io.github.vcnn.kernels.simd.conv.WinogradBwdWeights;
import io.github.vcnn.kernels.simd.conv.WinogradConv;
import io.github.vcnn.kernels.simd.conv.gen.ConvTiles;
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
 * <p>Width path ({@link #widthPath}): with fewer than 8 output channels per group (depthwise), a reduction
 * C/G*R*S &lt; 64 (a first layer on a grey image) or at most 4 input channels per group (an RGB first layer) the
 * tile is instead {@link #PAIR_TILE} (or 8) output channels x 2L output columns of one row (a row's last L columns or
 * fewer: one vector; 8 adjacent channels of one block: one weight base), over a planar scratch
 * {@code [C][Hp][Wq]} whose rows are split into {@code strideW} column phases, so the input columns of one tap are
 * contiguous for any stride; results are stored straight into NCHW rows.
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
    /** Builds and reads the packs (only the library's kernels can). */
    private static final PackAccess KEY = PackAccess.grant();

    /** The JVM's preferred species: 16 lanes on AVX-512, 8 on AVX2, 4 on NEON / SSE; every layout below blocks by L. */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    static final String VARIANT = "simd";
    /**
     * Pixels of the register tiles (2 and 1 channel vectors). A 32-register ISA (AVX-512, NEON) takes 28
     * accumulators (14x2, 28x1), which measured 1.2-1.3x the 6x2 tile on an AVX-512 host (the register-tile probe of
     * ../shared/probes). A 16-register one (AVX2, SSE) takes 10 (5x2, 10x1): with 12, C2 keeps three broadcast
     * temporaries live and spills an accumulator to the stack every step (read in the generated code on
     * Zen 2), which put a store-to-load round trip on the FMA chain. Chosen once by {@link RegisterTiles};
     * {@code -Dvcnn.conv.tile=5x2|6x2|14x2} overrides.
     */
    static final int PAIR_TILE = RegisterTiles.CONV_PAIR_TILE, SINGLE_TILE = 2 * PAIR_TILE;
    /** Output pixels per staging block; a multiple of both tile widths and of 16, so that only a tensor's last chunk has a partial vector. */
    private static final int CHUNK = PAIR_TILE == 14 ? 112 : PAIR_TILE == 5 ? 160 : 96;
    /**
     * Whether the channel-blocked path packs each chunk's reduction into a tap-major panel ({@link #fillPanel}) and runs
     * the panel tiles, whose broadcasts sit at constant displacements from one base register: the 14 pixel bases of the
     * in-place tile do not fit the general registers beside the loop's own. {@code -Dvcnn.conv.panel=auto} (default):
     * with 16 lanes and the 14-pixel tile, for at least {@link #PANEL_MIN_CHANNELS} output channels per group, which
     * share the gathering copy; {@code true} for every channel count (the tests), {@code false} never.
     */
    private static final String PANEL_MODE = TuningSetting.choice("vcnn.conv.panel", "auto", "true", "false");
    /**
     * Output channels per group from which a panel pays for its gathers (Xeon, session 10, one thread: 128 -> 256 and
     * 256 -> 512 stride-2 3x3 layers of ResNet-18 10-12% faster, 64 -> 128 8% slower).
     */
    static final int PANEL_MIN_CHANNELS = 256;

    private static boolean panelFor(int kg) {
        return switch (PANEL_MODE) {
            case "true" -> true;
            case "false" -> false;
            default -> L >= 16 && PAIR_TILE == 14 && kg >= PANEL_MIN_CHANNELS;
        };
    }

    /** The register tile shapes in use, e.g. "5x2 / 10x1" (pixels x channel vectors; see {@link #PAIR_TILE}). */
    public static String tileShape() {
        return PAIR_TILE + "x2 / " + SINGLE_TILE + "x1";
    }

    /** Output pixels per band in bwdWeights (the band's dz and input rows stay in L1/L2). */
    private static final int BAND_PIXELS = 128;
    /** Slack behind the input scratch: weight-gradient tiles read up to SINGLE_TILE - 1 values past a kernel row. */
    private static final int SLACK = 32;
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

    /**
     * Whether {@link #pack} lays the weights out for Winograd: where it applies (3x3 or 5x5, stride 1, dilation
     * 1, one group), is enabled ({@code -Dvcnn.winograd=false} turns it off) and was measured faster than the direct
     * kernel ({@link WinogradConv#preferred}: tiles that waste little, enough tiles to share weights that outgrow the
     * cache; r18_l4's 7x7 with 512 channels stays direct), with at least 16 input and output channels (the direct
     * kernel measured close below that).
     */
    public static boolean prefersWinograd(ConvParams p) {
        return WinogradConv.preferred(p) && p.c() >= 16 && p.k() >= 16;
    }

    /** As {@link #prefersWinograd} for the input gradient (the transposed convolution: K -> C channels). */
    public static boolean prefersWinogradBwdData(ConvParams p) {
        return WinogradConv.preferredForBwdData(p) && p.c() >= 16 && p.k() >= 16;
    }

    @Override
    public PackedConvWeights pack(ConvParams p, float[] w, int wOff) {
        ConvChecks.pack(p, w, wOff);
        if (prefersWinograd(p)) {
            String algorithm = WinogradConv.outputTile(p) == 4 ? PackedConvWeights.WINOGRAD_F4X4 : PackedConvWeights.WINOGRAD_F2X2;
            return new PackedConvWeights(KEY, VARIANT, p, WinogradConv.transformWeights(p, w, wOff), L, algorithm);
        }
        if (PointwiseConv.preferred(p)) {   // the pointwise kernel's [K/KT][C][KT], vectorized over NCHW pixels
            return new PackedConvWeights(KEY, VARIANT, p, PointwiseConv.pack(p, w, wOff), PointwiseConv.channelTile(p), PackedConvWeights.POINTWISE);
        }
        int kb = blocks(p.kg());
        float[] data = new float[p.groups() * kb * p.r() * p.s() * p.cg() * L];
        packForward(w, wOff, p.groups(), p.kg(), p.cg(), p.r(), p.s(), data);
        return new PackedConvWeights(KEY, VARIANT, p, data, L);
    }

    /**
     * Where lane {@code lane} of block {@code kb} (of {@code kbs} blocks of {@code taps} reduction steps each) sits
     * in group {@code g}'s packed weights. Interleaved (the channel-blocked path): the blocks go in pairs whose two
     * vectors of a step are adjacent, {@code [pair][t][2][L]}, the odd last block alone {@code [t][L]}, so a
     * 2-vector tile reads both from one base register. Else (the width path) block by block {@code [kb][t][L]}.
     */
    private static int packedIndex(int g, int kb, int kbs, int taps, int t, int lane, boolean interleave) {
        int block = (g * kbs + kb) * taps * L;
        if (!interleave || (kb == kbs - 1 && kbs % 2 == 1)) return block + t * L + lane;
        int v = kb % 2;
        return block - v * taps * L + (t * 2 + v) * L + lane;
    }

    /** The channel-blocked (interleaved) layout serves every conv that does not take the width path. */
    private static boolean interleaved(int kg, int cg, int r, int s) {
        return !widthPath(kg, cg, r, s);
    }

    /**
     * Whether a conv of {@code kg} output and {@code cg} input channels per group and an R x S kernel takes the width
     * path: fewer than 8 output channels (depthwise), a reduction below 64 (a grey first layer), or at most 4 input
     * channels (an RGB first layer of any kernel size). For the last, the blocked path would copy each pixel's short
     * kernel rows (im2col) and transpose its output by gathers, a third of ResNet's 7x7 RGB layer, which ran in 3,300
     * us here against 3,870-4,340 there (Zen 4; 1,760-1,990 against 2,300-3,600 at 2 threads).
     */
    static boolean widthPath(int kg, int cg, int r, int s) {
        return kg < 8 || cg * r * s < 64 || cg <= 4;
    }

    /** dst[g][kb...][r][s][c][L] = w[g*Kg + kb*L + lane][c][r][s] (see {@link #packedIndex}); lanes past Kg stay zero. */
    private static void packForward(float[] w, int wOff, int groups, int kg, int cg, int r, int s, float[] dst) {
        int kbs = blocks(kg), taps = r * s * cg;
        boolean il = interleaved(kg, cg, r, s);
        for (int g = 0; g < groups; g++) {
            for (int k = 0; k < kg; k++) {
                int src = wOff + (g * kg + k) * cg * r * s;
                for (int c = 0; c < cg; c++) {
                    for (int t = 0; t < r * s; t++) {
                        dst[packedIndex(g, k / L, kbs, taps, t * cg + c, k % L, il)] = w[src + c * r * s + t];
                    }
                }
            }
        }
    }

    /**
     * Weights of the transposed convolution (bwdData): input and output channels swapped inside each
     * group, taps rotated by 180 degrees. dst[g][cb...][r][s][k][L] = w[g*Kg + k][cb*L + lane][R-1-r][S-1-s].
     */
    private static void packTransposed(float[] w, int wOff, int groups, int kg, int cg, int r, int s, float[] dst) {
        int cbs = blocks(cg), rs = r * s, taps = rs * kg;
        boolean il = interleaved(cg, kg, r, s);
        Arrays.fill(dst, 0, groups * cbs * rs * kg * L, 0f);
        for (int g = 0; g < groups; g++) {
            for (int k = 0; k < kg; k++) {
                int src = wOff + (g * kg + k) * cg * rs;
                for (int c = 0; c < cg; c++) {
                    for (int t = 0; t < rs; t++) {
                        dst[packedIndex(g, c / L, cbs, taps, (rs - 1 - t) * kg + k, c % L, il)] = w[src + c * rs + t];
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
        fwd(p, x, xOff, w, bias, biasOff, act, y, yOff, 1);
    }

    @Override
    public void fwd(ConvParams p, float[] x, int xOff, PackedConvWeights w, float[] bias, int biasOff, Epilogue act, float[] y, int yOff,
                    int threads) {
        ConvChecks.fwd(VARIANT, p, x, xOff, w, bias, biasOff, act, y, yOff);
        Checks.positive("threads", threads, "intra-op threads");
        if (w.isWinograd()) {
            if (!WinogradConv.applies(p)) {
                throw new IllegalArgumentException("weights packed for Winograd (3x3 or 5x5, stride 1, dilation 1, one group) do not fit "
                        + p + ": pack them for this convolution");
            }
            WinogradConv.fwd(p, x, xOff, w.data(KEY), bias, biasOff, act, y, yOff, threads);
            return;
        }
        if (PackedConvWeights.POINTWISE.equals(w.algorithm())) {   // packed for the pointwise kernel: [K/KT][C][KT]
            if (PointwiseConv.applies(p)) {
                PointwiseConv.fwd(p, x, xOff, w.data(KEY), 0, bias, biasOff, act, y, yOff, threads);
            } else {   // a padded 1x1 with weights packed for an unpadded one: correct, but packs per call (pack for p instead)
                fwd(p, x, xOff, pack(p, PointwiseConv.unpack(p, w.data(KEY)), 0), bias, biasOff, act, y, yOff, threads);
            }
            return;
        }
        fwdDirect(p, x, xOff, w, bias, biasOff, act, y, yOff, threads, false, false);
    }

    /** The direct paths (channel-blocked or width), input and output NCHW or, on the channel-blocked path, nChw{L}c. */
    private void fwdDirect(ConvParams p, float[] x, int xOff, PackedConvWeights w, float[] bias, int biasOff, Epilogue act, float[] y, int yOff,
                           int threads, boolean xBlocked, boolean yBlocked) {
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
        wk.job.conv(Job.FWD, p, x, xOff, w.data(KEY), b, act, y, yOff, sampled);
        wk.job.layouts(xBlocked, yBlocked);
        wk.job.runConv(wk, threads);
    }

    /** One gather of L channel planes per pixel (to nChw{L}c) or of L pixels of a channel (back), from 8 lanes. */
    @Override
    public void reorder(boolean toBlocked, int n, int c, int hw, float[] x, int xOff, float[] y, int yOff) {
        if (L < 8) {
            ConvKernels.super.reorder(toBlocked, n, c, hw, x, xOff, y, yOff);
            return;
        }
        if (BlockedLayouts.check(n, c, hw, L, x, xOff, y, yOff) == 0) return;
        int[] map = WORK.get().channelMap;
        int image = c * hw;
        if (toBlocked) {
            for (int l = 0; l < L; l++) map[l] = l * hw;
            for (int i = 0; i < n; i++) {
                for (int cb = 0; cb < c / L; cb++) {
                    int src = xOff + i * image + cb * L * hw, dst = yOff + i * image + cb * L * hw;
                    for (int px = 0; px < hw; px++) FloatVector.fromArray(F, x, src + px, map, 0).intoArray(y, dst + px * L);
                }
            }
        } else if (L >= 16) {
            // AVX-512 scatters: one contiguous load per pixel, its L channels stored into their planes
            for (int l = 0; l < L; l++) map[l] = l * hw;
            for (int i = 0; i < n; i++) {
                for (int cb = 0; cb < c / L; cb++) {
                    int src = xOff + i * image + cb * L * hw, dst = yOff + i * image + cb * L * hw;
                    for (int px = 0; px < hw; px++) FloatVector.fromArray(F, x, src + px * L).intoArray(y, dst + px, map, 0);
                }
            }
        } else {
            for (int l = 0; l < L; l++) map[l] = l * L;
            for (int i = 0; i < n; i++) {
                for (int cb = 0; cb < c / L; cb++) {
                    int src = xOff + i * image + cb * L * hw, dst = yOff + i * image + cb * L * hw;
                    for (int l = 0; l < L; l++) {
                        int d = dst + l * hw, s = src + l, px = 0;
                        for (; px + L <= hw; px += L) FloatVector.fromArray(F, x, s + px * L, map, 0).intoArray(y, d + px);
                        for (; px < hw; px++) y[d + px] = x[s + px * L];
                    }
                }
            }
        }
    }

    /**
     * A strided 1x1 convolution the pointwise kernel would take, packed for the channel-blocked direct path instead:
     * its sampled copy from nChw{L}c costs less than the pointwise kernel's two reorders (ResNet-18's downsamples 282 ->
     * 151 and 228 -> 154 us on Zen 4). Not at stride 1: SqueezeNet's 64 -> 16 squeeze took 198 us there against 43 us
     * in the pointwise kernel (one block of output channels is a poor tile for the direct path).
     */
    @Override
    public PackedConvWeights packBlocked(ConvParams p, float[] w, int wOff) {
        ConvChecks.pack(p, w, wOff);
        if (prefersWinograd(p) || !PointwiseConv.preferred(p) || p.groups() != 1 || widthPath(p.kg(), p.cg(), p.r(), p.s())
                || (p.strideH() == 1 && p.strideW() == 1)) return null;
        float[] data = new float[blocks(p.kg()) * p.r() * p.s() * p.cg() * L];
        packForward(w, wOff, 1, p.kg(), p.cg(), p.r(), p.s(), data);
        return new PackedConvWeights(KEY, VARIANT, p, data, L);
    }

    /** nChw{L}c with L the lanes of the preferred species (16 on AVX-512, 8 on AVX2, 4 on NEON). */
    @Override
    public int blockLanes() {
        return L;
    }

    /**
     * The Winograd kernel (its ring and staging are blocked) and the channel-blocked direct path of one group (its
     * channel-last input copy takes L channels per vector copy instead of a gather, its staged outputs go out by
     * contiguous rows instead of a transposition) compute in nChw{L}c natively; the width path and the pointwise
     * kernel work on NCHW planes.
     */
    @Override
    public boolean readsBlocked(PackedConvWeights w) {
        return w != null && VARIANT.equals(w.variant()) && (w.isWinograd() || directBlocked(w));
    }

    @Override
    public boolean writesBlocked(PackedConvWeights w) {
        return readsBlocked(w);
    }

    private static boolean directBlocked(PackedConvWeights w) {
        ConvParams p = w.params();
        return PackedConvWeights.DIRECT.equals(w.algorithm()) && p.groups() == 1 && !widthPath(p.kg(), p.cg(), p.r(), p.s());
    }

    /**
     * The Winograd kernel adds a residual in its stores (activation none or ReLU). Elsewhere the convolution runs
     * without the activation, then the vector add (+ ReLU) runs over the output; other activations take the default's
     * scalar pass, whose bits {@link Epilogue#apply} defines.
     */
    @Override
    public void fwd(ConvParams p, Layout xLayout, float[] x, int xOff, PackedConvWeights w, float[] bias, int biasOff, float[] residual,
                    int residualOff, Epilogue act, Layout yLayout, float[] y, int yOff, int threads) {
        if (residual == null || act == null || !WinogradConv.fusesResidual(act)) {
            ConvKernels.super.fwd(p, xLayout, x, xOff, w, bias, biasOff, residual, residualOff, act, yLayout, y, yOff, threads);
            return;
        }
        ConvChecks.residual(p, residual, residualOff, y, yOff);
        if (w != null && w.isWinograd() && WinogradConv.applies(p)) {
            ConvChecks.fwd(VARIANT, L, p, xLayout, x, xOff, w, bias, biasOff, act, yLayout, y, yOff, threads);
            WinogradConv.fwd(p, xLayout == Layout.BLOCKED, x, xOff, w.data(KEY), bias, biasOff, residual, residualOff, act,
                    yLayout == Layout.BLOCKED, y, yOff, threads);
            return;
        }
        fwd(p, xLayout, x, xOff, w, bias, biasOff, Epilogue.NONE, yLayout, y, yOff, threads);
        SimdKernels.INSTANCE.elementwise().add(y, yOff, residual, residualOff, y, yOff, p.outputSize(), !act.isIdentity());
    }

    @Override
    public void fwd(ConvParams p, Layout xLayout, float[] x, int xOff, PackedConvWeights w, float[] bias, int biasOff, Epilogue act,
                    Layout yLayout, float[] y, int yOff, int threads) {
        boolean blocked = xLayout == Layout.BLOCKED || yLayout == Layout.BLOCKED;
        if (!blocked || p == null || !readsBlocked(w) || (w.isWinograd() && !WinogradConv.applies(p))) {
            ConvKernels.super.fwd(p, xLayout, x, xOff, w, bias, biasOff, act, yLayout, y, yOff, threads);
            return;
        }
        ConvChecks.fwd(VARIANT, L, p, xLayout, x, xOff, w, bias, biasOff, act, yLayout, y, yOff, threads);
        if (w.isWinograd()) {
            WinogradConv.fwd(p, xLayout == Layout.BLOCKED, x, xOff, w.data(KEY), bias, biasOff, act, yLayout == Layout.BLOCKED, y, yOff, threads);
        } else {
            fwdDirect(p, x, xOff, w, bias, biasOff, act, y, yOff, threads, xLayout == Layout.BLOCKED, yLayout == Layout.BLOCKED);
        }
    }

    /** The segment offsets of an im2col chunk: one segment holding the whole reduction. */
    private static final int[] ONE_SEGMENT = {0};
    /**
     * Weight bytes of the kernel rows run for every tile of a chunk before the next rows (a share of L1 beside the
     * chunk's staged outputs and input rows): a K-pair's whole panel (51 KB for LeNet's 5x5x32 layer) streamed from L2
     * once per tile before.
     */
    private static final int SEGMENT_BYTES = Integer.getInteger("vcnn.conv.segmentBytes", 12 * 1024);

    /** Work items of one image on the channel-blocked path: (group, pair of channel blocks, chunk of CHUNK pixels). */
    private static int blockedItems(Work wk) {
        return wk.groups * ((blocks(wk.kg) + 1) / 2) * ((wk.oh * wk.ow + CHUNK - 1) / CHUNK);
    }

    /**
     * One image through the planned convolution: y[k][pix] = act(sum_{r,s,c} w[k][r][s][c] * xs[pix][r][s][c] + b[k]).
     * Reads the scratch input of {@code wk}; writes NCHW output from {@code yOff}.
     */
    private static void convImage(Work wk, float[] wp, float[] bias, Epilogue act, float[] y, int yOff) {
        if (wk.width) {
            convImageWidth(wk, wp, bias, act, y, yOff);
        } else {
            convBlocked(wk, wk, wp, bias, act, y, yOff, 0, blockedItems(wk));
        }
    }

    /**
     * Items [from, to) of one image on the channel-blocked path (see {@link #blockedItems}): the planned geometry
     * and input scratch come from {@code wk}, the staging buffers from {@code own} (the running thread's).
     */
    private static void convBlocked(Work wk, Work own, float[] wp, float[] bias, Epilogue act, float[] y, int yOff, int from, int to) {
        int kg = wk.kg, kbs = blocks(kg), ohw = wk.oh * wk.ow, steps = (kbs + 1) / 2, chunks = (ohw + CHUNK - 1) / CHUNK;
        int blockSize = wk.nseg * wk.inner * L, taps = wk.nseg * wk.inner;
        boolean im2col = wk.im2col, panel = wk.panel, chunkMajor = im2col || panel;
        float[] xs = wk.xs, stage = own.stage;
        float[] col = im2col ? own.col = Work.grow(own.col, CHUNK * taps) : panel ? own.col = Work.grow(own.col, CHUNK / SINGLE_TILE * taps * ConvTiles.PANEL_STRIDE) : null;
        int[] pb = own.pixelBase;
        int lastCol = -1;   // which (group, chunk) own.col holds
        for (int item = from; item < to; item++) {
            // im2col and panels: chunk-major, so a chunk's copy serves all its channel blocks; else block-major (weights stay in cache)
            int chunk, g, kb;
            if (chunkMajor) {
                kb = 2 * (item % steps);
                chunk = item / steps % chunks;
                g = item / steps / chunks;
            } else {
                chunk = item % chunks;
                kb = 2 * (item / chunks % steps);
                g = item / chunks / steps;
            }
            int xg = g * wk.hp * wk.wp * wk.cg;
            int vecs = kbs - kb >= 2 ? 2 : 1, tileWidth = vecs == 2 ? PAIR_TILE : SINGLE_TILE;
            int wb = (g * kbs + kb) * blockSize, bb = (g * kbs + kb) * L;
            int pix0 = chunk * CHUNK, len = Math.min(CHUNK, ohw - pix0);
            boolean fresh = chunkMajor && lastCol != g * chunks + chunk;
            if (im2col && fresh) {
                // the chunk's pixels with their whole reduction contiguous: col[i][q*inner + u] = xs[base_i + segOff[q] + u]
                int oh = pix0 / wk.ow, ow = pix0 % wk.ow;
                for (int i = 0; i < len; i++) {
                    int base = xg + (oh * wk.sh * wk.wp + ow * wk.sw) * wk.cg;
                    for (int q = 0; q < wk.nseg; q++) System.arraycopy(xs, base + wk.segOff[q], col, i * taps + q * wk.inner, wk.inner);
                    if (++ow == wk.ow) {
                        ow = 0;
                        oh++;
                    }
                }
            }
            if (chunkMajor) lastCol = g * chunks + chunk;
            int oh = pix0 / wk.ow, ow = pix0 % wk.ow;
            // pixel bases of the chunk's tiles (a panel's whole stride); pixels past the image repeat the last one (computed, never stored)
            int padded = panel ? RegisterTiles.roundUp(len, SINGLE_TILE) - SINGLE_TILE + ConvTiles.PANEL_STRIDE : RegisterTiles.roundUp(len, tileWidth), base = 0;
            if (!panel || fresh) {
                for (int i = 0; i < padded; i++) {
                    if (pix0 + i < ohw && i < len) {
                        base = im2col ? i * taps : xg + (oh * wk.sh * wk.wp + ow * wk.sw) * wk.cg;
                        if (++ow == wk.ow) {
                            ow = 0;
                            oh++;
                        }
                    }
                    pb[i] = base;
                }
            }
            if (panel) {
                if (fresh) fillPanel(xs, pb, len, wk.segOff, wk.nseg, wk.inner, col);
                // a few hundred reduction steps for every tile of the chunk, then the next: their weights stay in L1
                int group = Math.max(1, SEGMENT_BYTES / (vecs * L * Float.BYTES));
                for (int t0 = 0; t0 < taps; t0 += group) {
                    int t1 = Math.min(taps, t0 + group);
                    for (int t = 0; t < len; t += tileWidth) {
                        panelTile(vecs, col, t / SINGLE_TILE * taps * ConvTiles.PANEL_STRIDE + t % SINGLE_TILE, t0, t1, wp, wb, bias, bb, stage, t * L);
                    }
                }
            } else if (im2col) {
                for (int t = 0; t < len; t += tileWidth) tile(vecs, col, pb, t, wp, wb, ONE_SEGMENT, 0, 1, taps, bias, bb, stage, t * L);
            } else {
                // a few kernel rows for every tile of the chunk, then the next few: their weights stay in L1 for all tiles
                int group = Math.max(1, SEGMENT_BYTES / (wk.inner * vecs * L * Float.BYTES));
                for (int q0 = 0; q0 < wk.nseg; q0 += group) {
                    int q1 = Math.min(wk.nseg, q0 + group);
                    for (int t = 0; t < len; t += tileWidth) {
                        tile(vecs, xs, pb, t, wp, wb, wk.segOff, q0, q1, wk.inner, bias, bb, stage, t * L);
                    }
                }
            }
            activate(stage, 0, len * L, act);
            if (vecs == 2) activate(stage, CHUNK * L, len * L, act);
            if (wk.yBlocked) {   // nChw{L}c, one group: each block's staged pixels are its output run as it is
                for (int v = 0; v < vecs; v++) System.arraycopy(stage, v * CHUNK * L, y, yOff + ((kb + v) * ohw + pix0) * L, len * L);
                continue;
            }
            // staging [vec][pixel][L] -> NCHW rows of the block's channels
            for (int v = 0; v < vecs; v++) {
                for (int lane = 0; lane < L; lane++) {
                    int k = (kb + v) * L + lane;
                    if (k >= kg) break;
                    int yb = yOff + (g * kg + k) * ohw + pix0, sb = v * CHUNK * L + lane;
                    int i = 0;
                    for (; i + L <= len; i += L) FloatVector.fromArray(F, stage, sb + i * L, STAGE_MAP, 0).intoArray(y, yb + i);
                    for (; i < len; i++) y[yb + i] = stage[sb + i * L];   // tail: a masked gather is no intrinsic on AVX2 (it allocates)
                }
            }
        }
    }

    /**
     * One register tile of the channel-blocked forward: {@code vecs} (1 or 2) vectors of output channels
     * x {@link #PAIR_TILE} or {@link #SINGLE_TILE} pixels. The shape is a static final choice, so C2
     * folds the switch and inlines one generated tile.
     */
    private static void tile(int vecs, float[] xs, int[] pb, int pbo, float[] wp, int wb, int[] segOff, int q0, int q1, int inner,
                             float[] bias, int bb, float[] stage, int o) {
        if (vecs == 2) {
            if (PAIR_TILE == 14) ConvTiles.fwd14x2(xs, pb, pbo, wp, wb, segOff, q0, q1, inner, bias, bb, stage, o, CHUNK * L);
            else if (PAIR_TILE == 5) ConvTiles.fwd5x2(xs, pb, pbo, wp, wb, segOff, q0, q1, inner, bias, bb, stage, o, CHUNK * L);
            else ConvTiles.fwd6x2(xs, pb, pbo, wp, wb, segOff, q0, q1, inner, bias, bb, stage, o, CHUNK * L);
        } else {
            if (SINGLE_TILE == 28) ConvTiles.fwd28x1(xs, pb, pbo, wp, wb, segOff, q0, q1, inner, bias, bb, stage, o, CHUNK * L);
            else if (SINGLE_TILE == 10) ConvTiles.fwd10x1(xs, pb, pbo, wp, wb, segOff, q0, q1, inner, bias, bb, stage, o, CHUNK * L);
            else ConvTiles.fwd12x1(xs, pb, pbo, wp, wb, segOff, q0, q1, inner, bias, bb, stage, o, CHUNK * L);
        }
    }

    /**
     * The chunk's panel, tap-major by groups of {@link #SINGLE_TILE} pixels: {@code col[(grp*taps + t)*PANEL_STRIDE + j]
     * = xs[pb[grp*SINGLE_TILE + j] + segOff[q] + u]} for step t = q*inner + u, one gather of L pixels at a time (the
     * pixel bases already repeat the last pixel past the chunk's {@code len}).
     */
    private static void fillPanel(float[] xs, int[] pb, int len, int[] segOff, int nseg, int inner, float[] col) {
        int ps = ConvTiles.PANEL_STRIDE, taps = nseg * inner;
        for (int grp = 0; grp * SINGLE_TILE < len; grp++) {
            int p0 = grp * SINGLE_TILE;
            for (int q = 0; q < nseg; q++) {
                int so = segOff[q], d = (grp * taps + q * inner) * ps;
                for (int u = 0; u < inner; u++, d += ps) {
                    for (int m = 0; m < ps; m += L) FloatVector.fromArray(F, xs, so + u, pb, p0 + m).intoArray(col, d + m);
                }
            }
        }
    }

    /** As {@link #tile} on a panel ({@link #fillPanel}) from {@code col[cb]}, over steps [t0, t1). */
    private static void panelTile(int vecs, float[] col, int cb, int t0, int t1, float[] wp, int wb, float[] bias, int bb,
                                  float[] stage, int o) {
        if (vecs == 2) {
            if (PAIR_TILE == 14) ConvTiles.panel14x2(col, cb, t0, t1, wp, wb, bias, bb, stage, o, CHUNK * L);
            else if (PAIR_TILE == 5) ConvTiles.panel5x2(col, cb, t0, t1, wp, wb, bias, bb, stage, o, CHUNK * L);
            else ConvTiles.panel6x2(col, cb, t0, t1, wp, wb, bias, bb, stage, o, CHUNK * L);
        } else {
            if (SINGLE_TILE == 28) ConvTiles.panel28x1(col, cb, t0, t1, wp, wb, bias, bb, stage, o, CHUNK * L);
            else if (SINGLE_TILE == 10) ConvTiles.panel10x1(col, cb, t0, t1, wp, wb, bias, bb, stage, o, CHUNK * L);
            else ConvTiles.panel12x1(col, cb, t0, t1, wp, wb, bias, bb, stage, o, CHUNK * L);
        }
    }

    // ------------------------------------------------------------------------- width path (forward)

    /**
     * The vectorized-over-width forward for few channels per group or a short
     * reduction: a tile is 6 output channels x 32 consecutive output columns of one row (12 accumulators),
     * summing broadcast weights times input row vectors over (r, s, c); results go straight to NCHW rows.
     * Channels of a tile may come from different groups (depthwise), each reading its own input planes.
     */
    private static void convImageWidth(Work wk, float[] wp, float[] bias, Epilogue act, float[] y, int yOff) {
        convImageWidth(wk, wk, wp, bias, act, y, yOff, 0, widthUnits(wk));
    }

    /**
     * Units of the width path, the rows of one image: its output rows (every channel of one row), then the tiles of
     * (channel, row) items of a grouped conv's last channels. A batch smaller than the thread count splits them.
     */
    private static int widthUnits(Work wk) {
        int k = wk.groups * wk.kg, fullK = wk.groups == 1 ? k : k - k % PAIR_TILE;
        return wk.oh + ((k - fullK) * wk.oh + PAIR_TILE - 1) / PAIR_TILE;
    }

    /** Width-path units [from, to) of {@link #widthUnits}: geometry and input scratch from {@code wk}, tile buffers from {@code own}. */
    private static void convImageWidth(Work wk, Work own, float[] wp, float[] bias, Epilogue act, float[] y, int yOff, int from, int to) {
        int kg = wk.kg, kbs = blocks(kg), k = wk.groups * kg, oh = wk.oh, ow = wk.ow;
        int planeGroup = wk.cg * wk.hp * wk.wq, blockSize = wk.taps * L, rowStep = wk.sh * wk.wq;
        int[] tw = own.tileW, ty = own.tileY, tx = own.tileX;
        float[] tb = own.tileB, rows = own.rowAcc;
        int rowFrom = Math.min(from, oh), rowTo = Math.min(to, oh);
        // PAIR_TILE channels of one output row per tile while that many channels are left; with one group, the last
        // few channels too, the last one repeated to fill the tile (the same values stored twice: cheaper than the
        // per-item tile, whose loads were 18% of a 64-channel RGB layer for its last 4 channels) ...
        int fullK = wk.groups == 1 ? k : k - k % PAIR_TILE;
        int items = widthItems(wk.groups, k);
        // whole tiles over shared rows with ReLU or no activation finish in registers, straight into y (the staging
        // round trip and the activation pass took a fifth of an RGB stride-2 layer)
        boolean relu = act.kind() == Activation.RELU, stored = relu || act.isIdentity();
        for (int k0 = 0; k0 < fullK && rowFrom < rowTo; k0 += items) {
            boolean shared = true;
            for (int i = 0; i < items; i++) {
                setItem(wk, own, bias, i, Math.min(k0 + i, k - 1), 0, kbs, blockSize, planeGroup, rowStep, yOff);
                shared &= tx[i] == tx[0];
            }
            // 8 channels from a multiple of 8 lie side by side in one block: one weight base for the tile
            boolean adjacent = items == 8 && wk.groups == 1 && L % 8 == 0 && k0 + 8 <= k;
            for (int row = rowFrom; row < rowTo; row++) {
                for (int t0 = 0; t0 < ow; t0 += WIDTH_TILE) {
                    if (shared && stored && t0 > 0 && ow - t0 <= L) {
                        // a row's last L columns or fewer, after whole tiles: one vector, moved left to end at the row's
                        // end (ResNet's 112 columns had computed 128 with a 2-vector tile there)
                        widthTileStoredSingle(items, adjacent, wk.xs, tx[0] + row * rowStep + ow - L, wk.tapOff, wk.taps, wp, tw, tb, relu, y, ty,
                                row * ow + ow - L);
                        continue;
                    }
                    int ow0 = lastTileStart(t0, ow), cols = Math.min(WIDTH_TILE, ow - ow0), at = row * rowStep + ow0;
                    // a row narrower than the tile but at least half as wide (LeNet's 28 columns) is stored whole too
                    // when this task computes the next row of the plane next: its extra columns land on that row's
                    // first ones, overwritten then
                    if (shared && stored && (cols == WIDTH_TILE || (row + 1 < rowTo && 2 * ow >= WIDTH_TILE))) {
                        widthTileStored(items, adjacent, wk.xs, tx[0] + at, wk.tapOff, wk.taps, wp, tw, tb, relu, y, ty, row * ow + ow0);
                        continue;
                    } else if (shared) {
                        widthTileShared(items, adjacent, wk.xs, tx[0] + at, wk.tapOff, wk.taps, wp, tw, tb, rows);
                    } else {
                        widthTileSeparate(wk.xs, tx, at, wk.tapOff, wk.taps, wp, tw, tb, rows);
                    }
                    finishRows(rows, act, y, ty, row * ow + ow0, cols, items);
                }
            }
        }
        // ... then (channel, row) pairs of the last k % PAIR_TILE channels, PAIR_TILE per tile (one channel: PAIR_TILE rows)
        int pairs = (k - fullK) * oh;
        for (int it0 = Math.max(0, from - oh) * PAIR_TILE, end = Math.max(0, to - oh) * PAIR_TILE; it0 < Math.min(pairs, end); it0 += PAIR_TILE) {
            for (int i = 0; i < PAIR_TILE; i++) {
                int it = Math.min(it0 + i, pairs - 1);   // a short last tile repeats its last item
                setItem(wk, own, bias, i, fullK + it / oh, it % oh, kbs, blockSize, planeGroup, rowStep, yOff);
            }
            for (int t0 = 0; t0 < ow; t0 += WIDTH_TILE) {
                int ow0 = lastTileStart(t0, ow);
                widthTileSeparate(wk.xs, tx, ow0, wk.tapOff, wk.taps, wp, tw, tb, rows);
                finishRows(rows, act, y, ty, ow0, Math.min(WIDTH_TILE, ow - ow0), PAIR_TILE);
            }
        }
    }

    /**
     * Channels per width tile of a one-group conv: {@link #PAIR_TILE}, or 8 on 32 registers when 8 wastes fewer repeated
     * channels (K = 32: 4 tiles of 8 against 3 of 14, ten of whose 42 channels repeat). Both tiles are bound by their
     * FMAs (a tap is 2 loads, P broadcasts and 2P FMAs), so the time goes with the channels computed.
     */
    static int widthItems(int groups, int k) {
        if (groups != 1 || PAIR_TILE < 8 || !RegisterTiles.WIDE_REGISTER_FILE) return PAIR_TILE;
        return RegisterTiles.fewestComputed(k, PAIR_TILE);
    }

    /**
     * Where the tile of columns from {@code t0} starts: a short last tile of a row at least a tile wide moves left to
     * end at the row's end, recomputing a few columns (to the same bits: a column's sum does not depend on the tile),
     * so every store is a whole vector (masked stores are slow on Zen 2; SqueezeNet's 55 columns made every 4th tile short).
     */
    private static int lastTileStart(int t0, int ow) {
        return t0 + WIDTH_TILE > ow && ow >= WIDTH_TILE ? ow - WIDTH_TILE : t0;
    }

    /** Tile item i = output channel ch, output row `row`: its weights, bias, input and output row bases. */
    private static void setItem(Work wk, Work own, float[] bias, int i, int ch, int row, int kbs, int blockSize, int planeGroup, int rowStep,
                                int yOff) {
        int g = ch / wk.kg, kl = ch % wk.kg;
        own.tileW[i] = (g * kbs + kl / L) * blockSize + kl % L;
        own.tileB[i] = bias[(g * kbs + kl / L) * L + kl % L];
        own.tileX[i] = g * planeGroup + row * rowStep;
        own.tileY[i] = yOff + (ch * wk.oh + row) * wk.ow;
    }

    /** Activation on the {@code items} x 2L tile results, then up to {@code cols} columns of each to its output row. */
    private static void finishRows(float[] rows, Epilogue act, float[] y, int[] ty, int yo, int cols, int items) {
        activate(rows, 0, items * WIDTH_TILE, act);
        if (cols == WIDTH_TILE) {
            for (int i = 0; i < items; i++) {
                FloatVector.fromArray(F, rows, i * WIDTH_TILE).intoArray(y, ty[i] + yo);
                FloatVector.fromArray(F, rows, i * WIDTH_TILE + L).intoArray(y, ty[i] + yo + L);
            }
        } else {
            VectorMask<Float> lo = F.indexInRange(0, cols), hi = F.indexInRange(L, cols);
            for (int i = 0; i < items; i++) {
                int at = ty[i] + yo;
                if (at + WIDTH_TILE <= y.length) {
                    FloatVector.fromArray(F, rows, i * WIDTH_TILE).intoArray(y, at, lo);
                    FloatVector.fromArray(F, rows, i * WIDTH_TILE + L).intoArray(y, at + L, hi);
                } else {
                    // the array's last row: a masked store whose vector overhangs the array takes the Vector API's
                    // checked path, which allocated 120 bytes per call (LeNet's first layer, every training slice)
                    for (int c = 0; c < cols; c++) y[at + c] = rows[i * WIDTH_TILE + c];
                }
            }
        }
    }

    /**
     * The width-path tile over shared input rows: {@code items} ({@link #PAIR_TILE}, or 8 from {@link #widthItems}, which
     * only one-group convs take: their rows are always shared) x 2 column vectors (generated, see {@link #tile}).
     */
    private static void widthTileShared(int items, boolean adjacent, float[] x, int xb, int[] tapOff, int taps, float[] w, int[] tw, float[] tb,
                                        float[] out) {
        if (adjacent) ConvTiles.width8Adjacent(x, xb, tapOff, taps, w, tw, tb, out);
        else if (items == 8) ConvTiles.width8Shared(x, xb, tapOff, taps, w, tw, tb, out);
        else if (PAIR_TILE == 14) ConvTiles.width14Shared(x, xb, tapOff, taps, w, tw, tb, out);
        else if (PAIR_TILE == 5) ConvTiles.width5Shared(x, xb, tapOff, taps, w, tw, tb, out);
        else ConvTiles.width6Shared(x, xb, tapOff, taps, w, tw, tb, out);
    }

    /** As {@link #widthTileShared}, then ReLU (or nothing) and the store of each item's 2L columns to {@code y[ty[i] + yo ..]}. */
    private static void widthTileStored(int items, boolean adjacent, float[] x, int xb, int[] tapOff, int taps, float[] w, int[] tw, float[] tb,
                                        boolean relu,
                                        float[] y, int[] ty, int yo) {
        if (adjacent) ConvTiles.width8AdjacentStored(x, xb, tapOff, taps, w, tw, tb, relu, y, ty, yo);
        else if (items == 8) ConvTiles.width8SharedStored(x, xb, tapOff, taps, w, tw, tb, relu, y, ty, yo);
        else if (PAIR_TILE == 14) ConvTiles.width14SharedStored(x, xb, tapOff, taps, w, tw, tb, relu, y, ty, yo);
        else if (PAIR_TILE == 5) ConvTiles.width5SharedStored(x, xb, tapOff, taps, w, tw, tb, relu, y, ty, yo);
        else ConvTiles.width6SharedStored(x, xb, tapOff, taps, w, tw, tb, relu, y, ty, yo);
    }

    /** As {@link #widthTileStored} for one vector of L columns. */
    private static void widthTileStoredSingle(int items, boolean adjacent, float[] x, int xb, int[] tapOff, int taps, float[] w, int[] tw,
                                              float[] tb, boolean relu, float[] y, int[] ty, int yo) {
        if (adjacent) ConvTiles.width8x1AdjacentStored(x, xb, tapOff, taps, w, tw, tb, relu, y, ty, yo);
        else if (items == 8) ConvTiles.width8x1SharedStored(x, xb, tapOff, taps, w, tw, tb, relu, y, ty, yo);
        else if (PAIR_TILE == 14) ConvTiles.width14x1SharedStored(x, xb, tapOff, taps, w, tw, tb, relu, y, ty, yo);
        else if (PAIR_TILE == 5) ConvTiles.width5x1SharedStored(x, xb, tapOff, taps, w, tw, tb, relu, y, ty, yo);
        else ConvTiles.width6x1SharedStored(x, xb, tapOff, taps, w, tw, tb, relu, y, ty, yo);
    }

    /** The width-path tile, each item with its own input rows. */
    private static void widthTileSeparate(float[] x, int[] tx, int at, int[] tapOff, int taps, float[] w, int[] tw, float[] tb, float[] out) {
        if (PAIR_TILE == 14) ConvTiles.width14Separate(x, tx, at, tapOff, taps, w, tw, tb, out);
        else if (PAIR_TILE == 5) ConvTiles.width5Separate(x, tx, at, tapOff, taps, w, tw, tb, out);
        else ConvTiles.width6Separate(x, tx, at, tapOff, taps, w, tw, tb, out);
    }

    private static final FloatVector ZERO = FloatVector.zero(F);

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
                    // the same exp as SimdActivation (the lanewise EXP operator is a slow library call on most JDKs)
                    SimdMath.sigmoid(FloatVector.fromArray(F, a, i)).intoArray(a, i);
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
        bwdData(p, dz, dzOff, w, wOff, dx, dxOff, 1);
    }

    @Override
    public void bwdData(ConvParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff, int threads) {
        ConvChecks.bwdData(p, dz, dzOff, w, wOff, dx, dxOff);
        Checks.positive("threads", threads, "intra-op threads");
        if (prefersWinogradBwdData(p)) {
            WinogradConv.bwdData(p, dz, dzOff, w, wOff, dx, dxOff, threads);
            return;
        }
        checkScratch(p);

        Work wk = WORK.get();
        int groups = p.groups(), kg = p.kg(), cg = p.cg(), r = p.r(), s = p.s();
        // dx = conv(spread(dz), rot180(w) with C and K swapped), stride 1, same dilation, padding dil*(R-1) - pad
        int cbs = blocks(cg);
        float[] wt = wk.wt = Work.grow(wk.wt, groups * cbs * r * s * kg * L);
        packTransposed(w, wOff, groups, kg, cg, r, s, wt);
        float[] b = wk.bias = Work.grow(wk.bias, groups * cbs * L);
        Arrays.fill(b, 0, groups * cbs * L, 0f);
        wk.job.conv(Job.BWD_DATA, p, dz, dzOff, wt, b, Epilogue.NONE, dx, dxOff, false);
        wk.job.runConv(wk, threads);
    }

    // ---------------------------------------------------------------------------------- bwd weights

    @Override
    public void bwdWeights(ConvParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff, float[] db, int dbOff) {
        bwdWeights(p, x, xOff, dz, dzOff, dw, dwOff, db, dbOff, 1);
    }

    @Override
    public void bwdWeights(ConvParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff, float[] db, int dbOff,
                           int threads) {
        ConvChecks.bwdWeights(p, x, xOff, dz, dzOff, dw, dwOff, db, dbOff);
        Checks.positive("threads", threads, "intra-op threads");
        if (WinogradBwdWeights.preferred(p)) {
            // 3x3 / 5x5 stride 1: Winograd over 6x6 tiles, 2.8x (5x5) to 4x (3x3) fewer multiplies
            WinogradBwdWeights.bwdWeights(p, x, xOff, dz, dzOff, dw, dwOff, threads);
            if (db != null) biasGradient(p.n(), p.k(), p.outH() * p.outW(), dz, dzOff, db, dbOff, threads);
            return;
        }
        if (BwdWeightsOverChannels.applies(p)) {
            // stride 1 with a vector of input channels or more: vectorized over C, no offset table, no dz gathers
            BwdWeightsOverChannels.bwdWeights(p, x, xOff, dz, dzOff, dw, dwOff, threads);
            if (db != null) biasGradient(p.n(), p.k(), p.outH() * p.outW(), dz, dzOff, db, dbOff, threads);
            return;
        }
        checkScratch(p);

        Work wk = WORK.get();
        int groups = p.groups(), kg = p.kg(), cg = p.cg(), r = p.r(), s = p.s(), kbs = blocks(kg);
        int oh = p.outH(), ow = p.outW(), ohw = oh * ow, rs = r * s;
        wk.plan(groups, cg, kg, r, s, p.strideH(), p.strideW(), p.dilationH(), p.dilationW(), oh, ow, false);
        Job job = wk.job;
        // one input channel at stride 1 (5x5 on a grey image): vectorize over pixels, skip the dz transpose
        if (groups == 1 && cg == 1 && wk.sh == 1 && wk.sw == 1 && wk.inner >= 3 && wk.inner <= 5 && kg % 4 == 0
                && (oh * wk.wp + L - 1) / L * L + wk.segOff[wk.nseg - 1] + 4 <= wk.hp * wk.wp + SLACK) {
            int taps = wk.nseg * wk.inner;
            float[] acc = wk.dwb = Work.grow(wk.dwb, kg * taps * L);
            Arrays.fill(acc, 0, kg * taps * L, 0f);
            job.weights(Job.GREY, p, x, xOff, dz, dzOff, acc, kg / 4);
            job.runWeights(threads);
            for (int ch = 0; ch < kg; ch++) {
                for (int t = 0; t < taps; t++) {
                    int o = (ch * taps + t) * L;
                    float sum = 0f;
                    for (int l = 0; l < L; l++) sum += acc[o + l];   // lanes in index order: reproducible
                    dw[dwOff + ch * taps + t] = sum;
                }
            }
        } else {
            int blockSize = wk.nseg * wk.inner * L, accSize = groups * kbs * blockSize;
            float[] acc = wk.dwb = Work.grow(wk.dwb, accSize);
            Arrays.fill(acc, 0, accSize, 0f);
            job.weights(Job.BLOCKS, p, x, xOff, dz, dzOff, acc, groups * ((kbs + 1) / 2));
            job.runWeights(threads);
            // acc[g][kb][r][s][c][L] -> dw[g*Kg + k][c][r][s]
            for (int g = 0; g < groups; g++) {
                for (int k = 0; k < kg; k++) {
                    int block = (g * kbs + k / L) * blockSize, lane = k % L, dst = dwOff + (g * kg + k) * cg * rs;
                    for (int c = 0; c < cg; c++) {
                        for (int t = 0; t < rs; t++) dw[dst + c * rs + t] = acc[block + (t * cg + c) * L + lane];
                    }
                }
            }
        }
        if (db != null) biasGradient(p.n(), p.k(), ohw, dz, dzOff, db, dbOff, threads);
    }

    /**
     * bwdWeights of the units [from, to) of (group, pair of output-channel blocks), over every image, band by band,
     * into {@code j.acc[g][kb][r][s][c][L]}. A unit's sums never depend on which thread or split ran it.
     */
    private static void bwdWeightsBlocks(Job j, Work own, int from, int to) {
        ConvParams p = j.p;
        int groups = p.groups(), kg = p.kg(), cg = p.cg(), kbs = blocks(kg), steps = (kbs + 1) / 2;
        int oh = p.outH(), ow = p.outW(), ohw = oh * ow;
        own.plan(groups, cg, kg, p.r(), p.s(), p.strideH(), p.strideW(), p.dilationH(), p.dilationW(), oh, ow, false);
        int blockSize = own.nseg * own.inner * L;
        float[] acc = j.acc;
        float[] dzb = own.dzb = Work.grow(own.dzb, groups * kbs * ohw * L);
        int inPlane = p.c() * p.h() * p.w(), outPlane = p.k() * ohw;
        int bandRows = Math.max(1, BAND_PIXELS / ow);
        int rowStep = own.sh * own.wp * cg, colStep = own.sw * cg;
        int[] pixOff = own.pixOff = Work.grow(own.pixOff, bandRows * ow);   // input offset of each band pixel
        for (int n = 0; n < p.n(); n++) {
            own.fillInput(j.in, j.inOff + n * inPlane, p.c(), p.h(), p.w(), 1, 1, p.padTop(), p.padLeft());
            for (int unit = from; unit < to; unit++) {
                int g = unit / steps, kb = 2 * (unit % steps);
                for (int blk = kb; blk < Math.min(kb + 2, kbs); blk++) {
                    blockOutput(j.dz, j.dzOff + n * outPlane, g, blk, kg, ohw, own.channelMap, dzb);
                }
            }
            float[] xs = own.xs;
            for (int oh0 = 0; oh0 < oh; oh0 += bandRows) {
                int rows = Math.min(bandRows, oh - oh0);
                for (int i = 0; i < rows; i++) {
                    for (int jj = 0; jj < ow; jj++) pixOff[i * ow + jj] = i * rowStep + jj * colStep;
                }
                for (int unit = from; unit < to; unit++) {
                    int g = unit / steps, kb = 2 * (unit % steps);
                    int xg = g * own.hp * own.wp * cg + oh0 * rowStep;
                    int vecs = kbs - kb >= 2 ? 2 : 1, tileTaps = vecs == 2 ? PAIR_TILE : SINGLE_TILE;
                    int d0 = ((g * kbs + kb) * ohw + oh0 * ow) * L;
                    int ab = (g * kbs + kb) * blockSize;
                    for (int q = 0; q < own.nseg; q++) {
                        int xq = xg + own.segOff[q];
                        for (int u0 = 0; u0 < own.inner; u0 += tileTaps) {
                            int valid = Math.min(tileTaps, own.inner - u0);
                            int o = ab + (q * own.inner + u0) * L;
                            wTile(vecs, xs, xq + u0, pixOff, rows * ow, dzb, d0, ohw * L, acc, o, blockSize, valid);
                        }
                    }
                }
            }
        }
    }

    /**
     * bwdWeights for one input channel at stride 1 (a first layer on a grey image), output channels
     * [4*from, 4*to): vectorized over L output pixels instead of channels, so dz needs no channel-blocking
     * transpose. dz rows are copied into zero-padded rows of the scratch width, making output pixel p read
     * input p + tap offset for every tap; vector partial sums per (k, tap) go to {@code j.acc[k][tap][L]}.
     */
    private static void bwdWeightsGrey(Job j, Work own, int from, int to) {
        ConvParams p = j.p;
        int k = p.k(), oh = p.outH(), ow = p.outW();
        own.plan(1, 1, k, p.r(), p.s(), 1, 1, p.dilationH(), p.dilationW(), oh, ow, false);
        int wp = own.wp, inner = own.inner, nseg = own.nseg, taps = nseg * inner;
        int span = (oh * wp + L - 1) / L * L;   // padded dz row length: whole vectors
        int c0 = 4 * from, c1 = 4 * to;
        float[] dzp = own.dzb = Work.grow(own.dzb, k * span);
        Arrays.fill(dzp, c0 * span, c1 * span, 0f);   // the padding columns stay zero across images
        float[] acc = j.acc;
        int inPlane = p.h() * p.w(), outPlane = k * oh * ow;
        for (int n = 0; n < p.n(); n++) {
            own.fillInput(j.in, j.inOff + n * inPlane, 1, p.h(), p.w(), 1, 1, p.padTop(), p.padLeft());
            for (int ch = c0; ch < c1; ch++) {
                for (int i = 0; i < oh; i++) System.arraycopy(j.dz, j.dzOff + n * outPlane + (ch * oh + i) * ow, dzp, ch * span + i * wp, ow);
            }
            for (int k0 = c0; k0 < c1; k0 += 4) {
                for (int q = 0; q < nseg; q++) {
                    wTileGrey4x5(own.xs, own.segOff[q], inner, dzp, k0 * span, span, acc, (k0 * taps + q * inner) * L, taps * L);
                }
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

    /** Block kb of group g of dz (one image, NCHW) -> dzb[g][kb][pix][L], lanes past Kg zero. */
    private static void blockOutput(float[] dz, int off, int g, int kb, int kg, int ohw, int[] channelMap, float[] dzb) {
        int kbs = blocks(kg), valid = Math.min(L, kg - kb * L);
        int src = off + (g * kg + kb * L) * ohw, dst = (g * kbs + kb) * ohw * L;
        channelMap(channelMap, ohw, valid);
        if (valid == L) {
            for (int i = 0; i < ohw; i++) FloatVector.fromArray(F, dz, src + i, channelMap, 0).intoArray(dzb, dst + i * L);
        } else {
            // a partial block: plain copies (a masked gather is no intrinsic on AVX2 and allocates); lanes past Kg are zero
            for (int i = 0; i < ohw; i++) {
                for (int l = 0; l < L; l++) dzb[dst + i * L + l] = l < valid ? dz[src + l * ohw + i] : 0f;
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

    /** The bias gradient (every bwdWeights path), channels split over up to {@code threads} pool threads (same bits). */
    private static void biasGradient(int n, int k, int ohw, float[] dz, int dzOff, float[] db, int dbOff, int threads) {
        int t = WorkerPool.usable(threads);
        if (t == 1 || k < 2 * L) {
            biasGradient(n, k, ohw, dz, dzOff, db, dbOff, 0, k);
            return;
        }
        BiasTask task = WORK.get().biasTask;
        task.set(n, k, ohw, dz, dzOff, db, dbOff);
        try {
            WorkerPool.shared().runRanges(k, Math.min(t, k), t, task);
        } finally {
            task.clear();
        }
    }

    /** One call's bias gradient; a run sums channels [from, to). */
    private static final class BiasTask implements WorkerPool.RangeTask {
        private int n, k, ohw, dzOff, dbOff;
        private float[] dz, db;

        void set(int n, int k, int ohw, float[] dz, int dzOff, float[] db, int dbOff) {
            this.n = n;
            this.k = k;
            this.ohw = ohw;
            this.dz = dz;
            this.dzOff = dzOff;
            this.db = db;
            this.dbOff = dbOff;
        }

        void clear() {
            dz = db = null;
        }

        @Override
        public void run(int index, int from, int to) {
            biasGradient(n, k, ohw, dz, dzOff, db, dbOff, from, to);
        }
    }

    /** db[ch] = sum over images and pixels of dz[img][ch], channels [from, to); images in order, lanes in order. */
    private static void biasGradient(int n, int k, int ohw, float[] dz, int dzOff, float[] db, int dbOff, int from, int to) {
        int vecEnd = F.loopBound(ohw);
        for (int ch = from; ch < to; ch++) {
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

    /** One bwdWeights register tile: {@code vecs} (1 or 2) channel vectors x PAIR_TILE or SINGLE_TILE taps (see {@link #tile}). */
    private static void wTile(int vecs, float[] x, int xb, int[] pixOff, int pixels, float[] dzb, int d0, int dStep,
                              float[] acc, int o0, int oStep, int valid) {
        if (vecs == 2) {
            if (PAIR_TILE == 14) ConvTiles.bwdW14x2(x, xb, pixOff, pixels, dzb, d0, dStep, acc, o0, oStep, valid);
            else if (PAIR_TILE == 5) ConvTiles.bwdW5x2(x, xb, pixOff, pixels, dzb, d0, dStep, acc, o0, oStep, valid);
            else ConvTiles.bwdW6x2(x, xb, pixOff, pixels, dzb, d0, dStep, acc, o0, oStep, valid);
        } else {
            if (SINGLE_TILE == 28) ConvTiles.bwdW28x1(x, xb, pixOff, pixels, dzb, d0, dStep, acc, o0, oStep, valid);
            else if (SINGLE_TILE == 10) ConvTiles.bwdW10x1(x, xb, pixOff, pixels, dzb, d0, dStep, acc, o0, oStep, valid);
            else ConvTiles.bwdW12x1(x, xb, pixOff, pixels, dzb, d0, dStep, acc, o0, oStep, valid);
        }
    }

    /** As {@link #pack}, in place into {@code into}'s array (zero-filled first, so the padding lanes are zero). */
    @Override
    public void repack(ConvParams p, float[] w, int wOff, PackedConvWeights into) {
        if (into != null && into.isWinograd()) {
            ConvChecks.repack(VARIANT, p, w, wOff, into, WinogradConv.transformedLength(p));
            if (!WinogradConv.applies(p)) throw new IllegalArgumentException("Winograd weights cannot be repacked for " + p);
            WinogradConv.transformWeightsInto(p, w, wOff, into.data(KEY));
            return;
        }
        if (into != null && PackedConvWeights.POINTWISE.equals(into.algorithm())) {
            ConvChecks.repack(VARIANT, p, w, wOff, into, PointwiseConv.packedLength(p));
            PointwiseConv.packInto(p, w, wOff, into.data(KEY));
            return;
        }
        ConvChecks.repack(VARIANT, p, w, wOff, into, (long) p.groups() * blocks(p.kg()) * p.r() * p.s() * p.cg() * L);
        Arrays.fill(into.data(KEY), 0f);
        packForward(w, wOff, p.groups(), p.kg(), p.cg(), p.r(), p.s(), into.data(KEY));
    }

    // ------------------------------------------------------------------------------ per-thread work

    /**
     * One call's arguments, kept per calling thread and reused (no allocation per call), run as tasks of the
     * shared {@link WorkerPool}. How the work is cut: a batch of at least as many images as threads goes
     * image by image ({@link #IMAGES}); a smaller batch one image at a time, its tile items across the tasks
     * ({@link #ITEMS}), or on the width path its scratch rows then its output rows ({@link #FILL}, {@link #ROWS});
     * bwdWeights by output-channel blocks ({@link #BLOCKS}, {@link #GREY}). Every unit
     * computes the same sums in the same order whatever the split, so results do not depend on the thread count.
     */
    private static final class Job implements WorkerPool.Task {
        static final int FWD = 0, BWD_DATA = 1;
        static final int IMAGES = 0, ITEMS = 1, BLOCKS = 2, GREY = 3, ROWS = 4, FILL = 5;
        int kind, mode, units, tasks, image;
        ConvParams p;
        float[] in, wp, bias, out, dz, acc;
        int inOff, outOff, dzOff;
        Epilogue act;
        boolean sampled, xBlocked, yBlocked;
        Work shared;

        void conv(int kind, ConvParams p, float[] in, int inOff, float[] wp, float[] bias, Epilogue act, float[] out, int outOff,
                  boolean sampled) {
            this.kind = kind;
            this.p = p;
            this.in = in;
            this.inOff = inOff;
            this.wp = wp;
            this.bias = bias;
            this.act = act;
            this.out = out;
            this.outOff = outOff;
            this.sampled = sampled;
            this.xBlocked = this.yBlocked = false;
        }

        /** The forward's input / output in nChw{L}c (the channel-blocked path, one group; after {@link #conv}). */
        void layouts(boolean xBlocked, boolean yBlocked) {
            this.xBlocked = xBlocked;
            this.yBlocked = yBlocked;
        }

        void weights(int mode, ConvParams p, float[] x, int xOff, float[] dz, int dzOff, float[] acc, int units) {
            this.mode = mode;
            this.p = p;
            this.in = x;
            this.inOff = xOff;
            this.dz = dz;
            this.dzOff = dzOff;
            this.acc = acc;
            this.units = units;
        }

        void plan(Work w) {
            if (kind == FWD) {
                w.plan(p.groups(), p.cg(), p.kg(), p.r(), p.s(), sampled ? 1 : p.strideH(), sampled ? 1 : p.strideW(),
                        p.dilationH(), p.dilationW(), p.outH(), p.outW(), !sampled);
                w.yBlocked = yBlocked;
            } else {
                w.plan(p.groups(), p.kg(), p.cg(), p.r(), p.s(), 1, 1, p.dilationH(), p.dilationW(), p.h(), p.w(), true);
            }
        }

        /** Image n of the call's input into w's scratch. */
        void fill(Work w, int n) {
            fill(w, n, 0, -1);
        }

        /**
         * Image {@code n} into {@code w}'s scratch: whole when {@code to < 0}, else only the rows [from, to) of the width
         * path's planar scratch, which the caller has prepared ({@code Work.preparePlanes}) for the tasks to fill at once.
         */
        void fill(Work w, int n, int from, int to) {
            int off, c, h, wd, spreadH = 1, spreadW = 1, padT, padL;
            if (kind == FWD) {
                off = inOff + n * p.c() * p.h() * p.w();
                if (xBlocked) {
                    if (sampled) w.fillSampledBlocked(in, off, p.c(), p.h(), p.w(), p.strideH(), p.strideW(), p.padTop(), p.padLeft());
                    else w.fillInputBlocked(in, off, p.c(), p.h(), p.w(), p.padTop(), p.padLeft());
                    return;
                }
                if (sampled) {
                    w.fillSampled(in, off, p.c(), p.h(), p.w(), p.strideH(), p.strideW(), p.padTop(), p.padLeft());
                    return;
                }
                c = p.c();
                h = p.h();
                wd = p.w();
                padT = p.padTop();
                padL = p.padLeft();
            } else {
                off = inOff + n * p.k() * p.outH() * p.outW();
                c = p.k();
                h = p.outH();
                wd = p.outW();
                spreadH = p.strideH();
                spreadW = p.strideW();
                padT = p.dilationH() * (p.r() - 1) - p.padTop();
                padL = p.dilationW() * (p.s() - 1) - p.padLeft();
            }
            if (to < 0) w.fillInput(in, off, c, h, wd, spreadH, spreadW, padT, padL);
            else w.fillPlaneRows(in, off, c, h, wd, spreadH, spreadW, padT, padL, from, to);
        }

        int outPlane() {
            return kind == FWD ? p.k() * p.outH() * p.outW() : p.c() * p.h() * p.w();
        }

        /** Channels of the scratch {@link #fill} writes: the input's (fwd) or dz's (bwdData). */
        int fillChannels() {
            return kind == FWD ? p.c() : p.k();
        }

        /** Runs the prepared fwd / bwdData on up to {@code threads} threads. */
        void runConv(Work wk, int threads) {
            try {
                int n = p.n();
                int t = WorkerPool.usable(threads);
                plan(wk);
                if (t == 1 || n >= t) {
                    mode = IMAGES;
                    units = n;
                    tasks = Math.min(n, t);
                    if (tasks == 1) run(0);
                    else WorkerPool.shared().run(tasks, t, this);
                } else if (wk.width) {
                    // fewer images than threads on the width path: one image at a time, its rows across the tasks
                    shared = wk;
                    int fillRows = fillChannels() * wk.hp;
                    for (int i = 0; i < n; i++) {
                        image = i;
                        if (sampled) {
                            fill(wk, i);
                        } else {   // the planar copy is a quarter of an RGB layer: its rows split too
                            wk.preparePlanes(fillChannels());
                            mode = FILL;
                            units = fillRows;
                            tasks = Math.min(units, t);
                            WorkerPool.shared().run(tasks, t, this);
                        }
                        mode = ROWS;
                        units = widthUnits(wk);
                        tasks = Math.min(units, t);
                        WorkerPool.shared().run(tasks, t, this);
                    }
                } else {
                    mode = ITEMS;
                    shared = wk;
                    units = blockedItems(wk);
                    tasks = Math.min(units, 4 * t);
                    for (int i = 0; i < n; i++) {
                        image = i;
                        fill(wk, i);
                        WorkerPool.shared().run(tasks, t, this);
                    }
                }
            } finally {
                clear();
            }
        }

        /** Runs the prepared bwdWeights units on up to {@code threads} threads. */
        void runWeights(int threads) {
            try {
                int t = WorkerPool.usable(threads);
                tasks = Math.min(units, t);
                if (tasks <= 1) {
                    tasks = 1;
                    run(0);
                } else {
                    WorkerPool.shared().run(tasks, t, this);
                }
            } finally {
                clear();
            }
        }

        @Override
        public void run(int index) {
            int from = WorkerPool.rangeStart(units, tasks, index), to = WorkerPool.rangeStart(units, tasks, index + 1);
            Work own = WORK.get();
            switch (mode) {
                case IMAGES -> {
                    if (from == to) return;
                    plan(own);
                    for (int i = from; i < to; i++) {
                        fill(own, i);
                        convImage(own, wp, bias, act, out, outOff + i * outPlane());
                    }
                }
                case ITEMS -> convBlocked(shared, own, wp, bias, act, out, outOff + image * outPlane(), from, to);
                case ROWS -> convImageWidth(shared, own, wp, bias, act, out, outOff + image * outPlane(), from, to);
                case FILL -> fill(shared, image, from, to);
                case BLOCKS -> bwdWeightsBlocks(this, own, from, to);
                case GREY -> bwdWeightsGrey(this, own, from, to);
                default -> throw new IllegalStateException("mode " + mode);
            }
        }

        /** Drops the call's arrays so that a finished call keeps nothing of the caller's alive. */
        private void clear() {
            p = null;
            in = wp = bias = out = dz = acc = null;
            act = null;
            shared = null;
        }
    }

    /** Grow-only buffers and the geometry of the convolution the current call runs; confined to one thread. */
    private static final class Work {
        float[] xs = new float[0];
        float[] bias = new float[0];
        float[] wt = new float[0];
        float[] dzb = new float[0];
        float[] dwb = new float[0];
        /** im2col copy of one chunk of pixels, [CHUNK][taps], or its panel [pixel group][taps][ConvTiles.PANEL_STRIDE]. */
        float[] col = new float[0];
        /** This thread's reusable call description (see {@link Job}). */
        final Job job = new Job();
        final BiasTask biasTask = new BiasTask();
        /** Two vectors x CHUNK pixels, plus one gather span of slack: a masked gather range-checks its masked-off lanes too. */
        final float[] stage = new float[2 * CHUNK * L + L * L];
        final int[] pixelBase = new int[CHUNK + ConvTiles.PANEL_STRIDE];   // the pixel bases of a chunk's tiles (a panel's last group whole)
        /** Gather offsets of 16 consecutive channels in an NCHW tensor: lane * plane size. */
        final int[] channelMap = new int[L];
        int[] segOff = new int[0];
        int[] pixOff = new int[0];
        // geometry: groups, channels per group in (cg) and out (kg), kernel, stride, output size,
        // padded scratch size, and the reduction split into nseg contiguous runs of `inner` values.
        int groups, cg, kg, r, s, sh, sw, dh, dw, oh, ow, hp, wp, nseg, inner;
        // width path: planar scratch xs[c][hp][wq = sw phases of wph], reduction offsets tapOff[(r*S + s)*cg + c]
        boolean width, im2col, panel;
        /** The channel-blocked path writes nChw{L}c (one group) instead of NCHW; set per forward by {@link Job#plan}. */
        boolean yBlocked;
        int wq, wph, taps;
        int[] tapOff = new int[0];
        final int[] tileW = new int[PAIR_TILE], tileY = new int[PAIR_TILE], tileX = new int[PAIR_TILE];
        final float[] tileB = new float[PAIR_TILE];
        final float[] rowAcc = new float[PAIR_TILE * WIDTH_TILE];

        /**
         * Sets the geometry. {@code allowWidth}: the caller can take the planar layout of the
         * vectorized-over-width path, chosen when the channel-blocked tile would
         * waste lanes (fewer than 8 output channels per group) or the reduction is too short to pay for
         * the transposed store (C/G*R*S &lt; 64, e.g. a first layer on a grey image).
         */
        void plan(int groups, int cg, int kg, int r, int s, int sh, int sw, int dh, int dw, int oh, int ow, boolean allowWidth) {
            this.yBlocked = false;   // NCHW unless the forward that plans this says otherwise (Job.plan)
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

            this.width = allowWidth && widthPath(kg, cg, r, s);
            // short segments (few channels, e.g. RGB 7x7): the per-segment accumulator round trip would cost more
            // than copying each chunk's reduction into one contiguous run
            this.panel = !width && panelFor(kg);
            this.im2col = !width && !panel && nseg > 1 && inner < 64;
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
            // a crop wider than the input (transposed conv with pad > R-1) leaves nothing to copy
            if (iHi <= iLo || jHi <= jLo) return;
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
                channelMap(channelMap, h * w, valid);
                for (int i = iLo; i < iHi; i++) {
                    int srcRow = off + (ch0 * h + i) * w;
                    int dstRow = ((g * hp + i * spreadH + padT) * wp + padL) * cg + cl;
                    if (valid == L) {
                        for (int j = jLo; j < jHi; j++) FloatVector.fromArray(F, src, srcRow + j, channelMap, 0).intoArray(xs, dstRow + j * step);
                    } else {
                        // partial block: plain copies (a masked gather is no intrinsic on AVX2 and allocates)
                        for (int j = jLo; j < jHi; j++) {
                            for (int l = 0; l < valid; l++) xs[dstRow + j * step + l] = src[srcRow + l * h * w + j];
                        }
                    }
                }
            }
        }

        /** As {@link #fillInput} (one group, spread 1) from an nChw{L}c input: one vector copy per pixel and block. */
        void fillInputBlocked(float[] src, int off, int c, int h, int w, int padT, int padL) {
            int size = hp * wp * cg;
            xs = grow(xs, size + SLACK);
            Arrays.fill(xs, 0, size + SLACK, 0f);
            int iLo = Math.max(0, -padT), iHi = Math.min(h, hp - padT), jLo = Math.max(0, -padL), jHi = Math.min(w, wp - padL);
            for (int cb = 0; cb < c / L; cb++) {
                for (int i = iLo; i < iHi; i++) {
                    int srcRow = off + (cb * h + i) * w * L, dstRow = ((i + padT) * wp + padL) * cg + cb * L;
                    for (int j = jLo; j < jHi; j++) FloatVector.fromArray(F, src, srcRow + j * L).intoArray(xs, dstRow + j * cg);
                }
            }
        }

        /** As {@link #fillSampled} (one group) from an nChw{L}c input. */
        void fillSampledBlocked(float[] src, int off, int c, int h, int w, int strideH, int strideW, int padT, int padL) {
            int size = hp * wp * cg;
            xs = grow(xs, size + SLACK);
            Arrays.fill(xs, 0, size + SLACK, 0f);
            for (int cb = 0; cb < c / L; cb++) {
                for (int row = 0; row < hp; row++) {
                    int i = row * strideH - padT;
                    if (i < 0 || i >= h) continue;
                    int srcRow = off + (cb * h + i) * w * L, dstRow = row * wp * cg + cb * L;
                    for (int col = 0; col < wp; col++) {
                        int j = col * strideW - padL;
                        if (j >= 0 && j < w) FloatVector.fromArray(F, src, srcRow + j * L).intoArray(xs, dstRow + col * cg);
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
                            for (int l = 0; l < valid; l++) xs[dstRow + col * cg + l] = src[srcRow + l * h * w + j];
                        }
                    }
                }
            }
        }

        /** As {@link #fillInput} into planar xs[c][hp][wq] (the width path; columns past the padded input stay zero). */
        private void fillPlanes(float[] src, int off, int c, int h, int w, int spreadH, int spreadW, int padT, int padL) {
            preparePlanes(c);
            fillPlaneRows(src, off, c, h, w, spreadH, spreadW, padT, padL, 0, c * hp);
        }

        /** Grows the planar scratch for {@code c} channels and zeroes its slack; {@link #fillPlaneRows} writes the rest. */
        void preparePlanes(int c) {
            int size = c * hp * wq;
            xs = grow(xs, size + SLACK);
            Arrays.fill(xs, size, size + SLACK, 0f);
        }

        /**
         * Rows [from, to) of the planar scratch (row d = channel d / hp, padded row d % hp): each zeroed, then its input
         * row copied in when it has one. Rows are independent, so a batch of one splits them over the threads.
         */
        void fillPlaneRows(float[] src, int off, int c, int h, int w, int spreadH, int spreadW, int padT, int padL, int from, int to) {
            int iLo = Math.max(0, ceilDiv(-padT, spreadH)), iHi = Math.min(h, ceilDiv(hp - padT, spreadH));
            int jLo = Math.max(0, ceilDiv(-padL, spreadW)), jHi = Math.min(w, ceilDiv(wp - padL, spreadW));
            for (int d = from; d < to; d++) {
                int dstRow = d * wq;
                Arrays.fill(xs, dstRow, dstRow + wq, 0f);
                // a crop wider than the input (transposed conv with pad > R-1) leaves nothing to copy
                int ch = d / hp, ri = d % hp - padT;
                if (jHi <= jLo || ri < 0 || ri % spreadH != 0) continue;
                int i = ri / spreadH;
                if (i < iLo || i >= iHi) continue;
                int srcRow = off + (ch * h + i) * w;
                if (sw == 1 && spreadW == 1) {
                    System.arraycopy(src, srcRow + jLo, xs, dstRow + padL + jLo, jHi - jLo);
                } else if (spreadW == 1) {
                    // phase by phase: strided reads, contiguous writes, indices affine in the loop variable
                    for (int ph = 0; ph < sw; ph++) {
                        int j0 = jLo + Math.floorMod(ph - jLo - padL, sw);
                        if (j0 >= jHi) continue;
                        int n = (jHi - j0 + sw - 1) / sw, d0 = dstRow + ph * wph + (j0 + padL) / sw, s0 = srcRow + j0;
                        if (sw == 2 && s0 + StrideTwoCopy.read(n) <= src.length && d0 + StrideTwoCopy.written(n) <= dstRow + wq) {
                            // whole vectors, inside this row (other threads fill the next ones); the values past n
                            // fall on this row's zero padding or the next phase, so they are zeroed again at once
                            StrideTwoCopy.copy(src, s0, n, xs, d0);
                            Arrays.fill(xs, d0 + n, d0 + StrideTwoCopy.written(n), 0f);
                        } else {
                            for (int q = 0; q < n; q++) xs[d0 + q] = src[s0 + q * sw];
                        }
                    }
                } else {
                    // column col = j*spreadW + padL goes to phase col % sw, position col / sw: both stepped, no
                    // division per value (two idivs per value made this copy 40% of a stride-2 RGB layer)
                    int col0 = jLo * spreadW + padL, ph = col0 % sw, pos = col0 / sw, dPh = spreadW % sw, dPos = spreadW / sw;
                    for (int j = jLo; j < jHi; j++) {
                        xs[dstRow + ph * wph + pos] = src[srcRow + j];
                        ph += dPh;
                        pos += dPos;
                        if (ph >= sw) {
                            ph -= sw;
                            pos++;
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
