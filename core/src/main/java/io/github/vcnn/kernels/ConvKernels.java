package io.github.vcnn.kernels;

/**
 * 2-D convolution (cross-correlation, as PyTorch and ONNX), NCHW activations and
 * {@code [K][C/groups][R][S]} weights; see {@link ConvParams} for the formula and sizes.
 * Implementations are stateless and thread-safe; they allocate nothing per call on their fast paths
 * (scratch buffers are per thread and reused).
 */
public interface ConvKernels {

    /**
     * Re-lays out {@code w[K][C/groups][R][S]} (from {@code wOff}) once for {@link #fwd}. Only the library's variants can
     * build a {@link PackedConvWeights} ({@link PackAccess}); another implementation (a wrapper, say) delegates to one.
     */
    PackedConvWeights pack(ConvParams p, float[] w, int wOff);

    /**
     * Packs {@code w[K][C/groups][R][S]} (from {@code wOff}) in place into {@code into}, which this object's
     * {@link #pack} made for a convolution that {@linkplain PackedConvWeights#fits fits} {@code p}: afterwards
     * {@code into} holds what {@code pack(p, w, wOff)} would. This is how a layer refreshes its packed weights
     * after an optimizer step without allocating. Not atomic: no {@link #fwd} may read {@code into} meanwhile.
     *
     * <p>The scalar, auto and simd variants allocate nothing here. This default packs anew and copies (it allocates),
     * so that other implementations need not provide it.
     *
     * @throws IllegalArgumentException when {@code into} was packed by another variant or for other sizes
     */
    default void repack(ConvParams p, float[] w, int wOff, PackedConvWeights into) {
        Checks.notNull("into (packed weights)", into).checkFor(into.variant(), p);
        PackedConvWeights fresh = pack(p, w, wOff);
        ConvChecks.repack(fresh.variant(), p, w, wOff, into, fresh.size());
        System.arraycopy(fresh.data(PackAccess.KEY), 0, into.data(PackAccess.KEY), 0, fresh.size());
    }

    /**
     * Forward: {@code y = act(xcorr(x, w) + b)}.
     *
     * @param x    input {@code [N][C][H][W]} from {@code xOff}
     * @param w    weights packed by this object's {@link #pack}
     * @param bias {@code [K]} from {@code biasOff}, or null for no bias
     * @param act  fused epilogue
     * @param y    output {@code [N][K][outH][outW]} from {@code yOff}, overwritten
     */
    void fwd(ConvParams p, float[] x, int xOff, PackedConvWeights w, float[] bias, int biasOff, Epilogue act, float[] y, int yOff);

    /** Forward with unpacked weights {@code [K][C/groups][R][S]}: packs per call; use {@link #pack} once for repeated calls. */
    default void fwd(ConvParams p, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff, Epilogue act, float[] y, int yOff) {
        fwd(p, x, xOff, pack(p, w, wOff), bias, biasOff, act, y, yOff);
    }

    /**
     * Input gradient ({@code bwd_data}): {@code dx = sum_k dz_k (full-convolved with) rot180(w_k)},
     * i.e. the transposed convolution of {@code dz} with {@code w}.
     *
     * @param dz gradient w.r.t. the pre-activation output {@code [N][K][outH][outW]} (apply the epilogue's backward first)
     * @param w  weights {@code [K][C/groups][R][S]}
     * @param dx input gradient {@code [N][C][H][W]}, overwritten
     */
    void bwdData(ConvParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff);

    /**
     * Weight and bias gradients ({@code bwd_weights}), summed over the batch:
     * {@code dw[k][c][r][s] = sum_{n,i,j} dz[n][k][i][j] * x[n][c'][i*sh + r*dh - pt][j*sw + s*dw - pl]}, {@code db[k] = sum dz[n][k]}.
     *
     * @param dw weight gradient {@code [K][C/groups][R][S]}, overwritten
     * @param db bias gradient {@code [K]}, overwritten; null to skip
     */
    void bwdWeights(ConvParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff, float[] db, int dbOff);

    // ------------------------------------------------------------------------------------ intra-op threads

    /**
     * {@link #fwd} on up to {@code threads} threads of the shared {@link io.github.vcnn.exec.WorkerPool}, the caller
     * included (the pool's size caps it). The result is bit-identical for every thread count. A call from inside a
     * pool task (e.g. a batch slice of {@code Sequential}) runs on its own thread. Variants without intra-op
     * parallelism (scalar, auto) run on the caller.
     */
    default void fwd(ConvParams p, float[] x, int xOff, PackedConvWeights w, float[] bias, int biasOff, Epilogue act, float[] y, int yOff,
                     int threads) {
        Checks.positive("threads", threads, "intra-op threads");
        fwd(p, x, xOff, w, bias, biasOff, act, y, yOff);
    }

    /** {@link #bwdData} on up to {@code threads} threads, as {@link #fwd(ConvParams, float[], int, PackedConvWeights, float[], int, Epilogue, float[], int, int)}. */
    default void bwdData(ConvParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff, int threads) {
        Checks.positive("threads", threads, "intra-op threads");
        bwdData(p, dz, dzOff, w, wOff, dx, dxOff);
    }

    /**
     * {@link #bwdWeights} on up to {@code threads} threads; bit-identical for every thread count (the work is split
     * by output channels, so no partial sums are added across threads).
     */
    default void bwdWeights(ConvParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff, float[] db, int dbOff,
                            int threads) {
        Checks.positive("threads", threads, "intra-op threads");
        bwdWeights(p, x, xOff, dz, dzOff, dw, dwOff, db, dbOff);
    }
}
