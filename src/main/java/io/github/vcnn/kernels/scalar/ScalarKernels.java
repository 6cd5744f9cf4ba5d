package io.github.vcnn.kernels.scalar;

import io.github.vcnn.kernels.ActivationKernels;
import io.github.vcnn.kernels.ConvKernels;
import io.github.vcnn.kernels.DenseKernels;
import io.github.vcnn.kernels.ElementwiseKernels;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.OptimizerKernels;
import io.github.vcnn.kernels.PoolKernels;
import io.github.vcnn.kernels.SoftmaxKernels;

/**
 * The readable reference kernels: the math of the spec as plain loops, sums accumulated in double.
 * Every other variant is tested against these. Not tuned for speed.
 */
public final class ScalarKernels implements KernelProvider {
    public static final ScalarKernels INSTANCE = new ScalarKernels();
    /** The {@link #name()}, also the variant tag of the weights {@link ScalarConv#pack} produces. */
    public static final String NAME = "scalar";

    private final ScalarConv conv = new ScalarConv();
    private final ScalarPool pool = new ScalarPool();
    private final ScalarActivation activation = new ScalarActivation();
    private final ScalarDense dense = new ScalarDense();
    private final ScalarSoftmax softmax = new ScalarSoftmax();
    private final ScalarElementwise elementwise = new ScalarElementwise();
    private final ScalarOptimizer optimizer = new ScalarOptimizer();

    private ScalarKernels() {
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
