package io.github.vcnn.kernels.auto;

import io.github.vcnn.kernels.ConvChecks;
import io.github.vcnn.kernels.ConvKernels;
import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.PackAccess;
import io.github.vcnn.kernels.PackedConvWeights;

import java.util.Arrays;

/**
 * Convolution as a chunked GEMM over output positions, shaped for SuperWord.
 *
 * <p>Forward, per image and group: the input is copied once into a zero-padded plane per channel
 * (so no tap loop tests bounds), then for a chunk of output positions every tap {@code t = (c, r, s)}
 * is staged into its own row {@code stage[t][0..len)} (a chunk of im2col), and
 * {@code acc[k][j] += w[k][t] * stage[t][j]} runs through {@link AutoGemm#accumulate}: 4 output
 * channels x 3 taps per pass, 16 positions per vector. With stride 1 the positions run over the
 * padded width ("wide" rows whose last columns are discarded), so each stage row is a single
 * {@link System#arraycopy} of the padded plane; with stride &gt; 1 the row is gathered.
 * Bias initialises the accumulators, the epilogue runs on the output rows in place.
 *
 * <p>Input gradient: for stride 1 it is the forward core applied to {@code dz} with the weights
 * transposed per group and rotated by 180 degrees, padded by {@code dilation*(R-1) - pad}
 * (negative padding crops). For stride &gt; 1, {@code dcol[t][p] = sum_k w[k][t] dz[k][p]} (same
 * GEMM kernel, {@code dz} rows staged) is scattered back (col2im) into a padded gradient plane.
 *
 * <p>Weight gradient: {@code dw[k][t] += dz[k][p] * colT[p][t]} with a transposed im2col chunk
 * {@code colT[p][0..taps)} staged per position, again through the 4x3 kernel, now vectorized
 * over taps; the accumulators stay in per-thread rows for the whole batch.
 *
 * <p>Tiny planes with many channels (ResNet's 7x7 stage): position rows would be only a few vectors
 * long, and C2 runs short loops mostly in its scalar pre/post loops, so the GEMM is turned around:
 * {@code acc[p][k] += col[p][t] * wRows[t][k]}, vectorized over output channels.
 *
 * <p>Packed weights ({@link #pack}) are the plain {@code [K][C/G][R][S]} copy (block 1): the
 * position-vectorized GEMM reads weights as broadcast scalars, so their order only has to make
 * {@code w[k][t]} one stride. The channel-vectorized path needs them as rows {@code [G*taps][K/G]};
 * those are made on first use and kept beside the packed object (weakly, for its lifetime), so a
 * layer pays for them once. All other scratch is per thread and reused.
 */
public final class AutoConv implements ConvKernels {
    /** Builds and reads the packs (only the library's kernels can). */
    private static final PackAccess KEY = PackAccess.grant();

    /** Target floats of one staged im2col chunk (taps x positions): 192 Ki floats = 768 KiB, within L2. */
    private static final int STAGE_FLOATS = 192 * 1024;
    private static final int MIN_CHUNK = 512, MAX_CHUNK = 2048;
    /** Position rows shorter than this (all images together) run mostly in C2's scalar pre/post loops. */
    private static final int SHORT_ROWS = 128;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Per-thread buffers plus the geometry of the running core call (so the core allocates nothing). */
    private static final class Scratch {
        float[] xpad, wT;
        float[][] stage, acc, rowsB, colT, dwAcc, wRows;
        float[] colFlat;
        int[] tapOffset;
        // geometry: input [n][c][h][w], output [n][k][outH][outW], kernel r x s, stride, pad (may be negative), dilation, groups
        int n, c, h, w, k, r, s, sh, sw, pt, pl, dh, dw, g, outH, outW;
        // derived padded plane: hp x wp per channel, planeSize floats apart
        int hp, wp, planeSize;

        void geometry(int n, int c, int h, int w, int k, int r, int s, int sh, int sw, int pt, int pl, int dh, int dw, int g,
                      int outH, int outW) {
            this.n = n; this.c = c; this.h = h; this.w = w; this.k = k; this.r = r; this.s = s;
            this.sh = sh; this.sw = sw; this.pt = pt; this.pl = pl; this.dh = dh; this.dw = dw; this.g = g;
            this.outH = outH; this.outW = outW;
            hp = (outH - 1) * sh + (r - 1) * dh + 1;
            wp = (outW - 1) * sw + (s - 1) * dw + 1;
            planeSize = (hp + 1) * wp; // one spare zero row: wide stage rows may run (S-1)*dw past the last row
        }

