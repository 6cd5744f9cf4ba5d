package io.github.vcnn.kernels.simd.conv;

import io.github.vcnn.exec.WorkerPool;
import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.Kernels;
import io.github.vcnn.testing.TestSeed;
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
 * The Winograd weight gradient against a float64 reference on random 3x3 and 5x5 stride-1 shapes (odd sizes, tiles
 * overhanging the output, pads from 0 to beyond R-1, channel counts off the vector width), with guard values around
 * dw and NaN around the inputs; bit-identical for 1..4 intra-op threads; the simd variant uses it where preferred.
 *
 * <p>Tolerance: {@code |err| <= 1e-4 * (sum|dz*x| + the mean of that sum over the R*S taps of the (k, c) pair) + 1e-6}:
 * a tile's transforms mix the products of all its taps, so a tap that sees only padding (exactly 0) still gets the
 * others' rounding (the direct kernels' test uses {@code 1e-5 * sum|dz*x|}).
 */
@EnabledIf(value = "io.github.vcnn.kernels.Kernels#simdAvailable",
        disabledReason = "the Vector API module is not enabled (run with --add-modules jdk.incubator.vector)")
@ExtendWith(TestSeed.Report.class)
class WinogradBwdWeightsTest {
    private static final long SEED = TestSeed.SEED;
    private static final float GUARD = -777.25f;
    static double worst;

    @Test
    void randomShapesMatchFloat64() {
        Random rnd = new Random(SEED ^ 0x3d3d);
        int done = 0;
        worst = 0;
        while (done < 60) {
            int r = rnd.nextBoolean() ? 3 : 5;
            int c = 1 + rnd.nextInt(40), k = 1 + rnd.nextInt(40);
            int h = 1 + rnd.nextInt(17), w = 1 + rnd.nextInt(17);
            int pt = rnd.nextInt(r + 1), pl = rnd.nextInt(r + 1), pb = rnd.nextBoolean() ? pt : rnd.nextInt(r), pr = rnd.nextInt(r);
            ConvParams p;
            try {
                p = new ConvParams(1 + rnd.nextInt(3), c, h, w, k, r, r, 1, 1, pt, pl, pb, pr, 1, 1, 1);
            } catch (IllegalArgumentException e) {
                continue;   // kernel larger than the padded input
            }
            if (p.flops() > 8_000_000) continue;
            assertTrue(WinogradBwdWeights.applies(p), p.toString());
            check("case " + done, p, rnd, 1 + rnd.nextInt(3));
            done++;
        }
        System.out.printf("WinogradBwdWeightsTest: worst error %.3f of the tolerance%n", worst);
    }

    @Test
    void trainingShapes() {
        Random rnd = new Random(SEED ^ 0x5e5);
        for (ConvParams p : List.of(ConvParams.of(3, 32, 14, 14, 64, 5, 5, 1, 2),   // LeNet c2 (batch 3)
                ConvParams.of(1, 64, 56, 56, 64, 3, 3, 1, 1),                         // ResNet-18 layer 1
                ConvParams.of(2, 24, 9, 30, 20, 3, 3, 1, 0))) {                       // wide image, no padding
            check("training shape", p, rnd, 2);
        }
    }

    @Test
    void anyThreadCountGivesTheSameBits() {
        assertTrue(WorkerPool.shared().threads() >= 2, "the build runs the tests with -Dvcnn.threads=4");
        Random rnd = new Random(SEED ^ 0x7171);
        for (ConvParams p : List.of(ConvParams.of(2, 19, 11, 12, 70, 3, 3, 1, 1), ConvParams.of(2, 21, 13, 9, 41, 5, 5, 1, 2))) {
            float[] x = data(rnd, p.inputSize()), dz = data(rnd, p.outputSize());
            float[] one = new float[p.weightSize()];
            WinogradBwdWeights.bwdWeights(p, x, 0, dz, 0, one, 0, 1);
            for (int threads = 2; threads <= 4; threads++) {
                float[] dw = new float[p.weightSize()];
                WinogradBwdWeights.bwdWeights(p, x, 0, dz, 0, dw, 0, threads);
                assertArrayEquals(one, dw, p + ": dw on " + threads + " threads");
            }
        }
    }

