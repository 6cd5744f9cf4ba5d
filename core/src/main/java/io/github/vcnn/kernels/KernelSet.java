package io.github.vcnn.kernels;

/**
 * The common body of the three variant providers: a name plus the seven kernel families, fixed at
 * construction. Each variant's {@code XKernels} only chooses its implementations and its
 * {@code INSTANCE}; a null family is a programming error and fails at class initialisation.
 */
public abstract class KernelSet implements KernelProvider {
    private final String name;
    private final ConvKernels conv;
    private final PoolKernels pool;
    private final ActivationKernels activation;
    private final DenseKernels dense;
    private final SoftmaxKernels softmax;
    private final ElementwiseKernels elementwise;
    private final OptimizerKernels optimizer;

    protected KernelSet(String name, ConvKernels conv, PoolKernels pool, ActivationKernels activation,
                        DenseKernels dense, SoftmaxKernels softmax, ElementwiseKernels elementwise,
                        OptimizerKernels optimizer) {
        this.name = Checks.notNull("name", name);
        this.conv = Checks.notNull("conv", conv);
        this.pool = Checks.notNull("pool", pool);
        this.activation = Checks.notNull("activation", activation);
        this.dense = Checks.notNull("dense", dense);
        this.softmax = Checks.notNull("softmax", softmax);
        this.elementwise = Checks.notNull("elementwise", elementwise);
        this.optimizer = Checks.notNull("optimizer", optimizer);
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final ConvKernels conv() {
        return conv;
    }

    @Override
    public final PoolKernels pool() {
        return pool;
    }

    @Override
    public final ActivationKernels activation() {
        return activation;
    }

    @Override
    public final DenseKernels dense() {
        return dense;
    }

    @Override
    public final SoftmaxKernels softmax() {
        return softmax;
    }

    @Override
    public final ElementwiseKernels elementwise() {
        return elementwise;
    }

    @Override
    public final OptimizerKernels optimizer() {
        return optimizer;
    }

    /** The name; variants may add detail (the simd one adds its vector species). */
    @Override
    public String toString() {
        return name;
    }
}
