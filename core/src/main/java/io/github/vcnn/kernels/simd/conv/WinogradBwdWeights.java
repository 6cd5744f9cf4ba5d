package io.github.vcnn.kernels.simd.conv;

import io.github.vcnn.exec.WorkerPool;
import io.github.vcnn.kernels.ConvParams;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Weight gradient of 3x3 and 5x5 stride-1 convolutions by Winograd, on the 6x6 tiles (alpha = 6) of
 * {@link WinogradConv}'s F(4x4,3x3) and F(2x2,5x5).
 *
 * <p>The math. The forward computes an output tile as {@code y = A^T [(G g G^T) ⊙ (B^T d B)] A}; read as a trilinear
 * form in (y', g, d) and differentiated by g, the weight gradient of one tile is {@code G^T [(A dz A^T) ⊙ (B^T d B)] G}:
 * the correlation of a 6x6 input tile d with an m x m output-gradient tile dz (m = 6 - R + 1: 4 for 3x3, 2 for 5x5),
 * i.e. F(R x R, m x m) with the same points. Summed over tiles before the last transform:
 * <pre>
 *   V[xi][t][c] = (B^T d_t,c B)[xi]        input tiles, the forward's input transform unchanged
 *   Z[xi][t][k] = (A dz_t,k A^T)[xi]       output-gradient tiles, zero past the output
 *   M[xi][c][k] = sum_t V[xi][t][c] Z[xi][t][k]     36 GEMMs over the tiles of every image
 *   dW[k][c]    = G^T M[.][c][k] G         once per call (R x R)
 * </pre>
 * 36 multiplies per (c, k, tile) instead of R^2 m^2 (100 for 5x5, 144 for 3x3): 2.8x and 4x fewer.
 *
 * <p>Blocks of tiles (whole images where they are small): the input rows go through the forward's channel-blocked ring
 * ({@link WinogradConv#fillRow}), V and Z of a block are built, then each of the 36 GEMMs adds the block to its
 * accumulators with a register tile of 5 input channels x 2 vectors of output channels (5 broadcasts, 2 loads, 10 FMAs
 * per tile), whose accumulators go to memory once per block. The tiles are summed in one fixed order.
 *
 * <p>Threads: the pairs of output-channel blocks are split over the shared pool; each thread builds V for all input
 * channels (the smaller transform) and Z for its own channels, and writes only its channels of dW, so the result is
 * bit-identical for any thread count. Scratch is per thread and reused (no allocation per call after warm-up).
 */
public final class WinogradBwdWeights {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final int ALPHA = 6, XI = 36;
    /** Input channels per register tile (the broadcast side). */
    private static final int CT = 5;
    /** Target tiles per block: an image when it has fewer (LeNet's 14x14 layer: 49), else its tiles split evenly. */
    private static final int TILES = Integer.getInteger("vcnn.winograd.bwdWeightsTiles", 100);
    /** Parts of the tile blocks summed separately, then added in order: two threads each take one, any count gives the same bits. */
    private static final int PARTS = 2;
    /** {@code -Dvcnn.winograd.bwdWeights=false} sends the weight gradient to the direct kernels. */
    public static final String PROPERTY = "vcnn.winograd.bwdWeights";
    private static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true").trim());

    private static final FloatVector P2 = FloatVector.broadcast(F, 2f);
    private static final FloatVector M2 = FloatVector.broadcast(F, -2f);
    private static final FloatVector P4 = FloatVector.broadcast(F, 4f);
    private static final FloatVector P8 = FloatVector.broadcast(F, 8f);

    private static final ThreadLocal<Work> WORK = ThreadLocal.withInitial(Work::new);

    private WinogradBwdWeights() {
    }

    /** What this kernel computes: 3x3 or 5x5, stride 1, dilation 1, one group (any N, C, K, H, W, padding). */
    public static boolean applies(ConvParams p) {
        return WinogradConv.applies(p);
    }

    /**
     * Whether the simd variant uses this kernel for {@code p}'s weight gradient: it applies, Winograd is on
     * ({@link WinogradConv#enabled()} and {@value #PROPERTY}), at least 16 input and output channels, and at least 1.6x
     * fewer multiplies than the direct sum once the tiles' overhang is counted.
     */
    public static boolean preferred(ConvParams p) {
        if (!ENABLED || !WinogradConv.enabled() || !applies(p) || p.c() < 16 || p.k() < 16) return false;
        int r = p.r(), m = ALPHA - r + 1;
        long th = (p.outH() + m - 1) / m, tw = (p.outW() + m - 1) / m;
        double useful = (double) p.outH() * p.outW() / ((double) m * m * th * tw);
        return (double) r * r * m * m / XI * useful >= 1.6;
    }

    /**
     * {@code dw[k][c][r][s] = sum_{n, oh, ow} dz[n][k][oh][ow] * xpad[n][c][oh + r][ow + s]} on up to {@code threads}
     * pool threads. The arrays are not checked here: the caller ({@code SimdConv.bwdWeights}) has checked them.
     *
     * @param x  input {@code [N][C][H][W]} from {@code xOff}
     * @param dz output gradient {@code [N][K][outH][outW]} from {@code dzOff}
     * @param dw weight gradient {@code [K][C][R][S]} from {@code dwOff}, overwritten
     */
    public static void bwdWeights(ConvParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff, int threads) {
        if (!applies(p)) throw new IllegalArgumentException("params: Winograd weight gradient needs 3x3 or 5x5, stride 1, dilation 1, one group, not " + p);
        Work wk = WORK.get();
        int m = ALPHA - p.r() + 1;
        WinogradConv.Plan pl = plan(p, m, wk.plan);
        int tb = pl.tb, cz = RegisterTiles.roundUp(pl.cp, CT), kp = pl.kp, kbs = pl.kbs, pairs = (kbs + 1) / 2;
        int full = pl.images * pl.tilesPerImage, groupBlocks = (full + tb - 1) / tb, groups = (p.n() + pl.images - 1) / pl.images;
        int lastTiles = Math.min(pl.images, p.n() - (groups - 1) * pl.images) * pl.tilesPerImage;
        int blocks = (groups - 1) * groupBlocks + (lastTiles + tb - 1) / tb;
        int parts = blocks >= 2 ? PARTS : 1;   // fixed by the shape, never by the thread count: the sums stay the same
        for (int h = 0; h < parts; h++) wk.parts[h] = Work.grow(wk.parts[h], XI * cz * kp);   // each unit zeroes its columns
        Task task = wk.task;
        task.set(p, x, xOff, dz, dzOff, dw, dwOff, wk.parts, parts, blocks, groupBlocks, pairs);
        try {
            int t = WorkerPool.usable(threads);
            int units = parts * pairs;
            if (t == 1 || units == 1) task.run(0, 0, units);
            else WorkerPool.shared().runRanges(units, Math.min(t, units), t, task);
            task.transform = true;   // dW = G^T (sum of the parts, in order) G, split over output-channel blocks
            if (t == 1 || kbs == 1) task.run(0, 0, kbs);
            else WorkerPool.shared().runRanges(kbs, Math.min(t, kbs), t, task);
        } finally {
            task.clear();
        }
    }

    /** The call's tiling (as on every thread of it): whole images per block when they are small, else each image's tiles split evenly. */
    private static WinogradConv.Plan plan(ConvParams p, int m, WinogradConv.Plan pl) {
        int tpi = ((p.outH() + m - 1) / m) * ((p.outW() + m - 1) / m);
        int split = (tpi + TILES - 1) / TILES;
        pl.set(p, m, tpi >= TILES ? (tpi + split - 1) / split : TILES);
        return pl;
    }

    /**
     * One call's arguments. Accumulation: unit u = (part u / pairs, output-channel pair u % pairs) sums its part's tile
     * blocks into {@code parts[part]}; then the transform runs over ranges of output-channel blocks.
     */
    private static final class Task implements WorkerPool.RangeTask {
        private ConvParams p;
        private float[] x, dz, dw;
        private float[][] acc;
        private int xOff, dzOff, dwOff, parts, blocks, groupBlocks, pairs;
        boolean transform;

        void set(ConvParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff, float[][] acc, int parts, int blocks,
                 int groupBlocks, int pairs) {
            this.p = p;
            this.x = x;
            this.xOff = xOff;
            this.dz = dz;
            this.dzOff = dzOff;
            this.dw = dw;
            this.dwOff = dwOff;
            this.acc = acc;
            this.parts = parts;
            this.blocks = blocks;
            this.groupBlocks = groupBlocks;
            this.pairs = pairs;
            this.transform = false;
        }

        void clear() {
            p = null;
            x = dz = dw = null;
            acc = null;
        }

        @Override
        public void run(int index, int from, int to) {
            int kbs = blocks(p.k());
            if (transform) {
                Work wk = WORK.get();
                int m = ALPHA - p.r() + 1;
                WinogradConv.Plan pl = plan(p, m, wk.plan);
                weightTransform(p.r(), acc, parts, RegisterTiles.roundUp(pl.cp, CT), pl.kp, p.c(), p.k(), from, to, wk, dw, dwOff);
                return;
            }
            // contiguous units of one part share its input transforms
            for (int u = from; u < to; ) {
                int part = u / pairs, last = Math.min(to, (part + 1) * pairs);
                int kb0 = 2 * (u - part * pairs), kb1 = Math.min(2 * (last - part * pairs), kbs);
                compute(p, x, xOff, dz, dzOff, acc[part], part * blocks / parts, (part + 1) * blocks / parts, groupBlocks, kb0, kb1);
                u = last;
            }
        }
    }

    /**
     * Adds the tile blocks [b0, b1) of the call (block b: image group b / groupBlocks, its block b % groupBlocks) into
     * {@code acc[xi][cz][kp]}, output-channel blocks [kb0, kb1), on this thread.
     */
    private static void compute(ConvParams p, float[] x, int xOff, float[] dz, int dzOff, float[] acc, int b0, int b1, int groupBlocks,
                                int kb0, int kb1) {
        Work wk = WORK.get();
        int r = p.r(), m = ALPHA - r + 1;
        WinogradConv.Plan pl = plan(p, m, wk.plan);
        int th = (p.outH() + m - 1) / m, tw = (p.outW() + m - 1) / m;
        int tb = pl.tb, cp = pl.cp, cz = RegisterTiles.roundUp(cp, CT), kp = pl.kp, cbs = pl.cbs, pairs = (kb1 - kb0 + 1) / 2;
        for (int row = 0; row < XI * cz; row++) Arrays.fill(acc, row * kp + kb0 * L, row * kp + Math.min(kb1 * L, kp), 0f);
        if (b0 >= b1) return;
        int ohp = th * m, owp = tw * m, dzRow = owp * L, dzBlock = ohp * dzRow;
        wk.grow(pl, cz, pairs, (kb1 - kb0) * dzBlock);
        float[] v = wk.v, z = wk.z, xs = wk.xs, tmp = wk.tmp, dzb = wk.dzb;
        int[] rows = wk.rows, shifted = wk.shifted, vo = wk.vo;
        // V [xi][cb][t][L] with one more, zero block for the channels past cp, and Z [xi][pair][t][2L]: the GEMM walks
        // the tiles with constant strides (C2 then hoists the range checks out of the loop)
        int vXi = (cbs + 1) * tb * L, zXi = pairs * tb * 2 * L;
        // only the zero block needs clearing: the transforms overwrite every other value a block's GEMMs read (the
        // second half of an odd last pair is never read: gemm5x1 reads the first)
        for (int xi = 0; xi < XI; xi++) Arrays.fill(v, xi * vXi + cbs * tb * L, (xi + 1) * vXi, 0f);
        for (int c = 0; c < cz; c++) vo[c] = c < cp ? (c / L) * tb * L + c % L : cbs * tb * L;   // V offset of channel c
        int rowLen = pl.wp * L, plane = pl.ring * rowLen;
        int inPlane = p.c() * p.h() * p.w(), outPlane = p.k() * p.outH() * p.outW();
        int group = -1, filled = 0, dzImage = -1, xGroup = 0, dzGroup = 0, tiles = 0;
        for (int b = b0; b < b1; b++) {
            int gi = b / groupBlocks, t0 = (b % groupBlocks) * tb;
            if (gi != group) {   // a new image group: its ring starts at this block's top row
                group = gi;
                int n0 = gi * pl.images;
                xGroup = xOff + n0 * inPlane;
                dzGroup = dzOff + n0 * outPlane;
                tiles = Math.min(pl.images, p.n() - n0) * pl.tilesPerImage;
                filled = pl.firstRow(t0);
                dzImage = -1;
            }
            int count = Math.min(tb, tiles - t0);
            int hi = pl.firstRow(t0 + count - 1) + ALPHA;
            for (; filled < hi; filled++) WinogradConv.fillRow(pl, x, xGroup, filled, xs);
            for (int t = 0; t < count; t++) {
                int g = t0 + t, vr = pl.firstRow(g), img = g / pl.tilesPerImage, tt = g % pl.tilesPerImage, ti = tt / tw, tj = tt % tw;
                for (int q = 0; q < ALPHA; q++) rows[q] = ((vr + q) % pl.ring) * rowLen + m * tj * L;
                for (int cb = 0; cb < cbs; cb++) {
                    for (int q = 0; q < ALPHA; q++) shifted[q] = rows[q] + cb * plane;
                    WinogradConv.inputTransform6x6(xs, shifted, plane, 1, v, cb * tb * L + t * L, vXi, tmp);
                }
                if (img != dzImage) {
                    dzImage = img;
                    blockOutputGradient(dz, dzGroup + img * outPlane, p.k(), p.outH(), p.outW(), kb0, kb1, owp, dzBlock, dzb, wk.laneMap);
                }
                for (int kb = kb0; kb < kb1; kb++) {
                    int d = (kb - kb0) * dzBlock + ti * m * dzRow + tj * m * L;
                    int zo = ((kb - kb0) / 2) * tb * 2 * L + t * 2 * L + ((kb - kb0) % 2) * L;
                    if (m == 2) outputGradTransform2(dzb, d, dzRow, tmp, z, zo, zXi);
                    else outputGradTransform4(dzb, d, dzRow, tmp, z, zo, zXi);
                }
            }
            for (int xi = 0; xi < XI; xi++) {
                int ab = xi * cz * kp;
                for (int c0 = 0; c0 < cz; c0 += CT) {
                    int x0 = xi * vXi, v0 = x0 + vo[c0], v1 = x0 + vo[c0 + 1], v2 = x0 + vo[c0 + 2], v3 = x0 + vo[c0 + 3], v4 = x0 + vo[c0 + 4];
                    for (int kb = kb0; kb < kb1; kb += 2) {
                        int zb = xi * zXi + ((kb - kb0) / 2) * tb * 2 * L;
                        if (kb + 1 < kb1) gemm5x2(v, v0, v1, v2, v3, v4, z, zb, count, acc, ab + c0 * kp + kb * L, kp);
                        else gemm5x1(v, v0, v1, v2, v3, v4, z, zb, count, acc, ab + c0 * kp + kb * L, kp);
                    }
                }
            }
        }
    }

    /**
     * Output-gradient channels of blocks [kb0, kb1) of one image, channel-blocked and zero-padded to whole tiles:
     * {@code dzb[kb - kb0][i][j][L]} (rows of {@code owp} columns), zero past the output and past K.
     */
    private static void blockOutputGradient(float[] dz, int dzImg, int k, int oh, int ow, int kb0, int kb1, int owp, int dzBlock, float[] dzb,
                                            int[] laneMap) {
        Arrays.fill(dzb, 0, (kb1 - kb0) * dzBlock, 0f);
        for (int lane = 0; lane < L; lane++) laneMap[lane] = lane * oh * ow;
        // a whole block: one L-lane gather per pixel (the L channel planes), one store. Scalar stores L floats apart, lane
        // by lane over the block (200 KB for ResNet-18's 56x56 layer), took a quarter of that layer's weight gradient.
        // A partial last block: scalar copies, row by row (a row of the block stays in L1; a masked gather allocates on AVX2)
        for (int kb = kb0; kb < kb1; kb++) {
            int valid = Math.min(L, k - kb * L);
            if (valid == L) {
                for (int i = 0; i < oh; i++) {
                    int d0 = (kb - kb0) * dzBlock + i * owp * L, s0 = dzImg + kb * L * oh * ow + i * ow;
                    for (int j = 0; j < ow; j++) FloatVector.fromArray(F, dz, s0 + j, laneMap, 0).intoArray(dzb, d0 + j * L);
                }
                continue;
            }
            for (int i = 0; i < oh; i++) {
                int d0 = (kb - kb0) * dzBlock + i * owp * L;
                for (int lane = 0; lane < valid; lane++) {
                    int s0 = dzImg + (kb * L + lane) * oh * ow + i * ow, dl = d0 + lane;
                    for (int j = 0; j < ow; j++) dzb[dl + j * L] = dz[s0 + j];
                }
            }
        }
    }

    /**
     * {@code Z = A d A^T} of a 2x2 tile, row i column j at {@code d[db + i*rowStride + j*L]} (L output channels; A = the transpose of F(2x2,5x5)'s {@code A^T = [1 1 1 1 1 0;
     * 0 1 -1 2 -2 1]}) to {@code z[zo + xi*xiStride]}, xi = 6a + b.
     */
    private static void outputGradTransform2(float[] d, int db, int rowStride, float[] tmp, float[] z, int zo, int xiStride) {
        // A d: down each of the 2 columns, 6 rows of 2 to tmp[a][j][L]
        for (int j = 0; j < 2; j++) {
            FloatVector x0 = FloatVector.fromArray(F, d, db + j * L), x1 = FloatVector.fromArray(F, d, db + rowStride + j * L);
            int o = j * L;
            x0.intoArray(tmp, o);
            x0.add(x1).intoArray(tmp, o + 2 * L);
            x0.sub(x1).intoArray(tmp, o + 4 * L);
            x1.fma(P2, x0).intoArray(tmp, o + 6 * L);
            x1.fma(M2, x0).intoArray(tmp, o + 8 * L);
            x1.intoArray(tmp, o + 10 * L);
        }
        // (A d) A^T: along each of the 6 rows
        for (int a = 0; a < 6; a++) {
            FloatVector x0 = FloatVector.fromArray(F, tmp, a * 2 * L), x1 = FloatVector.fromArray(F, tmp, a * 2 * L + L);
            int o = zo + a * 6 * xiStride;
            x0.intoArray(z, o);
            x0.add(x1).intoArray(z, o + xiStride);
            x0.sub(x1).intoArray(z, o + 2 * xiStride);
            x1.fma(P2, x0).intoArray(z, o + 3 * xiStride);
            x1.fma(M2, x0).intoArray(z, o + 4 * xiStride);
            x1.intoArray(z, o + 5 * xiStride);
        }
    }

    /**
     * {@code Z = A d A^T} of a 4x4 tile (A = the transpose of F(4x4,3x3)'s {@code A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0;
     * 0 1 1 4 4 0; 0 1 -1 8 -8 1]}), as {@link #outputGradTransform2}.
     */
    private static void outputGradTransform4(float[] d, int db, int rowStride, float[] tmp, float[] z, int zo, int xiStride) {
        for (int j = 0; j < 4; j++) {
            int o0 = db + j * L;
            FloatVector x0 = FloatVector.fromArray(F, d, o0), x1 = FloatVector.fromArray(F, d, o0 + rowStride);
            FloatVector x2 = FloatVector.fromArray(F, d, o0 + 2 * rowStride), x3 = FloatVector.fromArray(F, d, o0 + 3 * rowStride);
            FloatVector e = x0.add(x2), o1 = x1.add(x3), e4 = x2.fma(P4, x0), o8 = x3.fma(P8, x1.mul(P2));
            int o = j * L;
            x0.intoArray(tmp, o);
            e.add(o1).intoArray(tmp, o + 4 * L);
            e.sub(o1).intoArray(tmp, o + 8 * L);
            e4.add(o8).intoArray(tmp, o + 12 * L);
            e4.sub(o8).intoArray(tmp, o + 16 * L);
            x3.intoArray(tmp, o + 20 * L);
        }
        for (int a = 0; a < 6; a++) {
            int t = a * 4 * L;
            FloatVector x0 = FloatVector.fromArray(F, tmp, t), x1 = FloatVector.fromArray(F, tmp, t + L);
            FloatVector x2 = FloatVector.fromArray(F, tmp, t + 2 * L), x3 = FloatVector.fromArray(F, tmp, t + 3 * L);
            FloatVector e = x0.add(x2), o1 = x1.add(x3), e4 = x2.fma(P4, x0), o8 = x3.fma(P8, x1.mul(P2));
            int o = zo + a * 6 * xiStride;
            x0.intoArray(z, o);
            e.add(o1).intoArray(z, o + xiStride);
            e.sub(o1).intoArray(z, o + 2 * xiStride);
            e4.add(o8).intoArray(z, o + 3 * xiStride);
            e4.sub(o8).intoArray(z, o + 4 * xiStride);
            x3.intoArray(z, o + 5 * xiStride);
        }
    }

    /**
     * acc rows {@code ab + i*kp} (input channels c0+i, i &lt; 5), two vectors of output channels, plus
     * {@code sum_t v[vi + L*t] * z[zb + 2L*t ..]} over {@code count} tiles, vi the V offset of channel c0+i.
     */
    private static void gemm5x2(float[] v, int v0, int v1, int v2, int v3, int v4, float[] z, int zb, int count, float[] acc, int ab, int kp) {
        FloatVector a0_0 = FloatVector.fromArray(F, acc, ab), a0_1 = FloatVector.fromArray(F, acc, ab + L);
        FloatVector a1_0 = FloatVector.fromArray(F, acc, ab + kp), a1_1 = FloatVector.fromArray(F, acc, ab + kp + L);
        FloatVector a2_0 = FloatVector.fromArray(F, acc, ab + 2 * kp), a2_1 = FloatVector.fromArray(F, acc, ab + 2 * kp + L);
        FloatVector a3_0 = FloatVector.fromArray(F, acc, ab + 3 * kp), a3_1 = FloatVector.fromArray(F, acc, ab + 3 * kp + L);
        FloatVector a4_0 = FloatVector.fromArray(F, acc, ab + 4 * kp), a4_1 = FloatVector.fromArray(F, acc, ab + 4 * kp + L);
        for (int t = 0; t < count; t++) {
            int tv = t * L, zo = zb + t * (2 * L);
            FloatVector z0 = FloatVector.fromArray(F, z, zo), z1 = FloatVector.fromArray(F, z, zo + L);
            FloatVector b = FloatVector.broadcast(F, v[v0 + tv]);
            a0_0 = b.fma(z0, a0_0);
            a0_1 = b.fma(z1, a0_1);
            b = FloatVector.broadcast(F, v[v1 + tv]);
            a1_0 = b.fma(z0, a1_0);
            a1_1 = b.fma(z1, a1_1);
            b = FloatVector.broadcast(F, v[v2 + tv]);
            a2_0 = b.fma(z0, a2_0);
            a2_1 = b.fma(z1, a2_1);
            b = FloatVector.broadcast(F, v[v3 + tv]);
            a3_0 = b.fma(z0, a3_0);
            a3_1 = b.fma(z1, a3_1);
            b = FloatVector.broadcast(F, v[v4 + tv]);
            a4_0 = b.fma(z0, a4_0);
            a4_1 = b.fma(z1, a4_1);
        }
        a0_0.intoArray(acc, ab);
        a0_1.intoArray(acc, ab + L);
        a1_0.intoArray(acc, ab + kp);
        a1_1.intoArray(acc, ab + kp + L);
        a2_0.intoArray(acc, ab + 2 * kp);
        a2_1.intoArray(acc, ab + 2 * kp + L);
        a3_0.intoArray(acc, ab + 3 * kp);
        a3_1.intoArray(acc, ab + 3 * kp + L);
        a4_0.intoArray(acc, ab + 4 * kp);
        a4_1.intoArray(acc, ab + 4 * kp + L);
    }

    /** As {@link #gemm5x2} with one vector of output channels (the odd last block: the first half of its pair's rows). */
    private static void gemm5x1(float[] v, int v0, int v1, int v2, int v3, int v4, float[] z, int zb, int count, float[] acc, int ab, int kp) {
        FloatVector a0 = FloatVector.fromArray(F, acc, ab), a1 = FloatVector.fromArray(F, acc, ab + kp);
        FloatVector a2 = FloatVector.fromArray(F, acc, ab + 2 * kp), a3 = FloatVector.fromArray(F, acc, ab + 3 * kp);
        FloatVector a4 = FloatVector.fromArray(F, acc, ab + 4 * kp);
        for (int t = 0; t < count; t++) {
            int tv = t * L;
            FloatVector z0 = FloatVector.fromArray(F, z, zb + t * (2 * L));
            a0 = FloatVector.broadcast(F, v[v0 + tv]).fma(z0, a0);
            a1 = FloatVector.broadcast(F, v[v1 + tv]).fma(z0, a1);
            a2 = FloatVector.broadcast(F, v[v2 + tv]).fma(z0, a2);
            a3 = FloatVector.broadcast(F, v[v3 + tv]).fma(z0, a3);
            a4 = FloatVector.broadcast(F, v[v4 + tv]).fma(z0, a4);
        }
        a0.intoArray(acc, ab);
        a1.intoArray(acc, ab + kp);
        a2.intoArray(acc, ab + 2 * kp);
        a3.intoArray(acc, ab + 3 * kp);
        a4.intoArray(acc, ab + 4 * kp);
    }

    /**
     * {@code dw[k][c] = G^T M[.][c][k] G} (R x R) for output channels of blocks [kb0, kb1): M from {@code acc[xi][cz][kp]},
     * G the forward's (6 x R, {@link WinogradConv#G4} or {@link WinogradConv#G2_5}), vectorized over L output channels.
     */
    private static void weightTransform(int r, float[][] acc, int parts, int cz, int kp, int c, int k, int kb0, int kb1, Work wk,
                                        float[] dw, int dwOff) {
        float[] g = r == 3 ? wk.g3 : wk.g5, t = wk.tmp, out = wk.out, mm = wk.mm, a0 = acc[0], a1 = acc[parts - 1];
        int rr = r * r, xiStride = cz * kp;
        for (int kb = kb0; kb < kb1; kb++) {
            int valid = Math.min(L, k - kb * L);
            for (int ch = 0; ch < c; ch++) {
                int mo = ch * kp + kb * L;
                // M = the parts' sums, added in part order
                for (int xi = 0; xi < XI; xi++) {
                    FloatVector s = FloatVector.fromArray(F, a0, mo + xi * xiStride);
                    if (parts > 1) s = s.add(FloatVector.fromArray(F, a1, mo + xi * xiStride));
                    s.intoArray(mm, xi * L);
                }
                // T[u][b] = sum_a G[a][u] M[a][b]  (r x 6)
                for (int u = 0; u < r; u++) {
                    for (int b = 0; b < ALPHA; b++) {
                        FloatVector s = FloatVector.zero(F);
                        for (int a = 0; a < ALPHA; a++) {
                            float ga = g[a * r + u];
                            if (ga != 0f) s = FloatVector.fromArray(F, mm, (a * ALPHA + b) * L).fma(FloatVector.broadcast(F, ga), s);
                        }
                        s.intoArray(t, (u * ALPHA + b) * L);
                    }
                }
                // W[u][q] = sum_b T[u][b] G[b][q]  (r x r)
                for (int u = 0; u < r; u++) {
                    for (int q = 0; q < r; q++) {
                        FloatVector s = FloatVector.zero(F);
                        for (int b = 0; b < ALPHA; b++) {
                            float gb = g[b * r + q];
                            if (gb != 0f) s = FloatVector.fromArray(F, t, (u * ALPHA + b) * L).fma(FloatVector.broadcast(F, gb), s);
                        }
                        s.intoArray(out, (u * r + q) * L);
                    }
                }
                for (int lane = 0; lane < valid; lane++) {
                    int dst = dwOff + ((kb * L + lane) * c + ch) * rr;
                    for (int i = 0; i < rr; i++) dw[dst + i] = out[i * L + lane];
                }
            }
        }
    }

    private static int blocks(int channels) {
        return (channels + L - 1) / L;
    }

    /** Per-thread grow-only scratch. */
    private static final class Work {
        final WinogradConv.Plan plan = new WinogradConv.Plan();
        final Task task = new Task();
        final int[] rows = new int[ALPHA], shifted = new int[ALPHA], laneMap = new int[L];
        int[] vo = new int[0];
        final float[] tmp = new float[XI * L], out = new float[25 * L], mm = new float[XI * L];
        final float[][] parts = new float[PARTS][0];
        final float[] g3 = floats(WinogradConv.G4), g5 = floats(WinogradConv.G2_5);
        float[] xs = new float[0], v = new float[0], z = new float[0], dzb = new float[0];

        void grow(WinogradConv.Plan p, int cz, int pairs, int dzFloats) {
            xs = grow(xs, p.ringFloats());
            v = grow(v, XI * (p.cbs + 1) * p.tb * L);
            z = grow(z, XI * p.tb * pairs * 2 * L);
            if (vo.length < cz) vo = new int[cz];
            dzb = grow(dzb, dzFloats);
        }

        static float[] grow(float[] a, int n) {
            return a.length >= n ? a : new float[n];
        }

        /** G (6 x R, double) as floats, row-major. */
        private static float[] floats(double[][] g) {
            int r = g[0].length;
            float[] f = new float[g.length * r];
            for (int a = 0; a < g.length; a++) {
                for (int u = 0; u < r; u++) f[a * r + u] = (float) g[a][u];
            }
            return f;
        }
    }
}
