package io.github.vcnn.testing;

import io.github.vcnn.kernels.Kernels;

/** Run in a forked JVM (by StripMiningAdviceTest): the variant chosen, after whatever the library logged choosing it. */
public final class KernelChoiceProbe {
    private KernelChoiceProbe() {
    }

    public static void main(String[] args) {
        System.out.println("selected=" + Kernels.get().name());
    }
}
