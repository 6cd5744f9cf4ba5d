package io.github.vcnn.kernels.simd;

import io.github.vcnn.kernels.ActivationKernels;
import io.github.vcnn.kernels.ConvKernels;
import io.github.vcnn.kernels.DenseKernels;
import io.github.vcnn.kernels.ElementwiseKernels;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.OptimizerKernels;
import io.github.vcnn.kernels.PoolKernels;
import io.github.vcnn.kernels.SoftmaxKernels;

/**
 * The explicit Vector API kernels ({@code jdk.incubator.vector}), on the machine's preferred species
 * (512-bit on AVX-512; narrower machines get narrower vectors, never a failed start-up).
 * Loaded by name from {@link io.github.vcnn.kernels.Kernels} only when the module is readable.
 */
public final class SimdKernels implements KernelProvider {
    public static final SimdKernels INSTANCE = new SimdKernels();

    private final ConvKernels conv = new SimdConv();
    private final PoolKernels pool = new SimdPool();
    private final ActivationKernels activation = new SimdActivation();
    private final DenseKernels dense = new SimdDense();
    private final SoftmaxKernels softmax = new SimdSoftmax();
    private final ElementwiseKernels elementwise = new SimdElementwise();
    private final OptimizerKernels optimizer = new SimdOptimizer();

    private SimdKernels() {
    }

    /** Lanes per float vector in this JVM (16 with AVX-512). */
    public static int vectorLanes() {
        return SimdMath.VL;
    }

    @Override
    public String name() {
        return "simd";
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
        return "simd (" + SimdMath.F + ")";
    }
}
