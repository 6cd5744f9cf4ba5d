package io.github.vcnn.kernels;

/**
 * The argument checks of {@link DenseKernels}, shared by every variant (same messages, argument named first,
 * nothing written before they pass). A passing call allocates nothing. Outputs must not overlap inputs (see
 * {@link DenseParams}): identity plus range overlap, the same for every variant.
 */
public final class DenseChecks {
    private DenseChecks() {
    }

    /** Row-major storage: A is m x k (k x m when transposed), B is k x n (n x k when transposed), C is m x n. */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        if (m >= 0 && n >= 0 && k >= 0 && Float.isFinite(alpha) && Float.isFinite(beta)
                && matrixFits(a, aOff, aRows, aCols, lda) && matrixFits(b, bOff, bRows, bCols, ldb)
                && matrixFits(c, cOff, m, n, ldc)
                && apart(c, cOff, matrixLength(m, n, ldc), a, aOff, matrixLength(aRows, aCols, lda))
                && apart(c, cOff, matrixLength(m, n, ldc), b, bOff, matrixLength(bRows, bCols, ldb))) {
            return;
        }
        String shape = "sgemm C[" + m + "x" + n + "] = " + alpha + " * " + (transA ? "A^T" : "A") + "[" + m + "x" + k + "] * "
                + (transB ? "B^T" : "B") + "[" + k + "x" + n + "] + " + beta + " * C";
        Checks.nonNegative("m", m, shape);
        Checks.nonNegative("n", n, shape);
        Checks.nonNegative("k", k, shape);
        Checks.finite("alpha", alpha);
        Checks.finite("beta", beta);
        matrix("a", a, aOff, aRows, aCols, lda, shape);
        matrix("b", b, bOff, bRows, bCols, ldb, shape);
        matrix("c", c, cOff, m, n, ldc, shape);
        Checks.disjoint("c", c, cOff, matrixLength(m, n, ldc), "a", a, aOff, matrixLength(aRows, aCols, lda), shape);
        Checks.disjoint("c", c, cOff, matrixLength(m, n, ldc), "b", b, bOff, matrixLength(bRows, bCols, ldb), shape);
    }

    private static boolean apart(float[] out, int outOff, long outLen, float[] in, int inOff, long inLen) {
        return out != in || outLen == 0 || inLen == 0 || outOff + outLen <= inOff || inOff + inLen <= outOff;
    }

    private static long matrixLength(int rows, int cols, int ld) {
        return rows == 0 || cols == 0 ? 0 : (long) (rows - 1) * ld + cols;
    }

    private static boolean matrixFits(float[] a, int off, int rows, int cols, int ld) {
        return ld >= Math.max(1, cols) && Checks.fits(a, off, matrixLength(rows, cols, ld));
    }

    /** A row-major {@code rows x cols} matrix stored with leading dimension {@code ld}. */
    private static void matrix(String name, float[] a, int off, int rows, int cols, int ld, String shape) {
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException("ld" + name + " (leading dimension of " + name + ") is " + ld + ", needs >= "
                    + Math.max(1, cols) + " for " + rows + "x" + cols + " (" + shape + ")");
        }
        Checks.array(name, a, off, matrixLength(rows, cols, ld), name + " " + rows + "x" + cols + " ld " + ld + " (" + shape + ")");
    }

    public static void pack(DenseParams p, float[] w, int wOff) {
        Checks.notNull("params", p);
        Checks.array("w", w, wOff, (long) p.out() * p.in(), "weights [out][in]", p);
    }

    /**
     * {@code into} must come from {@code variant}, fit {@code p} and hold exactly {@code packedLength} values
     * (the length the variant's {@code pack} gives {@code p}); {@code w} must hold the weights.
     */
    public static void repack(String variant, DenseParams p, float[] w, int wOff, PackedDenseWeights into, long packedLength) {
        pack(p, w, wOff);
        Checks.notNull("into (packed weights)", into).checkFor(variant, p);
        if (into.size() != packedLength) {
            throw new IllegalArgumentException("into (packed weights) holds " + into.size() + " values, the '" + variant
                    + "' layout of " + p + " needs " + packedLength);
        }
    }

    /** {@code variant} is the provider name the packed weights must come from. */
    public static void fwd(String variant, DenseParams p, float[] x, int xOff, PackedDenseWeights packed, float[] bias, int biasOff,
                           Epilogue act, float[] y, int yOff) {
        Checks.notNull("params", p);
        Checks.array("x", x, xOff, (long) p.batch() * p.in(), "input [batch][in]", p);
        Checks.notNull("w (packed weights)", packed).checkFor(variant, p);
        Checks.optionalArray("bias", bias, biasOff, p.out(), "bias [out]", p);
        Checks.notNull("act (epilogue)", act);
        Checks.array("y", y, yOff, (long) p.batch() * p.out(), "output [batch][out]", p);
        Checks.disjoint("y", y, yOff, p.outputSize(), "x", x, xOff, p.inputSize(), p);
        Checks.disjoint("y", y, yOff, p.outputSize(), "bias", bias, biasOff, p.out(), p);
    }

    /** The unpacked-weights forward ({@code w[out][in]}), checked before it packs. */
    public static void fwd(DenseParams p, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff,
                           Epilogue act, float[] y, int yOff) {
        Checks.notNull("params", p);
        Checks.array("x", x, xOff, (long) p.batch() * p.in(), "input [batch][in]", p);
        Checks.array("w", w, wOff, (long) p.out() * p.in(), "weights [out][in]", p);
        Checks.optionalArray("bias", bias, biasOff, p.out(), "bias [out]", p);
        Checks.notNull("act (epilogue)", act);
        Checks.array("y", y, yOff, (long) p.batch() * p.out(), "output [batch][out]", p);
        Checks.disjoint("y", y, yOff, p.outputSize(), "x", x, xOff, p.inputSize(), p);
        Checks.disjoint("y", y, yOff, p.outputSize(), "w", w, wOff, p.weightSize(), p);
        Checks.disjoint("y", y, yOff, p.outputSize(), "bias", bias, biasOff, p.out(), p);
    }

    public static void bwdData(DenseParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff) {
        Checks.notNull("params", p);
        Checks.array("dz", dz, dzOff, (long) p.batch() * p.out(), "output gradient [batch][out]", p);
        Checks.array("w", w, wOff, (long) p.out() * p.in(), "weights [out][in]", p);
        Checks.array("dx", dx, dxOff, (long) p.batch() * p.in(), "input gradient [batch][in]", p);
        Checks.disjoint("dx", dx, dxOff, p.inputSize(), "dz", dz, dzOff, p.outputSize(), p);
        Checks.disjoint("dx", dx, dxOff, p.inputSize(), "w", w, wOff, p.weightSize(), p);
    }

    public static void bwdWeights(DenseParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff,
                                  float[] db, int dbOff) {
        Checks.notNull("params", p);
        Checks.array("x", x, xOff, (long) p.batch() * p.in(), "input [batch][in]", p);
        Checks.array("dz", dz, dzOff, (long) p.batch() * p.out(), "output gradient [batch][out]", p);
        Checks.array("dw", dw, dwOff, (long) p.out() * p.in(), "weight gradient [out][in]", p);
        Checks.optionalArray("db", db, dbOff, p.out(), "bias gradient [out]", p);
        Checks.disjoint("dw", dw, dwOff, p.weightSize(), "x", x, xOff, p.inputSize(), p);
        Checks.disjoint("dw", dw, dwOff, p.weightSize(), "dz", dz, dzOff, p.outputSize(), p);
        Checks.disjoint("db", db, dbOff, p.out(), "x", x, xOff, p.inputSize(), p);
        Checks.disjoint("db", db, dbOff, p.out(), "dz", dz, dzOff, p.outputSize(), p);
        Checks.disjoint("db", db, dbOff, p.out(), "dw", dw, dwOff, p.weightSize(), p);
    }
}