        void geometry(ConvParams p) {
            geometry(p.n(), p.c(), p.h(), p.w(), p.k(), p.r(), p.s(), p.strideH(), p.strideW(), p.padTop(), p.padLeft(),
                    p.dilationH(), p.dilationW(), p.groups(), p.outH(), p.outW());
        }
    }

    AutoConv() {
    }

    @Override
    public PackedConvWeights pack(ConvParams p, float[] w, int wOff) {
        ConvChecks.pack(p, w, wOff);
        float[] copy = new float[p.weightSize()];
        System.arraycopy(w, wOff, copy, 0, copy.length);
        return new PackedConvWeights(KEY, AutoKernels.NAME, p, copy, 1);
    }

    /**
     * Copies the weights into {@code into}; when the channel-vectorized path already made weight rows for
     * {@code into}, those are rebuilt in place too (they are kept per packed object).
     */
    @Override
    public void repack(ConvParams p, float[] w, int wOff, PackedConvWeights into) {
        ConvChecks.repack(AutoKernels.NAME, p, w, wOff, into, p.weightSize());
        System.arraycopy(w, wOff, into.data(KEY), 0, p.weightSize());
        float[][] rows = ROWS.get(into);
        if (rows != null) transposeWeights(rows, p.groups(), p.kg(), p.cg() * p.r() * p.s(), into.data(KEY), 0);
    }

    // ------------------------------------------------------------------ forward

    @Override
    public void fwd(ConvParams p, float[] x, int xOff, PackedConvWeights packed, float[] bias, int biasOff, Epilogue act, float[] y, int yOff) {
        ConvChecks.fwd(AutoKernels.NAME, p, x, xOff, packed, bias, biasOff, act, y, yOff);
        Scratch sc = SCRATCH.get();
        sc.geometry(p);
        forwardCore(sc, x, xOff, packed.data(KEY), 0, packed, bias, biasOff, act, y, yOff);
    }

    /**
     * The weights as rows {@code [G*taps][kg]} (one row per tap, output channels contiguous) for the
     * channel-vectorized path, made once per packed-weights object and kept beside it.
     */
    private static final java.util.Map<PackedConvWeights, float[][]> ROWS =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    private static float[][] weightRows(PackedConvWeights packed, Scratch sc, float[] w, int wOff) {
        int allTaps = sc.c * sc.r * sc.s, kg = sc.k / sc.g, taps = sc.c / sc.g * sc.r * sc.s;
        if (packed == null) { // weights made per call (the input gradient's transposed kernel): rows per call too
            sc.wRows = AutoGemm.rows(sc.wRows, allTaps, kg);
            return transposeWeights(sc.wRows, sc.g, kg, taps, w, wOff);
        }
        float[][] rows = ROWS.get(packed);
        if (rows == null) {
            rows = transposeWeights(AutoGemm.rows(null, allTaps, kg), sc.g, kg, taps, w, wOff);
            ROWS.put(packed, rows);
        }
        return rows;
    }

    /** rows[g*taps + t][kk] = w[(g*kg + kk)*taps + t]. */
    private static float[][] transposeWeights(float[][] rows, int groups, int kg, int taps, float[] w, int wOff) {
        for (int g = 0; g < groups; g++) {
            for (int kk = 0; kk < kg; kk++) {
                int src = wOff + (g * kg + kk) * taps;
                for (int t = 0; t < taps; t++) rows[g * taps + t][kk] = w[src + t];
            }
        }
        return rows;
    }

