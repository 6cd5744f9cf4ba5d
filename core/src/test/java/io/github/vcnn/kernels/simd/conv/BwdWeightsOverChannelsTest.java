package io.github.vcnn.kernels.simd.conv;

import io.github.vcnn.exec.WorkerPool;
import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.testing.TestSeed;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The channel-vectorized weight gradient against a float64 reference on random stride-1 shapes (groups, dilation,
 * asymmetric pads, channel tails), with guard values around dw, and bit-identical for 1..4 intra-op threads.
 */
@EnabledIf(value = "io.github.vcnn.kernels.Kernels#simdAvailable",
        disabledReason = "the Vector API module is not enabled (run with --add-modules jdk.incubator.vector)")
@ExtendWith(TestSeed.Report.class)
class BwdWeightsOverChannelsTest {
    private static final long SEED = TestSeed.SEED;
    private static final int L = FloatVector.SPECIES_PREFERRED.length();
    private static final float GUARD = -777.25f;

    @Test
    void randomStrideOneShapesMatchFloat64() {
        Random rnd = new Random(SEED ^ 0xbeef);
        int done = 0;
        while (done < 80) {
            int groups = rnd.nextInt(4) == 0 ? 2 : 1;
            int cg = L + rnd.nextInt(2 * L + 4), kg = 1 + rnd.nextInt(rnd.nextBoolean() ? 9 : 40);
            int r = 1 + rnd.nextInt(5), s = rnd.nextInt(3) == 0 ? r : 1 + rnd.nextInt(5);
            int dh = rnd.nextInt(4) == 0 ? 2 : 1, dw = rnd.nextInt(4) == 0 ? 2 : 1;
            int h = 1 + rnd.nextInt(16), w = 1 + rnd.nextInt(16);
            int pt = rnd.nextInt(4), pl = rnd.nextInt(4), pb = rnd.nextBoolean() ? pt : rnd.nextInt(4), pr = rnd.nextInt(4);
            ConvParams p;
            try {
                p = new ConvParams(1 + rnd.nextInt(3), cg * groups, h, w, kg * groups, r, s, 1, 1, pt, pl, pb, pr, dh, dw, groups);
            } catch (IllegalArgumentException e) {
                continue;   // kernel larger than the padded input
            }
            if (p.flops() > 6_000_000) continue;
            assertTrue(BwdWeightsOverChannels.applies(p), p.toString());
            check("case " + done, p, rnd, 1 + rnd.nextInt(3));
            done++;
        }
    }

    @Test
    void trainingShapes() {
        Random rnd = new Random(SEED ^ 0x1e7);
        for (ConvParams p : List.of(ConvParams.of(2, 32, 14, 14, 64, 5, 5, 1, 2),   // LeNet c2 (batch 2)
                ConvParams.of(1, 64, 20, 19, 64, 3, 3, 1, 1),                         // ResNet-like, bands of several rows
                ConvParams.of(1, 48, 40, 3, 10, 3, 1, 1, 0))) {                       // narrow image: many rows per band
            check("training shape", p, rnd, 2);
        }
    }

    @Test
    void anyThreadCountGivesTheSameBits() {
        assertTrue(WorkerPool.shared().threads() >= 2, "the build runs the tests with -Dvcnn.threads=4");
        Random rnd = new Random(SEED ^ 0x7777);
        ConvParams p = new ConvParams(3, 2 * (L + 3), 11, 12, 2 * 13, 3, 3, 1, 1, 1, 2, 0, 1, 1, 1, 2);
        float[] x = data(rnd, p.inputSize()), dz = data(rnd, p.outputSize());
        float[] one = new float[p.weightSize()];
        BwdWeightsOverChannels.bwdWeights(p, x, 0, dz, 0, one, 0, 1);
        for (int threads = 2; threads <= 4; threads++) {
            float[] dw = new float[p.weightSize()];
            BwdWeightsOverChannels.bwdWeights(p, x, 0, dz, 0, dw, 0, threads);
            assertArrayEquals(one, dw, "dw on " + threads + " threads");
        }
    }

    @Test
    void appliesOnlyToStrideOneWithAVectorOfChannels() {
        assertFalse(BwdWeightsOverChannels.applies(ConvParams.of(1, 2 * L, 9, 9, 8, 3, 3, 2, 1)));
        assertFalse(BwdWeightsOverChannels.applies(ConvParams.of(1, L - 1, 9, 9, 8, 3, 3, 1, 1)));
        assertTrue(BwdWeightsOverChannels.applies(ConvParams.of(1, L, 9, 9, 8, 3, 3, 1, 1)));
    }

    private static void check(String ctx, ConvParams p, Random rnd, int threads) {
        int xOff = rnd.nextInt(4), dzOff = rnd.nextInt(4), dwOff = rnd.nextInt(4);
        float[] x = shifted(data(rnd, p.inputSize()), xOff), dz = shifted(data(rnd, p.outputSize()), dzOff);
        float[] dw = new float[dwOff + p.weightSize() + 5];
        java.util.Arrays.fill(dw, GUARD);
        BwdWeightsOverChannels.bwdWeights(p, x, xOff, dz, dzOff, dw, dwOff, threads);
        for (int i = 0; i < dwOff; i++) if (dw[i] != GUARD) fail(ctx + " " + p + ": wrote before dw at " + i);
        for (int i = dwOff + p.weightSize(); i < dw.length; i++) if (dw[i] != GUARD) fail(ctx + " " + p + ": wrote past dw at " + i);
        int cg = p.cg(), kg = p.kg(), oh = p.outH(), ow = p.outW();
        for (int k = 0; k < p.k(); k++) {
            int g = k / kg;
            for (int c = 0; c < cg; c++) {
                for (int r = 0; r < p.r(); r++) {
                    for (int s = 0; s < p.s(); s++) {
                        double sum = 0, mag = 0;
                        for (int n = 0; n < p.n(); n++) {
                            for (int i = 0; i < oh; i++) {
                                int ih = i + r * p.dilationH() - p.padTop();
                                if (ih < 0 || ih >= p.h()) continue;
                                for (int j = 0; j < ow; j++) {
                                    int iw = j + s * p.dilationW() - p.padLeft();
                                    if (iw < 0 || iw >= p.w()) continue;
                                    double v = (double) dz[dzOff + ((n * p.k() + k) * oh + i) * ow + j]
                                            * x[xOff + ((n * p.c() + g * cg + c) * p.h() + ih) * p.w() + iw];
                                    sum += v;
                                    mag += Math.abs(v);
                                }
                            }
                        }
                        int at = ((k * cg + c) * p.r() + r) * p.s() + s;
                        double err = Math.abs(dw[dwOff + at] - sum);
                        if (!(err <= 1e-5 * mag + 1e-6)) {
                            fail(ctx + " " + p + " threads " + threads + ": dw[" + at + "] expected " + sum + " got " + dw[dwOff + at]);
                        }
                    }
                }
            }
        }
    }

    /** n uniform values in [-1, 1) (also the Winograd weight-gradient test's). */
    static float[] data(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2f - 1f;
        return a;
    }

    /** a at offset off of a NaN-filled array (a read outside the argument's range shows as NaN). */
    static float[] shifted(float[] a, int off) {
        float[] b = new float[off + a.length + 3];
        java.util.Arrays.fill(b, Float.NaN);   // a read outside the argument's range would show as NaN
        System.arraycopy(a, 0, b, off, a.length);
        return b;
    }
}
