package io.github.vcnn.testing;

import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.Kernels;
import io.github.vcnn.nn.Linear;
import io.github.vcnn.nn.ReLU;
import io.github.vcnn.nn.Sequential;

/**
 * Run in a JVM started with some {@code -Dvcnn.kernels} (by KernelSelectionTest): prints what was chosen and whether
 * the rest of the API still works, one {@code key=value} line each.
 */
public final class KernelSelectionProbe {
    private KernelSelectionProbe() {
    }

    public static void main(String[] args) {
        KernelProvider k = Kernels.get();
        System.out.println("selected=" + k.name());
        System.out.println("scalar=" + Kernels.scalar().name());
        System.out.println("auto=" + Kernels.byName("AUTO").name());
        try (Sequential m = new Sequential(new int[]{3}, new Linear(3, 2), new ReLU()).initialize(1)) {
            float[] y = m.forward(new float[]{1, 2, 3}, 1, 3);
            System.out.println("sequential=ok " + y.length);
        }
        try {
            System.out.println("byNameSimd=" + Kernels.byName("simd").name());
        } catch (IllegalStateException e) {
            System.out.println("byNameSimd=refused: " + e.getMessage());
        }
        try {
            Kernels.byName("foo");
            System.out.println("byNameFoo=accepted");
        } catch (IllegalArgumentException e) {
            System.out.println("byNameFoo=refused: " + e.getMessage());
        }
    }
}
