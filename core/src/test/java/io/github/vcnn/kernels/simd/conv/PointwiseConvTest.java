package io.github.vcnn.kernels.simd.conv;

import io.github.vcnn.kernels.ConvKernels;
import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.Kernels;
import io.github.vcnn.kernels.PackedConvWeights;
import io.github.vcnn.testing.TestSeed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The NCHW 1x1 kernel against a float64 reference on random shapes (strides 1-3, channel and pixel tails, batch,
 * offsets, every epilogue, bias or none) with guard values around the output; bit-identical for 1..4 threads; the
 * simd provider's packing choice, repack and the padded-1x1 fallback.
 */
@EnabledIf(value = "io.github.vcnn.kernels.Kernels#simdAvailable",
        disabledReason = "the Vector API module is not enabled (run with --add-modules jdk.incubator.vector)")
@ExtendWith(TestSeed.Report.class)
class PointwiseConvTest {
    private static final long SEED = TestSeed.SEED;
    private static final float GUARD = -777.25f;
    private static final List<Epilogue> ACTS = List.of(Epilogue.NONE, Epilogue.RELU, Epilogue.leakyRelu(0.1f), Epilogue.SIGMOID,
            Epilogue.clip(-0.3f, 0.4f));

    @Test
    void randomShapesMatchFloat64() {
        Random rnd = new Random(SEED ^ 0x9017);
        for (int i = 0; i < 150; i++) {
            int n = 1 + rnd.nextInt(3), c = 1 + rnd.nextInt(i % 3 == 0 ? 140 : 20), k = 1 + rnd.nextInt(40);
            int h = 1 + rnd.nextInt(19), w = 1 + rnd.nextInt(i % 4 == 1 ? 75 : 23), sh = 1 + rnd.nextInt(3), sw = 1 + rnd.nextInt(3);
            ConvParams p = new ConvParams(n, c, h, w, k, 1, 1, sh, sw, 0, 0, 0, 0, 1, 1, 1);
            check("seed " + SEED + " case " + i, p, ACTS.get(rnd.nextInt(ACTS.size())), rnd.nextBoolean(), rnd, 1);
        }
        check("r18_ds", ConvParams.of(1, 64, 56, 56, 128, 1, 1, 2, 0), Epilogue.NONE, true, rnd, 1);
        check("squeeze", ConvParams.of(2, 96, 27, 27, 16, 1, 1, 1, 0), Epilogue.RELU, true, rnd, 1);
        // two channels over a large plane: one run of 132 blocks (the pixel-start buffer had room for 96)
        check("few channels, large plane", ConvParams.of(1, 2, 60, 70, 3, 1, 1, 1, 0), Epilogue.NONE, true, rnd, 1);
    }

    @Test
    void channelTileComputesTheFewestChannels() {
        int kt = RegisterTiles.CONV_PAIR_TILE;
        for (int k : new int[]{1, 7, 8, 14, 16, 28, 32, 48, 64, 128, 1000}) {
            int tile = PointwiseConv.channelTile(ConvParams.of(1, 16, 5, 5, k, 1, 1, 1, 0));
            if (kt != 14 || RegisterTiles.FORCED_CONV_TILE != 0) {
                assertEquals(kt, tile, "K " + k + ": the ISA's tile");
            } else {
                int computed8 = (k + 7) / 8 * 8, computed14 = (k + 13) / 14 * 14;
                assertEquals(computed8 < computed14 ? 8 : 14, tile, "K " + k);
            }
        }
        if (kt == 14 && RegisterTiles.FORCED_CONV_TILE == 0) {
            assertEquals(8, PointwiseConv.channelTile(ConvParams.of(1, 16, 5, 5, 16, 1, 1, 1, 0)), "SqueezeNet's squeeze: 16, not 28");
            assertEquals(14, PointwiseConv.channelTile(ConvParams.of(1, 16, 5, 5, 28, 1, 1, 1, 0)));
        }
    }

    @Test
    void threadsGiveBitIdenticalResults() {
        Random rnd = new Random(SEED ^ 0x7417);
        for (ConvParams p : List.of(ConvParams.of(1, 64, 56, 56, 128, 1, 1, 2, 0), ConvParams.of(3, 70, 9, 13, 33, 1, 1, 1, 0))) {
            float[] x = data(rnd, p.inputSize()), w = PointwiseConv.pack(p, data(rnd, p.weightSize()), 0), b = data(rnd, p.k());
            float[] y1 = new float[p.outputSize()];
            PointwiseConv.fwd(p, x, 0, w, 0, b, 0, Epilogue.RELU, y1, 0, 1);
            for (int t = 2; t <= 4; t++) {
                float[] yt = new float[p.outputSize()];
                PointwiseConv.fwd(p, x, 0, w, 0, b, 0, Epilogue.RELU, yt, 0, t);
                assertArrayEquals(y1, yt, p + " on " + t + " threads");
            }
        }
    }