    /**
     * {@code y[n][k][i][j] = act(b[k] + sum_{c,r,s} xpad[n][g*cg+c][i*sh + r*dh][j*sw + s*dw] * w[k][c][r][s])}
     * for the geometry in {@code sc}; weights {@code [K][C/G][R][S]} from {@code wOff}.
     */
    private static void forwardCore(Scratch sc, float[] x, int xOff, float[] w, int wOff, PackedConvWeights packed,
                                    float[] bias, int biasOff, Epilogue act, float[] y, int yOff) {
        int cg = sc.c / sc.g, kg = sc.k / sc.g, taps = cg * sc.r * sc.s;
        if (kg >= 64 && (long) sc.n * sc.outH * sc.wp < SHORT_ROWS) {
            // tiny planes, many channels (ResNet's last stage): rows over positions would be a few
            // vectors long and run mostly in C2's scalar pre/post loops, so vectorize over channels
            forwardChannelRows(sc, x, xOff, weightRows(packed, sc, w, wOff), bias, biasOff, act, y, yOff);
            return;
        }
        boolean wide = sc.sh == 1 && sc.sw == 1;
        int rowW = wide ? sc.wp : sc.outW;               // positions per output row in the stage
        int rows = chunkRows(taps, rowW, sc.outH);
        int plane = sc.outH * rowW;
        // small images (LeNet, late ResNet stages at batch > 1): several images share one chunk so rows stay long
        int images = rows == sc.outH ? Math.clamp(chunkTarget(taps) / plane, 1, sc.n) : 1;
        int cap = images * rows * rowW;
        int imageSize = sc.c * sc.planeSize;
        sc.xpad = AutoGemm.flat(sc.xpad, images * imageSize);
        sc.stage = AutoGemm.rows(sc.stage, taps, cap);
        sc.acc = AutoGemm.rows(sc.acc, kg, cap);
        float[] xpad = sc.xpad;
        float[][] stage = sc.stage, acc = sc.acc;
        int outPlane = sc.outH * sc.outW;
        for (int n0 = 0; n0 < sc.n; n0 += images) {
            int nb = Math.min(images, sc.n - n0);
            for (int b = 0; b < nb; b++) padInput(sc, x, xOff + (n0 + b) * sc.c * sc.h * sc.w, xpad, b * imageSize);
            for (int g = 0; g < sc.g; g++) {
                for (int i0 = 0; i0 < sc.outH; i0 += rows) {
                    int nr = Math.min(rows, sc.outH - i0);
                    int len = nr * rowW, total = nb * len;
                    for (int b = 0; b < nb; b++) stageForward(sc, xpad, b * imageSize, g * cg, cg, i0, nr, wide, stage, b * len);
                    for (int kk = 0; kk < kg; kk++) {
                        Arrays.fill(acc[kk], 0, total, bias == null ? 0f : bias[biasOff + g * kg + kk]);
                    }
                    // acc[k][j] += w[k][t] * stage[t][j]
                    AutoGemm.accumulate(acc, 0, kg, stage, 0, taps, w, wOff + g * kg * taps, taps, 1, total);
                    for (int b = 0; b < nb; b++) {
                        for (int kk = 0; kk < kg; kk++) {
                            int yPlane = yOff + ((n0 + b) * sc.k + g * kg + kk) * outPlane;
                            float[] a = acc[kk];
                            for (int ii = 0; ii < nr; ii++) {
                                System.arraycopy(a, b * len + ii * rowW, y, yPlane + (i0 + ii) * sc.outW, sc.outW);
                            }
                            AutoActivation.applyInPlace(act, y, yPlane + i0 * sc.outW, nr * sc.outW);
                        }
                    }
                }
            }
        }
    }

    /**
     * {@code acc[p][k] += col[p][t] * wRows[t][k]}: positions as accumulator rows, output channels as
     * the vectorized dimension; {@code col} is the im2col of one image (positions x taps, flat).
     */
    private static void forwardChannelRows(Scratch sc, float[] x, int xOff, float[][] wRows, float[] bias, int biasOff,
                                           Epilogue act, float[] y, int yOff) {
        int cg = sc.c / sc.g, kg = sc.k / sc.g, taps = cg * sc.r * sc.s;
        int positions = sc.outH * sc.outW;
        sc.xpad = AutoGemm.flat(sc.xpad, sc.c * sc.planeSize);
        sc.colFlat = AutoGemm.flat(sc.colFlat, positions * taps);
        sc.acc = AutoGemm.rows(sc.acc, positions, kg);
        float[] xpad = sc.xpad, col = sc.colFlat;
        float[][] acc = sc.acc;
        for (int n = 0; n < sc.n; n++) {
            padInput(sc, x, xOff + n * sc.c * sc.h * sc.w, xpad, 0);
            for (int g = 0; g < sc.g; g++) {
                // col[p*taps + t] = xpad[g*cg + c][i*sh + r*dh][j*sw + s*dw]
                int at = 0;
                for (int i = 0; i < sc.outH; i++) {
                    for (int j = 0; j < sc.outW; j++) {
                        for (int c = 0; c < cg; c++) {
                            int base = (g * cg + c) * sc.planeSize + i * sc.sh * sc.wp + j * sc.sw;
                            for (int r = 0; r < sc.r; r++) {
                                int src = base + r * sc.dh * sc.wp;
                                for (int s = 0; s < sc.s; s++) col[at++] = xpad[src + s * sc.dw];
                            }
                        }
                    }
                }
                for (int q = 0; q < positions; q++) {
                    if (bias == null) Arrays.fill(acc[q], 0, kg, 0f);
                    else System.arraycopy(bias, biasOff + g * kg, acc[q], 0, kg);
                }
                AutoGemm.accumulate(acc, 0, positions, wRows, g * taps, taps, col, 0, taps, 1, kg);
                int yGroup = yOff + (n * sc.k + g * kg) * positions;
                for (int q = 0; q < positions; q++) {
                    float[] a = acc[q];
                    for (int kk = 0; kk < kg; kk++) y[yGroup + kk * positions + q] = a[kk];
                }
                AutoActivation.applyInPlace(act, y, yGroup, kg * positions);
            }
        }
    }

