package io.github.vcnn.kernels.auto;

import io.github.vcnn.kernels.ActivationKernels;
import io.github.vcnn.kernels.ConvKernels;
import io.github.vcnn.kernels.DenseKernels;
import io.github.vcnn.kernels.ElementwiseKernels;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.OptimizerKernels;
import io.github.vcnn.kernels.PoolKernels;
import io.github.vcnn.kernels.SoftmaxKernels;

/**
 * Plain Java kernels shaped for HotSpot C2's SuperWord auto-vectorizer: the production path when
 * the Vector API module is absent, and the middle variant of the scalar / auto / simd comparison.
 * The recurring shape is a contiguous {@code int}-indexed loop without calls or branches whose
 * arrays are all indexed by the same expression (see {@link AutoGemm}); operands are staged into
 * per-thread rows to get there.
 */
public final class AutoKernels implements KernelProvider {
    public static final AutoKernels INSTANCE = new AutoKernels();
    /** The {@link #name()}, also the variant tag of the weights {@link AutoConv#pack} produces. */
    public static final String NAME = "auto";

    private final AutoConv conv = new AutoConv();
    private final AutoPool pool = new AutoPool();
    private final AutoActivation activation = new AutoActivation();
    private final AutoDense dense = new AutoDense();
    private final AutoSoftmax softmax = new AutoSoftmax();
    private final AutoElementwise elementwise = new AutoElementwise();
    private final AutoOptimizer optimizer = new AutoOptimizer();

    private AutoKernels() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ConvKernels conv() {
        return conv;
    }

    @Override
    public PoolKernels pool() {
        return pool;
    }

    @Override
    public ActivationKernels activation() {
        return activation;
    }

    @Override
    public DenseKernels dense() {
        return dense;
    }

    @Override
    public SoftmaxKernels softmax() {
        return softmax;
    }

    @Override
    public ElementwiseKernels elementwise() {
        return elementwise;
    }

    @Override
    public OptimizerKernels optimizer() {
        return optimizer;
    }

    @Override
    public String toString() {
        return NAME;
    }
}