    @Test
    void simdProviderPacksRepacksAndFallsBack() {
        ConvKernels simd = Kernels.simd().conv();
        Random rnd = new Random(SEED ^ 0x9ac);
        ConvParams p = ConvParams.of(2, 64, 10, 11, 24, 1, 1, 1, 0);
        assertTrue(PointwiseConv.preferred(p));
        float[] w = data(rnd, p.weightSize() + 3), x = data(rnd, p.inputSize());
        PackedConvWeights packed = simd.pack(p, w, 3);
        assertEquals(PackedConvWeights.POINTWISE, packed.algorithm(), "the pointwise layout [K/KT][C][KT]");
        assertArrayEquals(java.util.Arrays.copyOfRange(w, 3, 3 + p.weightSize()), PointwiseConv.unpack(p, PointwiseConv.pack(p, w, 3)), "unpack(pack(w))");
        float[] y = new float[p.outputSize()];
        simd.fwd(p, x, 0, packed, null, 0, Epilogue.NONE, y, 0);
        assertClose("packed", reference(p, x, 0, w, 3, null, 0), y, 0);
        // repack in place after a change of the weights
        w[3 + 5] += 1f;
        simd.repack(p, w, 3, packed);
        simd.fwd(p, x, 0, packed, null, 0, Epilogue.NONE, y, 0);
        assertClose("repacked", reference(p, x, 0, w, 3, null, 0), y, 0);
        // the same weights for a padded 1x1 (which the pointwise kernel does not take): still correct
        ConvParams padded = ConvParams.of(2, 64, 10, 11, 24, 1, 1, 1, 1);
        assertFalse(PointwiseConv.applies(padded));
        float[] yp = new float[padded.outputSize()];
        simd.fwd(padded, x, 0, packed, null, 0, Epilogue.NONE, yp, 0);
        assertClose("padded", reference(padded, x, 0, w, 3, null, 0), yp, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PointwiseConv.fwd(padded, x, 0, w, 3, null, 0, Epilogue.NONE, yp, 0, 1));
        assertTrue(e.getMessage().startsWith("params"), e.getMessage());
        // stride 1 reads in place from 8 channels up; strided ones gather, measured faster for 48..128 channels only
        assertTrue(PointwiseConv.preferred(ConvParams.of(1, 64, 56, 56, 128, 1, 1, 2, 0)), "r18_ds");
        assertFalse(PointwiseConv.preferred(ConvParams.of(1, 32, 56, 56, 128, 1, 1, 2, 0)), "32 channels, strided");
        assertTrue(PointwiseConv.preferred(ConvParams.of(1, 16, 55, 55, 64, 1, 1, 1, 0)));
        assertTrue(PointwiseConv.preferred(ConvParams.of(1, 512, 13, 13, 64, 1, 1, 1, 0)));
        assertFalse(PointwiseConv.preferred(ConvParams.of(1, 512, 13, 13, 1000, 1, 1, 1, 0)), "over 1 MiB of weights");
        assertFalse(PointwiseConv.preferred(ConvParams.of(1, 3, 55, 55, 64, 1, 1, 1, 0)));
        assertFalse(PointwiseConv.preferred(ConvParams.of(1, 256, 14, 14, 512, 1, 1, 2, 0)));
    }

    private static void check(String ctx, ConvParams p, Epilogue act, boolean withBias, Random rnd, int threads) {
        int xOff = rnd.nextInt(4), wOff = rnd.nextInt(4), bOff = rnd.nextInt(4), yOff = rnd.nextInt(4);
        float[] x = data(rnd, xOff + p.inputSize()), w = data(rnd, wOff + p.weightSize()), b = withBias ? data(rnd, bOff + p.k()) : null;
        float[] x0 = x.clone(), w0 = w.clone();
        float[] y = new float[yOff + p.outputSize() + 5];
        java.util.Arrays.fill(y, GUARD);
        float[] packed = PointwiseConv.pack(p, w, wOff), wp = new float[wOff + packed.length];
        System.arraycopy(packed, 0, wp, wOff, packed.length);
        PointwiseConv.fwd(p, x, xOff, wp, wOff, b, bOff, act, y, yOff, threads);
        String what = ctx + " " + p + " act " + act + " bias " + withBias;
        for (int i = 0; i < yOff; i++) assertEquals(GUARD, y[i], what + ": guard before y");
        for (int i = yOff + p.outputSize(); i < y.length; i++) assertEquals(GUARD, y[i], what + ": guard after y");
        assertArrayEquals(x0, x, what + ": x modified");
        assertArrayEquals(w0, w, what + ": w modified");
        double[] ref = reference(p, x, xOff, w, wOff, b, bOff);
        for (int i = 0; i < ref.length; i++) ref[i] = act.apply((float) ref[i]);
        assertClose(what, ref, y, yOff);
    }

    private static void assertClose(String what, double[] ref, float[] y, int yOff) {
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs(y[yOff + i] - ref[i]);
            if (!(err <= 1e-5 + 1e-5 * Math.abs(ref[i]))) fail(what + ": y[" + i + "] expected " + ref[i] + " got " + y[yOff + i]);
        }
    }

    /** float64 y[n][k][oh][ow] = b[k] + sum_c w[k][c] x[n][c][oh*sh - padT][ow*sw - padL] (zero outside). */
    private static double[] reference(ConvParams p, float[] x, int xOff, float[] w, int wOff, float[] b, int bOff) {
        int oh = p.outH(), ow = p.outW();
        double[] y = new double[p.outputSize()];
        for (int n = 0; n < p.n(); n++) {
            for (int k = 0; k < p.k(); k++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        int ih = i * p.strideH() - p.padTop(), iw = j * p.strideW() - p.padLeft();
                        double s = b == null ? 0 : b[bOff + k];
                        if (ih >= 0 && ih < p.h() && iw >= 0 && iw < p.w()) {
                            for (int c = 0; c < p.c(); c++) {
                                s += (double) w[wOff + k * p.c() + c] * x[xOff + ((n * p.c() + c) * p.h() + ih) * p.w() + iw];
                            }
                        }
                        y[((n * p.k() + k) * oh + i) * ow + j] = s;
                    }
                }
            }
        }
        return y;
    }

    private static float[] data(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return a;
    }
}
