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

    // ------------------------------------------------------------------------- channel-blocked activations

    /**
     * {@code y = act(xcorr(x, w) + b + residual)}: the layout overload below with a residual input of the output's
     * shape, in the output's layout, added before the activation (ResNet's {@code Add} + {@code Relu} in the conv's
     * epilogue). {@code residual} null: none. This default runs the convolution without the activation, then adds the
     * residual and applies the activation in one pass over the output; the simd variant fuses it into its Winograd
     * kernel's stores (no second pass). {@code residual} must not overlap {@code y}.
     *
     * @throws IllegalArgumentException as the overload without it, and when {@code residual} is short or overlaps {@code y}
     */
    default void fwd(ConvParams p, Layout xLayout, float[] x, int xOff, PackedConvWeights w, float[] bias, int biasOff,
                     float[] residual, int residualOff, Epilogue act, Layout yLayout, float[] y, int yOff, int threads) {
        if (residual == null) {
            fwd(p, xLayout, x, xOff, w, bias, biasOff, act, yLayout, y, yOff, threads);
            return;
        }
        ConvChecks.residual(p, residual, residualOff, y, yOff);
        Checks.notNull("act (epilogue)", act);
        fwd(p, xLayout, x, xOff, w, bias, biasOff, Epilogue.NONE, yLayout, y, yOff, threads);
        for (int i = 0; i < p.outputSize(); i++) y[yOff + i] = act.apply(y[yOff + i] + residual[residualOff + i]);
    }

    /**
     * The lanes L of the channel-blocked activation layout {@link Layout#BLOCKED} ({@code nChw{L}c}) of this variant,
     * 0 when it has none (the scalar and auto variants: their kernels take NCHW only).
     */
    default int blockLanes() {
        return 0;
    }

    /**
     * {@code y = x} from NCHW to nChw{L}c ({@code toBlocked}) or back, L = {@link #blockLanes()}: the reorder at an edge
     * of a blocked part of a model. This default is {@link BlockedLayouts}' plain loops; the simd variant gathers a
     * vector per pixel.
     */
    default void reorder(boolean toBlocked, int n, int c, int hw, float[] x, int xOff, float[] y, int yOff) {
        if (blockLanes() <= 0) throw new IllegalArgumentException("lanes: the " + getClass().getSimpleName() + " kernels have no channel-blocked layout");
        if (toBlocked) BlockedLayouts.toBlocked(n, c, hw, blockLanes(), x, xOff, y, yOff);
        else BlockedLayouts.toNchw(n, c, hw, blockLanes(), x, xOff, y, yOff);
    }

    /**
     * Whether {@link #fwd(ConvParams, Layout, float[], int, PackedConvWeights, float[], int, Epilogue, Layout, float[], int, int)}
     * with weights {@code w} reads a {@link Layout#BLOCKED} input as it is, without converting it (the simd Winograd
     * kernel copies its input channel-blocked anyway, so a blocked one saves its transposition); else a blocked input
     * costs a conversion to NCHW inside the call.
     */
    default boolean readsBlocked(PackedConvWeights w) {
        return false;
    }

    /**
     * Weights of {@code p} packed for an algorithm that computes in nChw{L}c natively ({@link #readsBlocked} and
     * {@link #writesBlocked} true), for a convolution whose {@link #pack} picks one that does not (the simd variant's
     * pointwise kernel, NCHW planes); null when {@link #pack}'s choice is already native or there is none. A compiled
     * model whose 1x1 convolution sits inside a blocked part of the graph runs it this way rather than reorder around it.
     */
    default PackedConvWeights packBlocked(ConvParams p, float[] w, int wOff) {
        return null;
    }

    /** As {@link #readsBlocked} for writing a {@link Layout#BLOCKED} output. */
    default boolean writesBlocked(PackedConvWeights w) {
        return false;
    }

    /**
     * Forward with the input in {@code xLayout} and the output in {@code yLayout} (same sizes as NCHW; a blocked one
     * needs C, respectively K, a multiple of {@link #blockLanes()}). The result is the same, bit for bit, as the NCHW
     * {@link #fwd(ConvParams, float[], int, PackedConvWeights, float[], int, Epilogue, float[], int, int)} in the other
     * layout. This default converts a blocked argument to or from NCHW in per-thread scratch around that call; variants
     * override it where a kernel computes in the blocked layout itself ({@link #readsBlocked}, {@link #writesBlocked}).
     *
     * @throws IllegalArgumentException as the NCHW call, and when a layout is null, blocked on a variant without one, or
     *                                  blocked with channels that are not a multiple of the lanes
     */
    default void fwd(ConvParams p, Layout xLayout, float[] x, int xOff, PackedConvWeights w, float[] bias, int biasOff, Epilogue act,
                     Layout yLayout, float[] y, int yOff, int threads) {
        Checks.notNull("params", p);
        String variant = getClass().getSimpleName();
        BlockedLayouts.layout("xLayout", xLayout, p.c(), blockLanes(), variant);
        BlockedLayouts.layout("yLayout", yLayout, p.k(), blockLanes(), variant);
        if (xLayout == Layout.NCHW && yLayout == Layout.NCHW) {
            fwd(p, x, xOff, w, bias, biasOff, act, y, yOff, threads);
            return;
        }
        int in = Checks.arrayLength("input", p.inputSize(), p), out = Checks.arrayLength("output", p.outputSize(), p);
        Checks.array("x", x, xOff, in, "input", p);
        Checks.array("y", y, yOff, out, "output", p);
        float[] xs = x, ys = y;
        int xo = xOff, yo = yOff;
        if (xLayout == Layout.BLOCKED) {
            xs = BlockedLayouts.scratch(0, in);
            xo = 0;
            reorder(false, p.n(), p.c(), p.h() * p.w(), x, xOff, xs, 0);
        }
        if (yLayout == Layout.BLOCKED) {
            ys = BlockedLayouts.scratch(1, out);
            yo = 0;
        }
        fwd(p, xs, xo, w, bias, biasOff, act, ys, yo, threads);
        if (yLayout == Layout.BLOCKED) reorder(true, p.n(), p.k(), p.outH() * p.outW(), ys, 0, y, yOff);
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
