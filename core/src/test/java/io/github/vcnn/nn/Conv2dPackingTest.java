package io.github.vcnn.nn;

import io.github.vcnn.kernels.Kernels;
import io.github.vcnn.kernels.PackedConvWeights;
import io.github.vcnn.kernels.simd.SimdConv;
import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.train.SoftmaxCrossEntropy;
import io.github.vcnn.train.Targets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A layer's weights are packed for the shape it runs at, so the kernel's algorithm choice sees the real image: packing
 * for a kernel-sized placeholder (as before) sent LeNet's 5x5 conv to the direct kernel in training although its
 * batch-16 slices prefer Winograd.
 */
@EnabledIf(value = "io.github.vcnn.kernels.Kernels#simdAvailable",
        disabledReason = "the Vector API module is not enabled (run with --add-modules jdk.incubator.vector)")
class Conv2dPackingTest {
    @Test
    void weightsArePackedForTheLargestPlannedStep() {
        Conv2d conv = new Conv2d(32, 64, 5, 1, 2);
        ConvParams slice = new ConvParams(16, 32, 14, 14, 64, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1);
        assertTrue(SimdConv.prefersWinograd(slice), "the premise: a batch-16 slice of LeNet's second conv prefers Winograd");
        try (Sequential m = new Sequential(new int[]{32, 14, 14}, conv, new ReLU(), new Flatten(), new Linear(64 * 14 * 14, 10))
                .kernels(Kernels.simd()).initialize(3)) {
            SplittableRandom r = new SplittableRandom(5);
            float[] x = new float[64 * 32 * 14 * 14];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            int[] labels = new int[64];
            m.trainStep(x, 0, 64, new SoftmaxCrossEntropy().on(Targets.labels(labels), 0));
            assertEquals(PackedConvWeights.WINOGRAD_F2X2, conv.packedAlgorithm(), "packed for the planned batch-16 slices");
            // a smaller batch later keeps the packing of the larger one (no re-layout per batch size)
            m.trainStep(x, 0, 4, new SoftmaxCrossEntropy().on(Targets.labels(new int[4]), 0));
            assertEquals(PackedConvWeights.WINOGRAD_F2X2, conv.packedAlgorithm(), "after a batch of 4");
        }
    }
}