    /** Output rows per chunk so that the staged chunk (taps x rows x rowW) stays near {@link #STAGE_FLOATS}. */
    private static int chunkRows(int taps, int rowW, int outH) {
        return Math.clamp(chunkTarget(taps) / rowW, 1, outH);
    }

    /** Positions per staged chunk for {@code taps} rows. */
    private static int chunkTarget(int taps) {
        return Math.clamp(STAGE_FLOATS / Math.max(1, taps), MIN_CHUNK, MAX_CHUNK);
    }

    /**
     * xpad[c][ih'][iw'] = x[c][ih' - pt][iw' - pl] inside the input, 0 elsewhere, planes of hp x wp
     * ({@code planeSize} apart, spare row zero). Negative padding crops.
     */
    private static void padInput(Scratch sc, float[] x, int xImage, float[] xpad, int xpadOff) {
        Arrays.fill(xpad, xpadOff, xpadOff + sc.c * sc.planeSize, 0f);
        int r0 = Math.max(0, sc.pt), r1 = Math.min(sc.hp, sc.h + sc.pt);     // padded rows holding input
        int c0 = Math.max(0, sc.pl), c1 = Math.min(sc.wp, sc.w + sc.pl);     // padded columns holding input
        if (r0 >= r1 || c0 >= c1) return;
        for (int c = 0; c < sc.c; c++) {
            int src = xImage + c * sc.h * sc.w, dst = xpadOff + c * sc.planeSize;
            for (int ihp = r0; ihp < r1; ihp++) {
                System.arraycopy(x, src + (ihp - sc.pt) * sc.w + (c0 - sc.pl), xpad, dst + ihp * sc.wp + c0, c1 - c0);
            }
        }
    }

