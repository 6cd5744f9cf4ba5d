package io.github.vcnn.kernels.simd;

import io.github.vcnn.kernels.KernelSet;

/**
 * The explicit Vector API kernels ({@code jdk.incubator.vector}), on the machine's preferred species
 * (512-bit on AVX-512; narrower machines get narrower vectors, never a failed start-up).
 * Loaded by name from {@link io.github.vcnn.kernels.Kernels} only when the module is readable.
 */
public final class SimdKernels extends KernelSet {
    public static final SimdKernels INSTANCE = new SimdKernels();

    private SimdKernels() {
        super("simd", new SimdConv(), new SimdPool(), new SimdActivation(), new SimdDense(),
                new SimdSoftmax(), new SimdElementwise(), new SimdOptimizer());
    }

    /** Lanes per float vector in this JVM (16 with AVX-512). */
    public static int vectorLanes() {
        return SimdMath.VL;
    }

    @Override
    public String toString() {
        return "simd (" + SimdMath.F + ", conv register tile " + SimdConv.tileShape() + ")";
    }
}
