package io.github.vcnn.kernels.auto;

/**
 * The register-blocked inner kernels every auto-vectorized GEMM-like op (conv, dense) is built on:
 * {@code acc[i][j] += sum_q coef(i, q) * src[q][j]} over rows of separate arrays.
 *
 * <p>Why separate arrays indexed from 0: HotSpot's SuperWord (JDK 25) only vectorizes a loop when
 * every load/store pair that may alias (any two {@code float[]}) is indexed by the same expression
 * up to a constant. {@code a[j] += w * b[o + j]} with a loop-invariant {@code o} stays scalar;
 * {@code a[j] += w * b[j]} runs 16 lanes wide. So callers stage the operands they need into
 * per-thread rows (one {@link System#arraycopy} each, an intrinsic) and the FMA loops see only
 * {@code [j]}. The 4x3 block (four accumulator rows, three source rows) does 12 FMAs per 7 loads
 * and 4 stores, which keeps the FMA units, not the load/store ports, the limit.
 */
final class AutoGemm {
    private AutoGemm() {
    }

    /**
     * {@code acc[a0 + i][0..len) += sum_{q < nq} coef[cBase + i*cRow + q*cCol] * src[s0 + q][0..len)} for {@code i < rows}.
     * Accumulator rows are processed 4 at a time (a 4-row block stays in L1 while every source row streams past).
     * Every row must come from {@link #rows} (length padded to {@link #ROW_PAD}); lanes past {@code len} get garbage.
     */
    static void accumulate(float[][] acc, int a0, int rows, float[][] src, int s0, int nq,
                           float[] coef, int cBase, int cRow, int cCol, int len) {
        if (len <= 0 || nq <= 0) return;
        // Run whole unrolled vector iterations: C2's scalar post-loop would otherwise do up to 63
        // of a short row at 1/16 speed. The extra lanes read stale staging and are never written out.
        len = padded(len);
        // Cache blocking: a column block of JB floats, within it a block of qb source rows that
        // fits L1 and is swept by every 4-row accumulator block. All arrays are indexed by the
        // same j, so the column offset does not stop SuperWord.
        // Keep this loop exactly so (constant step, min bound): measured on JDK 25, a computed block
        // size or a bound carried from the previous block made C2 stop vectorizing the inner loops (18
        // instead of 100+ GFLOP/s in AutoGemm.accumulate alone).
        for (int j0 = 0; j0 < len; j0 += JB) {
            int j1 = Math.min(len, j0 + JB);
            int qb = Math.max(3, L1_FLOATS / (j1 - j0) / 3 * 3);
            for (int q0 = 0; q0 < nq; q0 += qb) {
                int q1 = Math.min(nq, q0 + qb);
                int i = 0;
                for (; i + 4 <= rows; i += 4) {
                    float[] r0 = acc[a0 + i], r1 = acc[a0 + i + 1], r2 = acc[a0 + i + 2], r3 = acc[a0 + i + 3];
                    int c0 = cBase + i * cRow, c1 = c0 + cRow, c2 = c1 + cRow, c3 = c2 + cRow;
                    int q = q0;
                    for (; q + 3 <= q1; q += 3) {
                        int o = q * cCol;
                        block4x3(r0, r1, r2, r3, src[s0 + q], src[s0 + q + 1], src[s0 + q + 2],
                                coef[c0 + o], coef[c0 + o + cCol], coef[c0 + o + 2 * cCol],
                                coef[c1 + o], coef[c1 + o + cCol], coef[c1 + o + 2 * cCol],
                                coef[c2 + o], coef[c2 + o + cCol], coef[c2 + o + 2 * cCol],
                                coef[c3 + o], coef[c3 + o + cCol], coef[c3 + o + 2 * cCol], j0, j1);
                    }
                    for (; q < q1; q++) {
                        int o = q * cCol;
                        block4x1(r0, r1, r2, r3, src[s0 + q], coef[c0 + o], coef[c1 + o], coef[c2 + o], coef[c3 + o], j0, j1);
                    }
                }
                for (; i < rows; i++) {
                    float[] r0 = acc[a0 + i];
                    int c0 = cBase + i * cRow;
                    int q = q0;
                    for (; q + 3 <= q1; q += 3) {
                        int o = c0 + q * cCol;
                        block1x3(r0, src[s0 + q], src[s0 + q + 1], src[s0 + q + 2], coef[o], coef[o + cCol], coef[o + 2 * cCol], j0, j1);
                    }
                    for (; q < q1; q++) block1x1(r0, src[s0 + q], coef[c0 + q * cCol], j0, j1);
                }
            }
        }
    }

