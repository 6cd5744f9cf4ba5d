package io.github.vcnn.kernels;

/**
 * One complete set of kernels: {@code scalar} (the readable reference), {@code auto} (plain Java
 * shaped for HotSpot's auto-vectorizer) or {@code simd} (explicit {@code jdk.incubator.vector}).
 * Get the one chosen at start-up from {@link Kernels#get()}.
 */
public interface KernelProvider {
    /** "scalar", "auto" or "simd". */
    String name();

    ConvKernels conv();

    PoolKernels pool();

    ActivationKernels activation();

    DenseKernels dense();

    SoftmaxKernels softmax();

    ElementwiseKernels elementwise();

    OptimizerKernels optimizer();
}
