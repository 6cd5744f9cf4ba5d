package io.github.vcnn.kernels.simd;

import io.github.vcnn.kernels.DenseChecks;
import io.github.vcnn.kernels.DenseKernels;
import io.github.vcnn.kernels.DenseParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.PackAccess;
import io.github.vcnn.kernels.PackedDenseWeights;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * SGEMM in the BLIS/GotoBLAS shape, and the dense layer on top of it.
 *
 * <p>op(B) is packed into column panels {@code NR = 2 vectors} wide and op(A) into row panels of
 * {@code MR = 6} rows (both zero-padded to full panels), so every transpose combination feeds the same
 * micro-kernel: a {@code 6 x 2}-vector tile of 12 accumulators, each k step two vector loads,
 * six broadcasts and twelve FMAs. Cache blocking: {@code KC x NR} B micro-panel stays in L1 while
 * the {@code MC x KC} packed A block streams from L2. The dense forward's bias and activation are
 * applied to each {@code MC x NC} block of C right after its last K block, while it is still in cache.
 * Packing buffers are per thread and reused. The dense forward's op(B) = {@code W^T} is packed once by
 * {@link #pack} into whole panels, so per call only x (op(A)) is packed.
 */
final class SimdDense implements DenseKernels {
    /** Builds and reads the packs (only the library's kernels can). */
    private static final PackAccess KEY = PackAccess.grant();

    private static final VectorSpecies<Float> F = SimdMath.F;
    private static final int VL = SimdMath.VL;
    private static final int MR = 6;
    private static final int NR = 2 * VL;
    private static final int KC = 256;
    private static final int MC = 16 * MR;
    private static final int NC = Math.max(NR, (2048 / NR) * NR);

    /** Per-thread buffers: [0] packed A (MC x KC), [1] packed B (KC x NC), [2] one edge tile (MR x NR). */
    private static final ThreadLocal<float[][]> SCRATCH =
            ThreadLocal.withInitial(() -> new float[][]{new float[MC * KC], new float[KC * NC], new float[MR * NR]});

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        DenseChecks.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f) {
            scaleC(m, n, beta, c, cOff, ldc); // BLAS: A and B are not read
            return;
        }
        gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, null, 0, Epilogue.NONE);
    }

    /**
     * Packs op(B) of the forward, {@code W^T}, once into the column panels the micro-kernel reads:
     * {@code [ceil(out/NR)][in][NR]}, columns past {@code out} zero. Any K block of a panel is then a contiguous
     * {@code kc x NR} run, so the forward streams it straight from here without packing B.
     */
    @Override
    public PackedDenseWeights pack(DenseParams p, float[] w, int wOff) {
        DenseChecks.pack(p, w, wOff);
        long size = (long) panels(p.out()) * NR * p.in();
        if (size > Integer.MAX_VALUE - 64) throw new IllegalArgumentException("packed weights too large for a Java array: " + p);
        float[] data = new float[(int) size];
        packB(true, w, wOff, p.in(), 0, p.in(), 0, p.out(), data);
        return new PackedDenseWeights(KEY, SimdConv.VARIANT, p, "[out/" + NR + "][in][" + NR + "] (W^T panels)", NR, data);
    }

    /** As {@link #pack}, into {@code into}'s array: packB writes every value of the panels, padding columns included. */
    @Override
    public void repack(DenseParams p, float[] w, int wOff, PackedDenseWeights into) {
        DenseChecks.repack(SimdConv.VARIANT, p, w, wOff, into, (long) panels(p.out()) * NR * p.in());
        packB(true, w, wOff, p.in(), 0, p.in(), 0, p.out(), into.data(KEY));
    }

    private static int panels(int n) {
        return (n + NR - 1) / NR;
    }

    @Override
    public void fwd(DenseParams p, float[] x, int xOff, PackedDenseWeights packed, float[] bias, int biasOff, Epilogue act, float[] y, int yOff) {
        DenseChecks.fwd(SimdConv.VARIANT, p, x, xOff, packed, bias, biasOff, act, y, yOff);
        // y[batch][out] = act(x[batch][in] * W[out][in]^T + b[out]), W^T read from its packed panels
        gemm(false, p.batch(), p.out(), p.in(), 1f, x, xOff, p.in(), false, null, 0, 0, packed.data(KEY),
                0f, y, yOff, p.out(), bias, biasOff, act);
    }

    @Override
    public void bwdData(DenseParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff) {
        DenseChecks.bwdData(p, dz, dzOff, w, wOff, dx, dxOff);
        // dx[batch][in] = dz[batch][out] * W[out][in]
        gemm(false, false, p.batch(), p.in(), p.out(), 1f, dz, dzOff, p.out(), w, wOff, p.in(), 0f, dx, dxOff, p.in(), null, 0, Epilogue.NONE);
    }

    @Override
    public void bwdWeights(DenseParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff, float[] db, int dbOff) {
        DenseChecks.bwdWeights(p, x, xOff, dz, dzOff, dw, dwOff, db, dbOff);
        // dW[out][in] = dz[batch][out]^T * x[batch][in]
        gemm(true, false, p.out(), p.in(), p.batch(), 1f, dz, dzOff, p.out(), x, xOff, p.in(), 0f, dw, dwOff, p.in(), null, 0, Epilogue.NONE);
        if (db != null) columnSums(p.batch(), p.out(), dz, dzOff, db, dbOff);
    }

    /** db[o] = sum over rows of dz[r][o] in row order, rows added as whole vectors. */
    private static void columnSums(int rows, int cols, float[] dz, int dzOff, float[] db, int dbOff) {
        int j = 0;
        for (int bound = F.loopBound(cols); j < bound; j += VL) {
            FloatVector acc = FloatVector.zero(F);
            for (int r = 0; r < rows; r++) acc = acc.add(FloatVector.fromArray(F, dz, dzOff + r * cols + j));
            acc.intoArray(db, dbOff + j);
        }
        // the last columns scalar, in the same row order (bit-identical to a masked vector): a masked load or store
        // whose vector extent crosses the array's end takes the JDK's per-lane check, which allocates (24 B each)
        for (; j < cols; j++) {
            float acc = 0f;
            for (int r = 0; r < rows; r++) acc += dz[dzOff + r * cols + j];
            db[dbOff + j] = acc;
        }
    }

    private static void scaleC(int m, int n, float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            int row = cOff + i * ldc;
            if (beta == 0f) {
                java.util.Arrays.fill(c, row, row + n, 0f);
            } else {
                for (int j = 0; j < n; j++) c[row + j] *= beta;
            }
        }
    }

    /**
     * C = alpha op(A) op(B) + beta C, then (in the last K block) + bias[column] and act. Arguments checked by the caller;
     * m, n, k > 0.
     */
    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float beta, float[] c, int cOff, int ldc, float[] bias, int biasOff, Epilogue act) {
        gemm(transA, m, n, k, alpha, a, aOff, lda, transB, b, bOff, ldb, null, beta, c, cOff, ldc, bias, biasOff, act);
    }

    /**
     * The blocked product. op(B) comes either from {@code b} (packed per block into the per-thread buffer) or, when
     * {@code bPacked} is not null, already packed as whole panels {@code [ceil(n/NR)][k][NR]} (then {@code b} is unused).
     */
    private static void gemm(boolean transA, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                             boolean transB, float[] b, int bOff, int ldb, float[] bPacked,
                             float beta, float[] c, int cOff, int ldc, float[] bias, int biasOff, Epilogue act) {
        float[][] scratch = SCRATCH.get();
        float[] ap = scratch[0], tile = scratch[2];
        boolean epilogue = bias != null || !act.isIdentity();
        if (m == 1 && bPacked != null && !transA && alpha == 1f && beta == 0f) {
            // one row (batch-1 inference): the 6-row tile would spend 5/6 of its FMAs on padding
            gemvPacked(n, k, a, aOff, bPacked, c, cOff, tile);
            if (bias != null) SimdElementwise.addInPlace(bias, biasOff, c, cOff, n);
            if (epilogue) SimdActivation.apply(act, c, cOff, c, cOff, n);
            return;
        }
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean last = pc + kc == k;
                float betaBlock = pc == 0 ? beta : 1f; // later K blocks accumulate onto the first
                // where the kc x NR micro-panel of column jc + jr starts: blockBase + (jr / NR) * panelStride
                float[] bp;
                int blockBase, panelStride;
                if (bPacked == null) {
                    bp = scratch[1];
                    packB(transB, b, bOff, ldb, pc, kc, jc, nc, bp);
                    blockBase = 0;
                    panelStride = NR * kc;
                } else {
                    bp = bPacked;
                    blockBase = jc * k + pc * NR; // panel jc/NR starts at jc * k, its row pc at pc * NR
                    panelStride = NR * k;
                }
                for (int ic = 0; ic < m; ic += MC) {
                    int mc = Math.min(MC, m - ic);
                    packA(transA, a, aOff, lda, ic, mc, pc, kc, ap);
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nr = Math.min(NR, nc - jr);
                        int bBase = blockBase + (jr / NR) * panelStride;
                        for (int ir = 0; ir < mc; ir += MR) {
                            int mr = Math.min(MR, mc - ir);
                            kernel(kc, ap, ir * kc, bp, bBase, c, cOff + (ic + ir) * ldc + jc + jr, ldc, mr, nr, alpha, betaBlock, tile);
                        }
                    }
                    if (last && epilogue) {
                        // the fused epilogue: bias and activation on the mc x nc block just finished, still in cache
                        for (int i = ic; i < ic + mc; i++) {
                            int row = cOff + i * ldc + jc;
                            if (bias != null) SimdElementwise.addInPlace(bias, biasOff + jc, c, row, nc);
                            SimdActivation.apply(act, c, row, c, row, nc);
                        }
                    }
                }
            }
        }
    }

    /**
     * c[0..n) = a[0..k) times the packed panels {@code [ceil(n/NR)][k][NR]} of op(B): one row, four panels (8
     * accumulators, 8 weight loads and one broadcast per k) at a time, then single panels. Each output is summed exactly
     * as {@link #kernel} sums it (per K block of {@link #KC} from zero, in k order, then added to the previous blocks'),
     * so a sample's result does not depend on the batch it came in.
     */
    private static void gemvPacked(int n, int k, float[] a, int aOff, float[] bp, float[] c, int cOff, float[] tile) {
        int panels = (n + NR - 1) / NR, stride = NR * k;
        int j = 0;
        for (; j + 4 <= panels && (j + 4) * NR <= n; j += 4) {
            int ci = cOff + j * NR;
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc), ai = aOff + pc, bi = j * stride + pc * NR;
                FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
                for (int p = 0; p < kc; p++, bi += NR) {
                    FloatVector x = FloatVector.broadcast(F, a[ai + p]);
                    c00 = x.fma(FloatVector.fromArray(F, bp, bi), c00);
                    c01 = x.fma(FloatVector.fromArray(F, bp, bi + VL), c01);
                    c10 = x.fma(FloatVector.fromArray(F, bp, bi + stride), c10);
                    c11 = x.fma(FloatVector.fromArray(F, bp, bi + stride + VL), c11);
                    c20 = x.fma(FloatVector.fromArray(F, bp, bi + 2 * stride), c20);
                    c21 = x.fma(FloatVector.fromArray(F, bp, bi + 2 * stride + VL), c21);
                    c30 = x.fma(FloatVector.fromArray(F, bp, bi + 3 * stride), c30);
                    c31 = x.fma(FloatVector.fromArray(F, bp, bi + 3 * stride + VL), c31);
                }
                if (pc > 0) {
                    c00 = c00.add(FloatVector.fromArray(F, c, ci));
                    c01 = c01.add(FloatVector.fromArray(F, c, ci + VL));
                    c10 = c10.add(FloatVector.fromArray(F, c, ci + NR));
                    c11 = c11.add(FloatVector.fromArray(F, c, ci + NR + VL));
                    c20 = c20.add(FloatVector.fromArray(F, c, ci + 2 * NR));
                    c21 = c21.add(FloatVector.fromArray(F, c, ci + 2 * NR + VL));
                    c30 = c30.add(FloatVector.fromArray(F, c, ci + 3 * NR));
                    c31 = c31.add(FloatVector.fromArray(F, c, ci + 3 * NR + VL));
                }
                c00.intoArray(c, ci);
                c01.intoArray(c, ci + VL);
                c10.intoArray(c, ci + NR);
                c11.intoArray(c, ci + NR + VL);
                c20.intoArray(c, ci + 2 * NR);
                c21.intoArray(c, ci + 2 * NR + VL);
                c30.intoArray(c, ci + 3 * NR);
                c31.intoArray(c, ci + 3 * NR + VL);
            }
        }
        for (; j < panels; j++) {
            int ci = cOff + j * NR, nr = Math.min(NR, n - j * NR);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc), ai = aOff + pc, bi = j * stride + pc * NR;
                FloatVector c00 = FloatVector.zero(F), c01 = c00;
                for (int p = 0; p < kc; p++, bi += NR) {
                    FloatVector x = FloatVector.broadcast(F, a[ai + p]);
                    c00 = x.fma(FloatVector.fromArray(F, bp, bi), c00);
                    c01 = x.fma(FloatVector.fromArray(F, bp, bi + VL), c01);
                }
                if (nr == NR) {
                    if (pc > 0) {
                        c00 = c00.add(FloatVector.fromArray(F, c, ci));
                        c01 = c01.add(FloatVector.fromArray(F, c, ci + VL));
                    }
                    c00.intoArray(c, ci);
                    c01.intoArray(c, ci + VL);
                } else {   // the last, partial panel: plain stores (a masked one past the array's end takes a slow checked path)
                    c00.intoArray(tile, 0);
                    c01.intoArray(tile, VL);
                    for (int q = 0; q < nr; q++) c[ci + q] = pc > 0 ? tile[q] + c[ci + q] : tile[q];
                }
            }
        }
    }

    /** op(B)[pc..pc+kc)[jc..jc+nc) into panels of NR columns: dst[panel][p][NR], zero beyond n. */
    private static void packB(boolean transB, float[] b, int bOff, int ldb, int pc, int kc, int jc, int nc, float[] dst) {
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            int base = jr * kc;
            if (!transB) {
                // rows of B are contiguous: copy NR floats per k
                for (int p = 0; p < kc; p++) {
                    int src = bOff + (pc + p) * ldb + jc + jr;
                    int d = base + p * NR;
                    if (nr == NR) {
                        FloatVector.fromArray(F, b, src).intoArray(dst, d);
                        FloatVector.fromArray(F, b, src + VL).intoArray(dst, d + VL);
                    } else {
                        VectorMask<Float> m0 = F.indexInRange(0, nr), m1 = F.indexInRange(VL, nr);
                        FloatVector.fromArray(F, b, src, m0).intoArray(dst, d);
                        FloatVector.fromArray(F, b, src + VL, m1).intoArray(dst, d + VL);
                    }
                }
            } else {
                // B stored n x k: walk each stored row sequentially, scatter into the panel
                for (int jj = 0; jj < nr; jj++) {
                    int src = bOff + (jc + jr + jj) * ldb + pc;
                    int d = base + jj;
                    for (int p = 0; p < kc; p++) dst[d + p * NR] = b[src + p];
                }
                for (int jj = nr; jj < NR; jj++) {
                    for (int p = 0; p < kc; p++) dst[base + jj + p * NR] = 0f;
                }
            }
        }
    }

    /** op(A)[ic..ic+mc)[pc..pc+kc) into panels of MR rows: dst[panel][p][MR], zero beyond m. */
    private static void packA(boolean transA, float[] a, int aOff, int lda, int ic, int mc, int pc, int kc, float[] dst) {
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            int base = ir * kc;
            if (transA) {
                // A stored k x m: the MR values of one k are adjacent
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (pc + p) * lda + ic + ir;
                    int d = base + p * MR;
                    for (int ii = 0; ii < mr; ii++) dst[d + ii] = a[src + ii];
                    for (int ii = mr; ii < MR; ii++) dst[d + ii] = 0f;
                }
            } else {
                for (int ii = 0; ii < mr; ii++) {
                    int src = aOff + (ic + ir + ii) * lda + pc;
                    int d = base + ii;
                    for (int p = 0; p < kc; p++) dst[d + p * MR] = a[src + p];
                }
                for (int ii = mr; ii < MR; ii++) {
                    for (int p = 0; p < kc; p++) dst[base + ii + p * MR] = 0f;
                }
            }
        }
    }

    /**
     * One MR x NR tile: 12 accumulators over kc steps, then C = alpha acc + beta C on the valid mr x nr part.
     * Full tiles with (alpha, beta) in {1} x {0, 1} store straight from the registers; other tiles go through
     * {@code tile} and {@link #mergeTile} (no vector crosses a method boundary: C2 would box it when not inlined).
     */
    private static void kernel(int kc, float[] ap, int aBase, float[] bp, int bBase,
                               float[] c, int cIdx, int ldc, int mr, int nr, float alpha, float beta, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        int ai = aBase, bi = bBase;
        for (int p = 0; p < kc; p++, ai += MR, bi += NR) {
            FloatVector b0 = FloatVector.fromArray(F, bp, bi);
            FloatVector b1 = FloatVector.fromArray(F, bp, bi + VL);
            FloatVector a0 = FloatVector.broadcast(F, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(F, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(F, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(F, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(F, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(F, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        if (mr == MR && nr == NR && alpha == 1f && (beta == 0f || beta == 1f)) {
            if (beta == 1f) {
                c00 = c00.add(FloatVector.fromArray(F, c, cIdx));
                c01 = c01.add(FloatVector.fromArray(F, c, cIdx + VL));
                c10 = c10.add(FloatVector.fromArray(F, c, cIdx + ldc));
                c11 = c11.add(FloatVector.fromArray(F, c, cIdx + ldc + VL));
                c20 = c20.add(FloatVector.fromArray(F, c, cIdx + 2 * ldc));
                c21 = c21.add(FloatVector.fromArray(F, c, cIdx + 2 * ldc + VL));
                c30 = c30.add(FloatVector.fromArray(F, c, cIdx + 3 * ldc));
                c31 = c31.add(FloatVector.fromArray(F, c, cIdx + 3 * ldc + VL));
                c40 = c40.add(FloatVector.fromArray(F, c, cIdx + 4 * ldc));
                c41 = c41.add(FloatVector.fromArray(F, c, cIdx + 4 * ldc + VL));
                c50 = c50.add(FloatVector.fromArray(F, c, cIdx + 5 * ldc));
                c51 = c51.add(FloatVector.fromArray(F, c, cIdx + 5 * ldc + VL));
            }
            c00.intoArray(c, cIdx);
            c01.intoArray(c, cIdx + VL);
            c10.intoArray(c, cIdx + ldc);
            c11.intoArray(c, cIdx + ldc + VL);
            c20.intoArray(c, cIdx + 2 * ldc);
            c21.intoArray(c, cIdx + 2 * ldc + VL);
            c30.intoArray(c, cIdx + 3 * ldc);
            c31.intoArray(c, cIdx + 3 * ldc + VL);
            c40.intoArray(c, cIdx + 4 * ldc);
            c41.intoArray(c, cIdx + 4 * ldc + VL);
            c50.intoArray(c, cIdx + 5 * ldc);
            c51.intoArray(c, cIdx + 5 * ldc + VL);
            return;
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, VL);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + VL);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + VL);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + VL);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + VL);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + VL);
        mergeTile(tile, c, cIdx, ldc, mr, nr, alpha, beta);
    }

    /** C[r][j] = alpha tile[r][j] + beta C[r][j] for the valid part of an edge tile; C is not read when beta == 0. */
    private static void mergeTile(float[] tile, float[] c, int cIdx, int ldc, int mr, int nr, float alpha, float beta) {
        for (int r = 0; r < mr; r++) {
            int row = cIdx + r * ldc, t = r * NR;
            if (beta == 0f) {
                for (int j = 0; j < nr; j++) c[row + j] = alpha * tile[t + j];
            } else {
                for (int j = 0; j < nr; j++) c[row + j] = alpha * tile[t + j] + beta * c[row + j];
            }
        }
    }
}
