package io.github.vcnn.testing;

import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.Kernels;

import java.util.Random;

/**
 * Run in a JVM started WITHOUT --add-modules jdk.incubator.vector (by NoVectorModuleTest):
 * prints the chosen variant and whether a convolution through it matches the scalar reference.
 */
public final class NoVectorProbe {
    private NoVectorProbe() {
    }

    public static void main(String[] args) {
        KernelProvider k = Kernels.get();
        System.out.println("selected=" + k.name());
        System.out.println("simdAvailable=" + Kernels.simdAvailable());
        try {
            Kernels.simd();
            System.out.println("simd=loaded");
        } catch (IllegalStateException e) {
            System.out.println("simd=refused: " + e.getMessage());
        }
        ConvParams p = ConvParams.builder().input(2, 5, 9, 11).kernel(7, 3, 3).pad(1).build();
        Random rnd = new Random(7);
        float[] x = new float[p.inputSize()], w = new float[p.weightSize()], b = new float[p.k()];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextGaussian();
        float[] yk = new float[p.outputSize()], ys = new float[p.outputSize()];
        k.conv().fwd(p, x, 0, w, 0, b, 0, Epilogue.RELU, yk, 0);
        Kernels.scalar().conv().fwd(p, x, 0, w, 0, b, 0, Epilogue.RELU, ys, 0);
        double maxErr = 0;
        for (int i = 0; i < ys.length; i++) maxErr = Math.max(maxErr, Math.abs(yk[i] - ys[i]) / (1 + Math.abs(ys[i])));
        System.out.println("convMaxRelErr=" + maxErr);
    }
}
