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
 * <p>Callers get these only from {@link ConvKernels#pack} and treat them as opaque: the constructor and the raw array
 * ({@link #data(PackAccess)}) need the library's {@link PackAccess} key, which only vcnn's kernel classes can obtain, so
 * a pack cannot be forged (say, with a short array the kernels would read past) and its array is not handed out. The
 * constructor also checks that the array has exactly the length of its layout.
 */
public final class PackedConvWeights {
    private final String variant;
    private final ConvParams params;
    private final float[] data;
    private final int block;
    private final String algorithm;

    /**
     * A {@link #DIRECT} layout; see {@link #PackedConvWeights(PackAccess, String, ConvParams, float[], int, String)}.
     */
    public PackedConvWeights(PackAccess access, String variant, ConvParams params, float[] data, int block) {
        this(access, variant, params, data, block, DIRECT);
    }

    /**
     * @param access    the library's key ({@link PackAccess#grant}, kernel classes only)
     * @param variant   the {@link KernelProvider#name()} that packed it
     * @param params    the convolution it was packed for
     * @param data      the packed values (owned by this object from now on), exactly as many as the layout needs:
     *                  {@link #DIRECT} {@code G * roundUp(K/G, block) * C/G * R * S}, {@link #WINOGRAD_F4X4}
     *                  {@code 36 * roundUp(K, block) * roundUp(C, block)}, {@link #WINOGRAD_F2X2} {@code 16 * ...}
     * @param block     the channel block of the layout, {@code >= 1} (1 for plain {@code [K][C/G][R][S]})
     * @param algorithm what the layout serves: {@link #DIRECT}, or {@link #WINOGRAD_F4X4} (the simd variant's
     *                  transformed weights for 3x3 stride-1 convolutions)
     * @throws IllegalArgumentException when {@code access} is not the key, an argument is null, {@code block < 1},
     *                                  the algorithm is unknown or {@code data} does not have the layout's length
     */
    public PackedConvWeights(PackAccess access, String variant, ConvParams params, float[] data, int block, String algorithm) {
        PackAccess.check(access);
        this.variant = Checks.notNull("variant", variant);
        this.params = Checks.notNull("params", params);
        this.data = Checks.notNull("data", data);
        Checks.positive("block", block, "the channel block of the packed layout");
        this.block = block;
        this.algorithm = Checks.notNull("algorithm", algorithm);
        long expected = layoutLength(params, block, algorithm);
        if (data.length != expected) {
            throw new IllegalArgumentException("data (packed weights) holds " + data.length + " values, the " + algorithm
                    + " layout with block " + block + " of " + params + " needs " + expected);
        }
    }

    /**
     * The floats of a layout: {@link #DIRECT} {@code G * roundUp(K/G, block) * C/G * R * S} (block 1: the plain weights);
     * {@link #WINOGRAD_F4X4} {@code 36 * roundUp(K, block) * roundUp(C, block)}, {@link #WINOGRAD_F2X2} {@code 16 * ...}
     * (3x3), {@code 36 * ...} (5x5); stride 1, dilation 1, one group; {@link #POINTWISE} {@code roundUp(K, block) * C}.
     */
    static long layoutLength(ConvParams p, int block, String algorithm) {
        return switch (algorithm) {
            case DIRECT -> Checks.product(p.groups(), roundUp(p.kg(), block), p.cg(), p.r(), p.s());
            case WINOGRAD_F4X4 -> winogradLength(p, block, 4);
            case WINOGRAD_F2X2 -> winogradLength(p, block, 2);
            case POINTWISE -> Checks.product(1, roundUp(p.k(), block), p.c(), p.r(), p.s());
            default -> throw new IllegalArgumentException("algorithm '" + algorithm + "' is not one of " + DIRECT + ", " + WINOGRAD_F4X4
                    + ", " + WINOGRAD_F2X2 + ", " + POINTWISE);
        };
    }

    private static long winogradLength(ConvParams p, int block, int outputTile) {
        boolean kernel = outputTile == 4 ? p.r() == 3 : p.r() == 3 || p.r() == 5;
        if (!kernel || p.s() != p.r() || p.groups() != 1) {
            throw new IllegalArgumentException("algorithm winograd_f" + outputTile + "x" + outputTile + " needs a "
                    + (outputTile == 4 ? "3x3" : "3x3 or 5x5") + " convolution with one group, not " + p);
        }
        int alpha = outputTile + p.r() - 1;
        return Checks.product(alpha, alpha, roundUp(p.k(), block), roundUp(p.c(), block));
    }

    private static long roundUp(int n, int block) {
        return ((long) n + block - 1) / block * block;
    }

    /** The direct convolution's layout (every variant). */
    public static final String DIRECT = "direct";
    /** Winograd F(4x4, 3x3) transformed weights {@code [36][K/2L][C][2L]} (simd, 3x3 stride 1 dilation 1, one group). */
    public static final String WINOGRAD_F4X4 = "winograd_f4x4";
    /**
     * Winograd F(2x2, 3x3) transformed weights {@code [16][K/2L][C][2L]} (simd, chosen when F(4x4)'s exceed 4 MiB), or for a
     * 5x5 kernel F(2x2, 5x5) ones {@code [36][K/2L][C][2L]}.
     */
    public static final String WINOGRAD_F2X2 = "winograd_f2x2";

    /**
     * The simd pointwise kernel's 1x1 weights {@code [K/block][C][block]}, block = its register tile's output channels (one
     * group; the same weights serve any stride, and a padded 1x1 through the direct kernel).
     */
    public static final String POINTWISE = "pointwise";

    /** True for either Winograd layout. */
    public boolean isWinograd() {
        return WINOGRAD_F4X4.equals(algorithm) || WINOGRAD_F2X2.equals(algorithm);
    }

    /**
     * The algorithm the kernel chose when packing (oneDNN's way: the choice is visible to the caller), {@link #DIRECT},
     * {@link #WINOGRAD_F4X4}, {@link #WINOGRAD_F2X2} or {@link #POINTWISE}. Winograd weights serve only convolutions Winograd applies to (stride 1, dilation 1).
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

    /**
     * The packed array itself, for the kernels: they read it, only {@link ConvKernels#pack} and {@link ConvKernels#repack}
     * write it. Callers outside the library cannot get it (they have no key).
     *
     * @throws IllegalArgumentException when {@code access} is not the library's key
     */
    public float[] data(PackAccess access) {
        PackAccess.check(access);
        return data;
    }

    /** How many floats the packed layout holds (its padding included). */
    public int size() {
        return data.length;
    }

    public int block() {
        return block;
    }

    /**
     * True when these weights fit {@code p} (same C, K, R, S, groups); batch, image size, stride, padding and dilation may
     * differ, except that Winograd weights need stride 1 and dilation 1.
     */
    public boolean fits(ConvParams p) {
        boolean sizes = p.c() == params.c() && p.k() == params.k() && p.r() == params.r() && p.s() == params.s()
                && p.groups() == params.groups();
        // Winograd weights serve only what Winograd computes: stride 1 and dilation 1 (any batch, image size, padding)
        return sizes && (!isWinograd()
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
