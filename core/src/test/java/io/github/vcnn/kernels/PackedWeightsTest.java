package io.github.vcnn.kernels;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packs' own checks, made with the key as the kernels make them: the array must have exactly its layout's length
 * (a short one is what made the kernels read past it), and every variant's {@code pack} meets that.
 */
class PackedWeightsTest {
    private static final PackAccess KEY = PackAccess.grant();

    private static void refused(String argument, Runnable build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build::run);
        assertTrue(e.getMessage().startsWith(argument + " "), argument + ": " + e.getMessage());
    }

    @Test
    void convDataMustHaveTheLayoutsLength() {
        ConvParams p = new ConvParams(1, 12, 7, 9, 18, 2, 3, 1, 2, 0, 1, 1, 0, 1, 2, 3); // groups 3: K/G 6, C/G 4
        int plain = p.weightSize();
        new PackedConvWeights(KEY, "v", p, new float[plain], 1);
        refused("data", () -> new PackedConvWeights(KEY, "v", p, new float[plain - 1], 1));
        refused("data", () -> new PackedConvWeights(KEY, "v", p, new float[plain + 1], 1));
        // block 4: each group's 6 output channels padded to 8
        int blocked = 3 * 8 * 4 * 2 * 3;
        new PackedConvWeights(KEY, "v", p, new float[blocked], 4);
        refused("data", () -> new PackedConvWeights(KEY, "v", p, new float[plain], 4));
        refused("block", () -> new PackedConvWeights(KEY, "v", p, new float[plain], 0));
        refused("algorithm", () -> new PackedConvWeights(KEY, "v", p, new float[plain], 1, "fft"));
        refused("data", () -> new PackedConvWeights(KEY, "v", p, null, 1));
        refused("params", () -> new PackedConvWeights(KEY, "v", null, new float[plain], 1));
    }

    @Test
    void winogradDataHasTheF4OrF2TransformedLength() {
        ConvParams p = ConvParams.of(1, 20, 8, 8, 17, 3, 3, 1, 1); // padded to 32 x 24 with block 8
        new PackedConvWeights(KEY, "v", p, new float[36 * 24 * 24], 8, PackedConvWeights.WINOGRAD_F4X4);
        new PackedConvWeights(KEY, "v", p, new float[16 * 24 * 24], 8, PackedConvWeights.WINOGRAD_F2X2);
        refused("data", () -> new PackedConvWeights(KEY, "v", p, new float[16 * 24 * 24], 8, PackedConvWeights.WINOGRAD_F4X4));
        refused("data", () -> new PackedConvWeights(KEY, "v", p, new float[36 * 24 * 24 - 1], 8, PackedConvWeights.WINOGRAD_F4X4));
        ConvParams fiveByFive = ConvParams.of(1, 20, 8, 8, 17, 5, 5, 1, 2);
        refused("algorithm", () -> new PackedConvWeights(KEY, "v", fiveByFive, new float[36 * 24 * 24], 8, PackedConvWeights.WINOGRAD_F4X4));
    }

    @Test
    void denseDataMustHaveTheLayoutsLength() {
        DenseParams p = new DenseParams(2, 37, 45);
        new PackedDenseWeights(KEY, "v", p, "[out][in]", 1, new float[37 * 45]);
        new PackedDenseWeights(KEY, "v", p, "panels", 32, new float[64 * 37]);
        refused("data", () -> new PackedDenseWeights(KEY, "v", p, "[out][in]", 1, new float[37 * 45 - 1]));
        refused("data", () -> new PackedDenseWeights(KEY, "v", p, "panels", 32, new float[37 * 45]));
        refused("panel", () -> new PackedDenseWeights(KEY, "v", p, "panels", 0, new float[37 * 45]));
        refused("layout", () -> new PackedDenseWeights(KEY, "v", p, null, 1, new float[37 * 45]));
    }

    /** What each variant packs passes those checks, Winograd included where the simd variant picks it. */
    @Test
    void everyVariantsPackHasItsLayoutsLength() {
        ConvParams winograd = ConvParams.of(1, 64, 16, 16, 64, 3, 3, 1, 1);
        for (KernelProvider k : Kernels.available()) {
            for (ConvParams p : new ConvParams[]{ConvParams.of(1, 3, 9, 9, 5, 3, 3, 1, 1), winograd}) {
                PackedConvWeights w = k.conv().pack(p, new float[p.weightSize()], 0);
                assertEquals(w.size(), w.data(KEY).length, k.name());
                assertTrue(w.size() >= p.weightSize(), k.name());
            }
            PackedDenseWeights d = k.dense().pack(new DenseParams(1, 37, 45), new float[37 * 45], 0);
            assertTrue(d.size() >= 37 * 45, k.name());
        }
    }
}
