package io.github.vcnn.kernels.simd;

import io.github.vcnn.kernels.Kernels;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * SimdMath.sum adds lanes in one fixed tree order, the same before and after C2 compiles it
 * (reduceLanes(ADD) did not promise that, and training stopped being bit-reproducible).
 */
class SimdMathTest {
    private static final long SEED = io.github.vcnn.testing.TestSeed.SEED;

    @BeforeAll
    static void needsVectorApi() {
        Assumptions.assumeTrue(Kernels.simdAvailable(),
                "jdk.incubator.vector is not readable (run with " + Kernels.ENABLE_HINT + "): simd kernels skipped");
    }

    /** The documented order in scalar float arithmetic: lane i += lane (i + step) mod VL for step = VL/2 .. 1. */
    private static float treeSum(float[] lanes) {
        int vl = lanes.length;
        float[] a = lanes.clone();
        for (int step = vl / 2; step >= 1; step /= 2) {
            float[] next = new float[vl];
            for (int i = 0; i < vl; i++) next[i] = a[i] + a[(i + step) % vl];
            a = next;
        }
        return a[0];
    }

    @Test
    void sumIsTheFixedTreeOrderColdAndCompiled() {
        Random rnd = new Random(SEED);
        int vl = SimdMath.VL;
        int cases = 64;
        float[][] lanes = new float[cases][vl];
        float[] expected = new float[cases];
        for (int c = 0; c < cases; c++) {
            // wide magnitudes and mixed signs, so a different order almost surely rounds differently
            for (int l = 0; l < vl; l++) lanes[c][l] = (float) ((rnd.nextDouble() * 2 - 1) * Math.pow(2, rnd.nextInt(40) - 20));
            expected[c] = treeSum(lanes[c]);
        }
        // first round runs interpreted; by the last, sum() has been compiled by C2 (if it is there)
        for (int round = 0; round < 2000; round++) {
            for (int c = 0; c < cases; c++) {
                double got = SimdMath.sum(FloatVector.fromArray(SimdMath.F, lanes[c], 0));
                if (Float.floatToRawIntBits((float) got) != Float.floatToRawIntBits(expected[c]) || got != (float) got) {
                    assertEquals(expected[c], got, 0.0, "case " + c + " round " + round + " [seed " + SEED
                            + "L, rerun with -Dvcnn.test.seed=" + SEED + "]");
                }
            }
        }
    }
}