    @Test
    void theSimdVariantUsesItWherePreferred() {
        ConvParams lenet = ConvParams.of(16, 32, 14, 14, 64, 5, 5, 1, 2);
        assertTrue(WinogradBwdWeights.preferred(lenet) == WinogradConv.enabled());
        assertFalse(WinogradBwdWeights.preferred(ConvParams.of(1, 8, 14, 14, 64, 5, 5, 1, 2)), "8 input channels");
        assertFalse(WinogradBwdWeights.preferred(ConvParams.of(1, 32, 14, 14, 64, 5, 5, 2, 2)), "stride 2");
        assertFalse(WinogradBwdWeights.preferred(ConvParams.of(1, 32, 3, 3, 64, 3, 3, 1, 0)), "one output pixel per 4x4 tile");
        Random rnd = new Random(SEED ^ 0x1234);
        float[] x = data(rnd, lenet.inputSize()), dz = data(rnd, lenet.outputSize());
        float[] viaSimd = new float[lenet.weightSize()], direct = new float[lenet.weightSize()], db = new float[lenet.k()];
        Kernels.simd().conv().bwdWeights(lenet, x, 0, dz, 0, viaSimd, 0, db, 0);
        WinogradBwdWeights.bwdWeights(lenet, x, 0, dz, 0, direct, 0, 1);
        assertArrayEquals(direct, viaSimd, "SimdConv.bwdWeights on LeNet's second layer");
    }

    private static void check(String ctx, ConvParams p, Random rnd, int threads) {
        int xOff = rnd.nextInt(4), dzOff = rnd.nextInt(4), dwOff = rnd.nextInt(4);
        float[] x = shifted(data(rnd, p.inputSize()), xOff), dz = shifted(data(rnd, p.outputSize()), dzOff);
        float[] dw = new float[dwOff + p.weightSize() + 5];
        java.util.Arrays.fill(dw, GUARD);
        WinogradBwdWeights.bwdWeights(p, x, xOff, dz, dzOff, dw, dwOff, threads);
        for (int i = 0; i < dwOff; i++) if (dw[i] != GUARD) fail(ctx + " " + p + ": wrote before dw at " + i);
        for (int i = dwOff + p.weightSize(); i < dw.length; i++) if (dw[i] != GUARD) fail(ctx + " " + p + ": wrote past dw at " + i);
        int oh = p.outH(), ow = p.outW();
        double[] sums = new double[p.r() * p.s()], mags = new double[p.r() * p.s()];
        for (int k = 0; k < p.k(); k++) {
            for (int c = 0; c < p.c(); c++) {
                double typical = 0;
                for (int r = 0; r < p.r(); r++) {
                    for (int s = 0; s < p.s(); s++) {
                        double sum = 0, mag = 0;
                        for (int n = 0; n < p.n(); n++) {
                            for (int i = 0; i < oh; i++) {
                                int ih = i + r - p.padTop();
                                if (ih < 0 || ih >= p.h()) continue;
                                for (int j = 0; j < ow; j++) {
                                    int iw = j + s - p.padLeft();
                                    if (iw < 0 || iw >= p.w()) continue;
                                    double v = (double) dz[dzOff + ((n * p.k() + k) * oh + i) * ow + j]
                                            * x[xOff + ((n * p.c() + c) * p.h() + ih) * p.w() + iw];
                                    sum += v;
                                    mag += Math.abs(v);
                                }
                            }
                        }
                        sums[r * p.s() + s] = sum;
                        mags[r * p.s() + s] = mag;
                        typical += mag / (p.r() * p.s());
                    }
                }
                for (int t = 0; t < sums.length; t++) {
                    int at = (k * p.c() + c) * p.r() * p.s() + t;
                    double err = Math.abs(dw[dwOff + at] - sums[t]), tol = 1e-4 * (mags[t] + typical) + 1e-6;
                    worst = Math.max(worst, err / tol);
                    if (!(err <= tol)) {
                        fail(ctx + " " + p + " threads " + threads + ": dw[" + at + "] expected " + sums[t] + " got " + dw[dwOff + at]
                                + " (tolerance " + tol + ")");
                    }
                }
            }
        }
    }

    private static float[] data(Random rnd, int n) {
        return BwdWeightsOverChannelsTest.data(rnd, n);
    }

    private static float[] shifted(float[] a, int off) {
        return BwdWeightsOverChannelsTest.shifted(a, off);
    }
}
