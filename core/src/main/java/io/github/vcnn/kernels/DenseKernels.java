package io.github.vcnn.kernels;

/** Fully connected layers and the SGEMM beneath them; row-major. Stateless and thread-safe. */
public interface DenseKernels {

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C} with {@code op(A)} {@code m x k}, {@code op(B)} {@code k x n},
     * {@code C} {@code m x n}; row-major with leading dimensions {@code lda, ldb, ldc}
     * ({@code op(X) = X^T} when the flag is set, so {@code A} is then stored {@code k x m}).
     * When {@code beta == 0}, C is not read (NaN in C does not propagate), as BLAS.
     */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
               float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
               float beta, float[] c, int cOff, int ldc);

    /**
     * Re-lays out {@code w[out][in]} (from {@code wOff}) once for {@link #fwd(DenseParams, float[], int, PackedDenseWeights,
     * float[], int, Epilogue, float[], int) fwd}; the result depends on {@code in} and {@code out} only, not the batch.
     * Only the library's variants can build a {@link PackedDenseWeights} ({@link PackAccess}); another implementation
     * (a wrapper, say) delegates to one.
     */
    PackedDenseWeights pack(DenseParams p, float[] w, int wOff);

    /**
     * Packs {@code w[out][in]} (from {@code wOff}) in place into {@code into}, which this object's {@link #pack} made
     * for the same {@code in} and {@code out}: afterwards {@code into} holds what {@code pack(p, w, wOff)} would.
     * This is how a layer refreshes its packed weights after an optimizer step without allocating. Not atomic: no
     * {@link #fwd(DenseParams, float[], int, PackedDenseWeights, float[], int, Epilogue, float[], int) fwd} may read
     * {@code into} meanwhile.
     *
     * <p>The scalar, auto and simd variants allocate nothing here. This default packs anew and copies (it allocates),
     * so that other implementations need not provide it.
     *
     * @throws IllegalArgumentException when {@code into} was packed by another variant or for other sizes
     */
    default void repack(DenseParams p, float[] w, int wOff, PackedDenseWeights into) {
        Checks.notNull("into (packed weights)", into).checkFor(into.variant(), p);
        PackedDenseWeights fresh = pack(p, w, wOff);
        DenseChecks.repack(fresh.variant(), p, w, wOff, into, fresh.size());
        System.arraycopy(fresh.data(PackAccess.KEY), 0, into.data(PackAccess.KEY), 0, fresh.size());
    }

    /**
     * {@code y[batch][out] = act(x[batch][in] * W^T + b)}.
     *
     * @param x    input {@code [batch][in]} from {@code xOff}
     * @param w    weights packed by this object's {@link #pack}
     * @param bias {@code [out]} from {@code biasOff}, or null for no bias
     * @param act  fused epilogue
     * @param y    output {@code [batch][out]} from {@code yOff}, overwritten
     */
    void fwd(DenseParams p, float[] x, int xOff, PackedDenseWeights w, float[] bias, int biasOff, Epilogue act, float[] y, int yOff);

    /**
     * Forward with unpacked weights {@code W[out][in]}: packs per call (an allocation and a pass over W each time);
     * use {@link #pack} once for repeated calls.
     */
    default void fwd(DenseParams p, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff, Epilogue act, float[] y, int yOff) {
        DenseChecks.fwd(p, x, xOff, w, wOff, bias, biasOff, act, y, yOff); // every argument checked before packing
        fwd(p, x, xOff, pack(p, w, wOff), bias, biasOff, act, y, yOff);
    }

    /** {@code dx[batch][in] = dz[batch][out] * W}; {@code dx} overwritten. */
    void bwdData(DenseParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff);

    /** {@code dW[out][in] = dz^T * x}, {@code db[out] = sum over batch of dz} (db may be null); overwritten. */
    void bwdWeights(DenseParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff, float[] db, int dbOff);
}
