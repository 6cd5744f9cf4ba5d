package io.github.vcnn.kernels;

/**
 * Convolution weights re-laid out once for one kernel variant (for the SIMD variant: output
 * channels blocked by the vector width and zero-padded, {@code [G][K/G/L][R][S][C/G][L]}, L the vector lanes).
 * Written only by {@link ConvKernels#pack} and {@link ConvKernels#repack} (which refreshes it in place after the
 * weights changed); kernels only read it, so share it between threads and calls, but not with a running
 * {@code repack}. It is tied to the
 * channel/kernel/group sizes of the {@link ConvParams} it was packed for, not to the batch or the
 * image size, so one packing serves every input size.
 *
 * <p>Kernel implementers create these through {@link ConvKernels#pack}; callers treat them as opaque.
 */
public final class PackedConvWeights {
    private final String variant;
    private final ConvParams params;
    private final float[] data;
    private final int block;
    private final String algorithm;

    /**
     * @param variant the {@link KernelProvider#name()} that packed it
     * @param params  the convolution it was packed for
     * @param data    the packed values (owned by this object from now on)
     * @param block   the output-channel block of the layout (1 for plain {@code [K][C/G][R][S]})
     */
    public PackedConvWeights(String variant, ConvParams params, float[] data, int block) {
        this(variant, params, data, block, DIRECT);
    }

    /**
     * @param algorithm what the layout serves: {@link #DIRECT}, or {@link #WINOGRAD_F4X4} (the simd variant's
     *                  transformed weights for 3x3 stride-1 convolutions)
     */
    public PackedConvWeights(String variant, ConvParams params, float[] data, int block, String algorithm) {
        this.variant = Checks.notNull("variant", variant);
        this.params = Checks.notNull("params", params);
        this.data = Checks.notNull("data", data);
        this.block = block;
        this.algorithm = Checks.notNull("algorithm", algorithm);
    }

    /** The direct convolution's layout (every variant). */
    public static final String DIRECT = "direct";
    /** Winograd F(4x4, 3x3) transformed weights {@code [36][K/2L][C][2L]} (simd, 3x3 stride 1 dilation 1, one group). */
    public static final String WINOGRAD_F4X4 = "winograd_f4x4";

    /**
     * The algorithm the kernel chose when packing (oneDNN's way: the choice is visible to the caller), {@link #DIRECT}
     * or {@link #WINOGRAD_F4X4}. Winograd weights serve only convolutions Winograd applies to (stride 1, dilation 1).
     */
    public String algorithm() {
        return algorithm;
    }

    public String variant() {
        return variant;
    }

    public ConvParams params() {
        return params;
    }

    /** The packed array; kernels read it, only {@link ConvKernels#pack} and {@link ConvKernels#repack} write it. */
    public float[] data() {
        return data;
    }

    public int block() {
        return block;
    }

    /**
     * True when these weights fit {@code p} (same C, K, R, S, groups); batch, image size, stride, padding and dilation may
     * differ, except that {@link #WINOGRAD_F4X4} weights need stride 1 and dilation 1.
     */
    public boolean fits(ConvParams p) {
        boolean sizes = p.c() == params.c() && p.k() == params.k() && p.r() == params.r() && p.s() == params.s()
                && p.groups() == params.groups();
        // Winograd weights serve only what Winograd computes: stride 1 and dilation 1 (any batch, image size, padding)
        return sizes && (!WINOGRAD_F4X4.equals(algorithm)
                || (p.strideH() == 1 && p.strideW() == 1 && p.dilationH() == 1 && p.dilationW() == 1));
    }

    /** Throws unless these weights were packed by {@code variantName} for a convolution that fits {@code p}. */
    public void checkFor(String variantName, ConvParams p) {
        if (!variant.equals(variantName)) {
            throw new IllegalArgumentException("weights were packed by the '" + variant + "' kernels, not '" + variantName
                    + "': pack them with the same ConvKernels that runs them");
        }
        if (!fits(p)) {
            throw new IllegalArgumentException("packed weights " + params.k() + "x" + params.cg() + "x" + params.r() + "x" + params.s()
                    + " (groups " + params.groups() + ") do not fit " + p);
        }
    }
}