    /** Columns per block: 4 accumulator rows of it (4 KiB) plus a source block fill L1. */
    private static final int JB = 256;
    /** Floats of source rows per block (24 KiB of the 32 KiB L1, the rest for the accumulator block). */
    private static final int L1_FLOATS = 6 * 1024;

    static void block4x3(float[] a0, float[] a1, float[] a2, float[] a3, float[] s0, float[] s1, float[] s2,
                         float w00, float w01, float w02, float w10, float w11, float w12,
                         float w20, float w21, float w22, float w30, float w31, float w32, int from, int to) {
        for (int j = from; j < to; j++) {
            float v0 = s0[j], v1 = s1[j], v2 = s2[j];
            a0[j] = Math.fma(w02, v2, Math.fma(w01, v1, Math.fma(w00, v0, a0[j])));
            a1[j] = Math.fma(w12, v2, Math.fma(w11, v1, Math.fma(w10, v0, a1[j])));
            a2[j] = Math.fma(w22, v2, Math.fma(w21, v1, Math.fma(w20, v0, a2[j])));
            a3[j] = Math.fma(w32, v2, Math.fma(w31, v1, Math.fma(w30, v0, a3[j])));
        }
    }

    static void block4x1(float[] a0, float[] a1, float[] a2, float[] a3, float[] s0,
                         float w0, float w1, float w2, float w3, int from, int to) {
        for (int j = from; j < to; j++) {
            float v0 = s0[j];
            a0[j] = Math.fma(w0, v0, a0[j]);
            a1[j] = Math.fma(w1, v0, a1[j]);
            a2[j] = Math.fma(w2, v0, a2[j]);
            a3[j] = Math.fma(w3, v0, a3[j]);
        }
    }

    static void block1x3(float[] a0, float[] s0, float[] s1, float[] s2, float w0, float w1, float w2, int from, int to) {
        for (int j = from; j < to; j++) {
            a0[j] = Math.fma(w2, s2[j], Math.fma(w1, s1[j], Math.fma(w0, s0[j], a0[j])));
        }
    }

    static void block1x1(float[] a0, float[] s0, float w0, int from, int to) {
        for (int j = from; j < to; j++) a0[j] = Math.fma(w0, s0[j], a0[j]);
    }

    /**
     * At least {@code rows} rows of at least {@code cols} floats, reusing {@code old} (per-thread scratch).
     * Rows grow one by one, so a buffer shared by calls of different shapes (many taps x short rows,
     * few taps x long rows) costs the sum of what each row needed, not the product of the maxima.
     */
    static float[][] rows(float[][] old, int rows, int cols) {
        cols = padded(cols);
        float[][] a = old;
        if (a == null || a.length < rows) {
            a = new float[rows][];
            if (old != null) System.arraycopy(old, 0, a, 0, old.length);
        }
        for (int i = 0; i < rows; i++) {
            if (a[i] == null || a[i].length < cols) a[i] = new float[cols];
        }
        return a;
    }

    /** Row lengths are rounded up to this many floats (4 vectors of 16), see {@link #accumulate}. */
    static final int ROW_PAD = 64;

    /** {@code len} rounded up to {@link #ROW_PAD}. */
    static int padded(int len) {
        return (len + ROW_PAD - 1) & -ROW_PAD;
    }

    /** A flat scratch array of at least {@code len}, reusing {@code old} when it is big enough. */
    static float[] flat(float[] old, int len) {
        return old != null && old.length >= len ? old : new float[Math.max(len, old == null ? 0 : old.length + old.length / 2)];
    }
}