    /** stage[t][at + ii*rowW + j] = xpad[c0 + c][(i0+ii)*sh + r*dh][j*sw + s*dw] for t = (c, r, s) of one group. */
    private static void stageForward(Scratch sc, float[] xpad, int xpadOff, int c0, int cg, int i0, int nr, boolean wide,
                                     float[][] stage, int at) {
        int t = 0;
        for (int c = 0; c < cg; c++) {
            int plane = xpadOff + (c0 + c) * sc.planeSize;
            for (int r = 0; r < sc.r; r++) {
                for (int s = 0; s < sc.s; s++, t++) {
                    float[] row = stage[t];
                    if (wide) {
                        // stride 1: the chunk is one contiguous run of the padded plane
                        System.arraycopy(xpad, plane + (i0 + r * sc.dh) * sc.wp + s * sc.dw, row, at, nr * sc.wp);
                    } else {
                        for (int ii = 0; ii < nr; ii++) {
                            int src = plane + ((i0 + ii) * sc.sh + r * sc.dh) * sc.wp + s * sc.dw;
                            int dst = at + ii * sc.outW;
                            for (int j = 0; j < sc.outW; j++) row[dst + j] = xpad[src + j * sc.sw];
                        }
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ input gradient

    @Override
    public void bwdData(ConvParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff) {
        ConvChecks.bwdData(p, dz, dzOff, w, wOff, dx, dxOff);
        Scratch sc = SCRATCH.get();
        if (p.strideH() == 1 && p.strideW() == 1) {
            bwdDataAsForward(sc, p, dz, dzOff, w, wOff, dx, dxOff);
        } else {
            bwdDataCol2Im(sc, p, dz, dzOff, w, wOff, dx, dxOff);
        }
    }

    /**
     * Stride 1: dx = xcorr(pad(dz), rot180(w)^T): a forward convolution from K to C channels with
     * wT[g*cg + c][kk][r][s] = w[g*kg + kk][c][R-1-r][S-1-s] and padding dilation*(R-1) - pad.
     */
    private static void bwdDataAsForward(Scratch sc, ConvParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff) {
        int g = p.groups(), cg = p.cg(), kg = p.kg(), r = p.r(), s = p.s(), rs = r * s;
        sc.wT = AutoGemm.flat(sc.wT, p.weightSize());
        float[] wT = sc.wT;
        for (int grp = 0; grp < g; grp++) {
            for (int kk = 0; kk < kg; kk++) {
                for (int c = 0; c < cg; c++) {
                    int src = wOff + ((grp * kg + kk) * cg + c) * rs;
                    int dst = ((grp * cg + c) * kg + kk) * rs;
                    for (int t = 0; t < rs; t++) wT[dst + rs - 1 - t] = w[src + t]; // rot180 = reversed (r, s) order
                }
            }
        }
        sc.geometry(p.n(), p.k(), p.outH(), p.outW(), p.c(), r, s, 1, 1,
                p.dilationH() * (r - 1) - p.padTop(), p.dilationW() * (s - 1) - p.padLeft(),
                p.dilationH(), p.dilationW(), g, p.h(), p.w());
        forwardCore(sc, dz, dzOff, wT, 0, null, null, 0, Epilogue.NONE, dx, dxOff);
    }

    /** Stride &gt; 1: dcol[t][p] = sum_k w[k][t] dz[k][p] per chunk of positions, then col2im into a padded plane. */
    private static void bwdDataCol2Im(Scratch sc, ConvParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff) {
        sc.geometry(p);
        int cg = p.cg(), kg = p.kg(), taps = cg * p.r() * p.s();
        int outPlane = sc.outH * sc.outW;
        int rows = chunkRows(Math.max(taps, kg), sc.outW, sc.outH);
        int cap = rows * sc.outW;
        sc.xpad = AutoGemm.flat(sc.xpad, sc.c * sc.planeSize);
        sc.stage = AutoGemm.rows(sc.stage, taps, cap);  // dcol rows
        sc.rowsB = AutoGemm.rows(sc.rowsB, kg, cap);    // staged dz rows
        float[] dxpad = sc.xpad;
        float[][] dcol = sc.stage, dzs = sc.rowsB;
        for (int n = 0; n < sc.n; n++) {
            Arrays.fill(dxpad, 0, sc.c * sc.planeSize, 0f);
            for (int g = 0; g < sc.g; g++) {
                for (int i0 = 0; i0 < sc.outH; i0 += rows) {
                    int nr = Math.min(rows, sc.outH - i0), len = nr * sc.outW;
                    for (int kk = 0; kk < kg; kk++) {
                        System.arraycopy(dz, dzOff + (n * sc.k + g * kg + kk) * outPlane + i0 * sc.outW, dzs[kk], 0, len);
                    }
                    for (int t = 0; t < taps; t++) Arrays.fill(dcol[t], 0, len, 0f);
                    // dcol[t][j] += w[k][t] * dz[k][j]: coefficient (t, kk) at w[(g*kg + kk)*taps + t]
                    AutoGemm.accumulate(dcol, 0, taps, dzs, 0, kg, w, wOff + g * kg * taps, 1, taps, len);
                    // col2im: every tap's contribution lands on its input position (padding positions are dropped later)
                    int t = 0;
                    for (int c = 0; c < cg; c++) {
                        int plane = (g * cg + c) * sc.planeSize;
                        for (int r = 0; r < sc.r; r++) {
                            for (int s = 0; s < sc.s; s++, t++) {
                                float[] col = dcol[t];
                                for (int ii = 0; ii < nr; ii++) {
                                    int dst = plane + ((i0 + ii) * sc.sh + r * sc.dh) * sc.wp + s * sc.dw;
                                    int src = ii * sc.outW;
                                    for (int j = 0; j < sc.outW; j++) dxpad[dst + j * sc.sw] += col[src + j];
                                }
                            }
                        }
                    }
                }
            }
            unpad(sc, dxpad, dx, dxOff + n * sc.c * sc.h * sc.w);
        }
    }

    /** dx[c][ih][iw] = dxpad[c][ih + pt][iw + pl] where that lies in the padded plane, else 0 (no window covers it). */
    private static void unpad(Scratch sc, float[] dxpad, float[] dx, int dxImage) {
        for (int c = 0; c < sc.c; c++) {
            int plane = c * sc.planeSize, out = dxImage + c * sc.h * sc.w;
            for (int ih = 0; ih < sc.h; ih++) {
                int ihp = ih + sc.pt, row = out + ih * sc.w;
                int covered = ihp < sc.hp ? Math.clamp(sc.wp - sc.pl, 0, sc.w) : 0;
                if (covered > 0) System.arraycopy(dxpad, plane + ihp * sc.wp + sc.pl, dx, row, covered);
                if (covered < sc.w) Arrays.fill(dx, row + covered, row + sc.w, 0f);
            }
        }
    }

    // ------------------------------------------------------------------ weight gradient

    @Override
    public void bwdWeights(ConvParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff, float[] db, int dbOff) {
        ConvChecks.bwdWeights(p, x, xOff, dz, dzOff, dw, dwOff, db, dbOff);
        Scratch sc = SCRATCH.get();
        sc.geometry(p);
        int cg = p.cg(), kg = p.kg(), taps = cg * p.r() * p.s();
        int outPlane = sc.outH * sc.outW;
        int chunk = Math.clamp(STAGE_FLOATS / 4 / taps, 16, 512); // positions per staged colT chunk
        sc.xpad = AutoGemm.flat(sc.xpad, sc.c * sc.planeSize);
        sc.colT = AutoGemm.rows(sc.colT, chunk, taps);    // one row per output position
        sc.dwAcc = AutoGemm.rows(sc.dwAcc, p.k(), taps);  // dw accumulators, one row per output channel
        float[] xpad = sc.xpad;
        float[][] colT = sc.colT, acc = sc.dwAcc;
        if (sc.tapOffset == null || sc.tapOffset.length < taps) sc.tapOffset = new int[taps];
        int[] tapOffset = sc.tapOffset;
        for (int k = 0; k < p.k(); k++) Arrays.fill(acc[k], 0, taps, 0f);
        for (int n = 0; n < sc.n; n++) {
            padInput(sc, x, xOff + n * sc.c * sc.h * sc.w, xpad, 0);
            for (int g = 0; g < sc.g; g++) {
                for (int c = 0, t = 0; c < cg; c++) {
                    for (int r = 0; r < sc.r; r++) {
                        for (int s = 0; s < sc.s; s++) tapOffset[t++] = (g * cg + c) * sc.planeSize + r * sc.dh * sc.wp + s * sc.dw;
                    }
                }
                for (int p0 = 0; p0 < outPlane; p0 += chunk) {
                    int np = Math.min(chunk, outPlane - p0);
                    // colT[pp][t] = xpad[g*cg + c][i*sh + r*dh][j*sw + s*dw] for position p0 + pp = (i, j):
                    // one table-driven gather per position (the tap offsets do not depend on the position)
                    for (int pp = 0; pp < np; pp++) {
                        int i = (p0 + pp) / sc.outW, j = (p0 + pp) % sc.outW;
                        int base = i * sc.sh * sc.wp + j * sc.sw;
                        float[] row = colT[pp];
                        for (int t = 0; t < taps; t++) row[t] = xpad[base + tapOffset[t]];
                    }
                    // acc[k][t] += dz[n][k][p0 + pp] * colT[pp][t]
                    AutoGemm.accumulate(acc, g * kg, kg, colT, 0, np, dz, dzOff + (n * sc.k + g * kg) * outPlane + p0, outPlane, 1, taps);
                }
            }
        }
        for (int k = 0; k < p.k(); k++) System.arraycopy(acc[k], 0, dw, dwOff + k * taps, taps);
        if (db == null) return;
        // db[k] = sum_{n,i,j} dz[n][k][i][j]
        for (int k = 0; k < p.k(); k++) {
            double sum = 0.0;
            for (int n = 0; n < sc.n; n++) {
                int base = dzOff + (n * sc.k + k) * outPlane;
                for (int q = 0; q < outPlane; q++) sum += dz[base + q];
            }
            db[dbOff + k] = (float) sum;
        }
    }
}
