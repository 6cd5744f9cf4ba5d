package io.github.vcnn.kernels.scalar;

import io.github.vcnn.kernels.KernelSet;

/**
 * The readable reference kernels: the math of the spec as plain loops, sums accumulated in double.
 * Every other variant is tested against these. Not tuned for speed.
 */
public final class ScalarKernels extends KernelSet {
    /** The {@link #name()}, also the variant tag of the weights {@link ScalarConv#pack} produces. */
    public static final String NAME = "scalar";
    public static final ScalarKernels INSTANCE = new ScalarKernels();

    private ScalarKernels() {
        super(NAME, new ScalarConv(), new ScalarPool(), new ScalarActivation(), new ScalarDense(),
                new ScalarSoftmax(), new ScalarElementwise(), new ScalarOptimizer());
    }
}
