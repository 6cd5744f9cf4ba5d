package io.github.vcnn.kernels;

/**
 * Dense-layer weights {@code W[out][in]} re-laid out once for one kernel variant (scalar: a plain copy
 * {@code [out][in]}; auto: {@code W^T [in][out]}; simd: {@code W^T} in zero-padded column panels
 * {@code [ceil(out/NR)][in][NR]}, NR two vectors, 32 floats with AVX-512). Written only by {@link DenseKernels#pack} and
 * {@link DenseKernels#repack} (which refreshes it in place after the weights changed); kernels only read it, so share it
 * between threads and calls, but not with a running {@code repack}. It is tied to the {@code in} and {@code out} sizes of the {@link DenseParams} it was packed
 * for, not to the batch, so one packing serves every batch size.
 *
 * <p>Callers get these only from {@link DenseKernels#pack} and treat them as opaque: the constructor and the raw array
 * ({@link #data(PackAccess)}) need the library's {@link PackAccess} key, which only vcnn's kernel classes can obtain, so
 * a pack cannot be forged (say, with a short array the kernels would read past) and its array is not handed out. The
 * constructor also checks that the array has exactly the length of its layout.
 */
public final class PackedDenseWeights {
    private final String variant;
    private final DenseParams params;
    private final String layout;
    private final float[] data;

    /**
     * @param access  the library's key ({@link PackAccess#grant}, kernel classes only)
     * @param variant the {@link KernelProvider#name()} that packed it
     * @param params  the dense layer it was packed for (its batch is irrelevant)
     * @param layout  a short description of the layout of {@code data}, for messages and debugging
     * @param panel   the output-column panel width of the layout, {@code >= 1} (1 for plain {@code [out][in]} or
     *                {@code [in][out]})
     * @param data    the packed values (owned by this object from now on), exactly {@code roundUp(out, panel) * in}
     * @throws IllegalArgumentException when {@code access} is not the key, an argument is null, {@code panel < 1} or
     *                                  {@code data} does not have the layout's length
     */
    public PackedDenseWeights(PackAccess access, String variant, DenseParams params, String layout, int panel, float[] data) {
        PackAccess.check(access);
        this.variant = Checks.notNull("variant", variant);
        this.params = Checks.notNull("params", params);
        this.layout = Checks.notNull("layout", layout);
        this.data = Checks.notNull("data", data);
        Checks.positive("panel", panel, "the column panel of the packed layout");
        long expected = Checks.product(((long) params.out() + panel - 1) / panel * panel, params.in());
        if (data.length != expected) {
            throw new IllegalArgumentException("data (packed weights) holds " + data.length + " values, the layout " + layout
                    + " (panel " + panel + ") of " + params + " needs " + expected);
        }
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

    /**
     * The packed array itself, for the kernels: they read it, only {@link DenseKernels#pack} and
     * {@link DenseKernels#repack} write it. Callers outside the library cannot get it (they have no key).
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
