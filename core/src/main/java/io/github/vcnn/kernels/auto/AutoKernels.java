package io.github.vcnn.kernels.auto;

import io.github.vcnn.kernels.KernelSet;

/**
 * Plain Java kernels shaped for HotSpot C2's SuperWord auto-vectorizer: the production path when
 * the Vector API module is absent, and the middle variant of the scalar / auto / simd comparison.
 * The recurring shape is a contiguous {@code int}-indexed loop without calls or branches whose
 * arrays are all indexed by the same expression (see {@link AutoGemm}); operands are staged into
 * per-thread rows to get there.
 */
public final class AutoKernels extends KernelSet {
    /** The {@link #name()}, also the variant tag of the weights {@link AutoConv#pack} produces. */
    public static final String NAME = "auto";
    public static final AutoKernels INSTANCE = new AutoKernels();

    private AutoKernels() {
        super(NAME, new AutoConv(), new AutoPool(), new AutoActivation(), new AutoDense(),
                new AutoSoftmax(), new AutoElementwise(), new AutoOptimizer());
    }
}
