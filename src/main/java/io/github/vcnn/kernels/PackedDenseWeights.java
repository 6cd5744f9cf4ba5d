package io.github.vcnn.kernels;

/**
 * Dense-layer weights {@code W[out][in]} re-laid out once for one kernel variant (scalar: a plain copy
 * {@code [out][in]}; auto: {@code W^T [in][out]}; simd: {@code W^T} in zero-padded column panels
 * {@code [ceil(out/NR)][in][NR]}, NR two vectors, 32 floats with AVX-512). Written only by {@link DenseKernels#pack} and
 * {@link DenseKernels#repack} (which refreshes it in place after the weights changed); kernels only read it, so share it
 * between threads and calls, but not with a running {@code repack}. It is tied to the {@code in} and {@code out} sizes of the {@link DenseParams} it was packed
 * for, not to the batch, so one packing serves every batch size.
 *
 * <p>Kernel implementers create these through {@link DenseKernels#pack}; callers treat them as opaque.
 */
public final class PackedDenseWeights {
    private final String variant;
    private final DenseParams params;
    private final String layout;
    private final float[] data;

    /**
     * @param variant the {@link KernelProvider#name()} that packed it
     * @param params  the dense layer it was packed for (its batch is irrelevant)
     * @param layout  a short description of the layout of {@code data}, for messages and debugging
     * @param data    the packed values (owned by this object from now on)
     */
    public PackedDenseWeights(String variant, DenseParams params, String layout, float[] data) {
        this.variant = Checks.notNull("variant", variant);
        this.params = Checks.notNull("params", params);
        this.layout = Checks.notNull("layout", layout);
        this.data = Checks.notNull("data", data);
    }

    public String variant() {
        return variant;
    }

    public DenseParams params() {
        return params;
    }

    public String layout() {
        return layout;
    }

    /** The packed array; kernels read it, only {@link DenseKernels#pack} and {@link DenseKernels#repack} write it. */
    public float[] data() {
        return data;
    }

    /** True when these weights fit {@code p} (same in and out); the batch may differ. */
    public boolean fits(DenseParams p) {
        return p.in() == params.in() && p.out() == params.out();
    }

    /** Throws unless these weights were packed by {@code variantName} for a dense layer that fits {@code p}. */
    public void checkFor(String variantName, DenseParams p) {
        if (!variant.equals(variantName)) {
            throw new IllegalArgumentException("weights were packed by the '" + variant + "' kernels, not '" + variantName
                    + "': pack them with the same DenseKernels that runs them");
        }
        if (!fits(p)) {
            throw new IllegalArgumentException("packed weights " + params.out() + "x" + params.in() + " (out x in) do not fit " + p);
        }
    }
}
