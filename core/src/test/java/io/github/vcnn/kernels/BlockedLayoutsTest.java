package io.github.vcnn.kernels;

import io.github.vcnn.testing.TestSeed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The channel-blocked layout nChw{L}c: the conversions (index formula, round trip, bad input) and the convolution's
 * layout overload on every algorithm of the simd variant (native where {@code readsBlocked}/{@code writesBlocked}, by
 * conversion elsewhere), bit for bit against the NCHW call. Seed: {@code -Dvcnn.test.seed}.
 */
@ExtendWith(TestSeed.Report.class)
class BlockedLayoutsTest {
    private static final long SEED = TestSeed.SEED;

    @Test
    void elementsLandWhereTheLayoutSays() {
        int n = 2, c = 12, hw = 5, lanes = 4;
        float[] x = new float[n * c * hw];
        for (int i = 0; i < x.length; i++) x[i] = i;
        float[] y = new float[x.length], back = new float[x.length];
        BlockedLayouts.toBlocked(n, c, hw, lanes, x, 0, y, 0);
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int px = 0; px < hw; px++) {
                    assertEquals(x[(i * c + ch) * hw + px], y[((i * (c / lanes) + ch / lanes) * hw + px) * lanes + ch % lanes],
                            "image " + i + " channel " + ch + " pixel " + px);
                }
            }
        }
        BlockedLayouts.toNchw(n, c, hw, lanes, y, 0, back, 0);
        assertArrayEquals(x, back);
    }

    @Test
    void randomRoundTripsAtOffsets() {
        Random rnd = new Random(SEED ^ 0x1a70);
        for (int t = 0; t < 50; t++) {
            int lanes = List.of(1, 4, 8, 16).get(rnd.nextInt(4)), n = rnd.nextInt(4), c = lanes * (1 + rnd.nextInt(5)), hw = 1 + rnd.nextInt(60);
            int len = n * c * hw, xo = rnd.nextInt(7), yo = rnd.nextInt(7);
            float[] x = new float[xo + len], y = new float[yo + len + 3], back = new float[xo + len];
            for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat();
            Arrays.fill(y, -7f);
            BlockedLayouts.toBlocked(n, c, hw, lanes, x, xo, y, yo);
            for (int i = 0; i < yo; i++) assertEquals(-7f, y[i], "before the output");
            for (int i = yo + len; i < y.length; i++) assertEquals(-7f, y[i], "after the output");
            BlockedLayouts.toNchw(n, c, hw, lanes, y, yo, back, xo);
            assertArrayEquals(Arrays.copyOfRange(x, xo, xo + len), Arrays.copyOfRange(back, xo, xo + len), "n " + n + " c " + c + " hw " + hw);
        }
    }

    @Test
    void badInputNamesTheArgument() {
        float[] a = new float[64], b = new float[64];
        assertMessage("c:", () -> BlockedLayouts.toBlocked(1, 6, 4, 4, a, 0, b, 0));
        assertMessage("x", () -> BlockedLayouts.toBlocked(1, 8, 4, 4, null, 0, b, 0));
        assertMessage("y", () -> BlockedLayouts.toNchw(1, 8, 9, 4, new float[72], 0, new float[10], 0));
        assertMessage("n", () -> BlockedLayouts.toNchw(-1, 8, 4, 4, a, 0, b, 0));
        assertMessage("lanes", () -> BlockedLayouts.toNchw(1, 8, 4, 0, a, 0, b, 0));
        assertMessage("overlaps", () -> BlockedLayouts.toBlocked(1, 8, 4, 4, a, 0, a, 16));
    }

    @Test
    void variantsWithoutABlockedLayoutRejectIt() {
        ConvKernels scalar = Kernels.scalar().conv();
        assertEquals(0, scalar.blockLanes());
        ConvParams p = ConvParams.of(1, 16, 5, 5, 16, 3, 3, 1, 1);
        PackedConvWeights w = scalar.pack(p, new float[p.weightSize()], 0);
        assertFalse(scalar.readsBlocked(w));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> scalar.fwd(p, Layout.BLOCKED, new float[p.inputSize()], 0, w,
                null, 0, Epilogue.NONE, Layout.NCHW, new float[p.outputSize()], 0, 1));
        assertTrue(e.getMessage().startsWith("xLayout"), e.getMessage());
        assertMessage("yLayout", () -> scalar.fwd(p, Layout.NCHW, new float[p.inputSize()], 0, w, null, 0, Epilogue.NONE, null,
                new float[p.outputSize()], 0, 1));
    }

    /** Every kernel set's reorder (the simd one gathers) equals the plain loops, both ways, at offsets, tails of pixels. */
    @Test
    void kernelReordersEqualThePlainLoops() {
        Random rnd = new Random(SEED ^ 0x4e0d);
        for (var kp : Kernels.available()) {
            ConvKernels k = kp.conv();
            int lanes = k.blockLanes();
            if (lanes == 0) {
                assertMessage("lanes", () -> k.reorder(true, 1, 4, 4, new float[16], 0, new float[16], 0));
                continue;
            }
            for (int t = 0; t < 30; t++) {
                int n = 1 + rnd.nextInt(3), c = lanes * (1 + rnd.nextInt(4)), hw = 1 + rnd.nextInt(3 * lanes + 5), len = n * c * hw;
                int xo = rnd.nextInt(5), yo = rnd.nextInt(5);
                float[] x = data(rnd, xo + len);
                for (boolean toBlocked : new boolean[]{true, false}) {
                    float[] want = new float[yo + len + 2], got = new float[yo + len + 2];
                    if (toBlocked) BlockedLayouts.toBlocked(n, c, hw, lanes, x, xo, want, yo);
                    else BlockedLayouts.toNchw(n, c, hw, lanes, x, xo, want, yo);
                    k.reorder(toBlocked, n, c, hw, x, xo, got, yo);
                    assertArrayEquals(want, got, kp.name() + (toBlocked ? " to blocked" : " to nchw") + ": n " + n + " c " + c + " hw " + hw);
                }
            }
            assertMessage("c:", () -> k.reorder(false, 1, lanes + 1, 4, new float[64], 0, new float[64], 0));
        }
    }

    /** The residual overload on every kernel set and algorithm: the bits of the convolution, then an Add and the activation. */
    @Test
    void residualOverloadEqualsAnAddAfter() {
        Random rnd = new Random(SEED ^ 0x7e5);
        for (var kp : Kernels.available()) {
            ConvKernels k = kp.conv();
            int lanes = Math.max(1, k.blockLanes());
            for (ConvParams p : List.of(ConvParams.of(1, 4 * lanes, 14, 14, 4 * lanes, 3, 3, 1, 1), ConvParams.of(2, 2 * lanes, 11, 11, 4 * lanes, 3, 3, 2, 1),
                    ConvParams.of(1, 4 * lanes, 8, 8, 2 * lanes, 1, 1, 1, 0))) {
                float[] x = data(rnd, p.inputSize()), w = data(rnd, p.weightSize()), b = data(rnd, p.k()), res = data(rnd, p.outputSize());
                PackedConvWeights pw = k.pack(p, w, 0);
                for (Layout l : k.blockLanes() > 0 ? Layout.values() : new Layout[]{Layout.NCHW}) {
                    for (Epilogue act : List.of(Epilogue.RELU, Epilogue.NONE, Epilogue.SIGMOID)) {
                        float[] z = new float[p.outputSize()], y = new float[p.outputSize()];
                        k.fwd(p, l, x, 0, pw, b, 0, Epilogue.NONE, l, z, 0, 2);
                        for (int i = 0; i < z.length; i++) z[i] = act.apply(z[i] + res[i]);
                        k.fwd(p, l, x, 0, pw, b, 0, res, 0, act, l, y, 0, 2);
                        assertArrayEquals(z, y, kp.name() + " " + p + " [" + pw.algorithm() + "] " + l + " " + act);
                    }
                }
                assertMessage("residual", () -> k.fwd(p, Layout.NCHW, x, 0, pw, b, 0, new float[3], 0, Epilogue.RELU, Layout.NCHW,
                        new float[p.outputSize()], 0, 1));
            }
        }
    }

    /** Every algorithm the simd variant picks, each layout pair, 1 and 2 threads: the bits of NCHW, reordered. */
    @Test
    void simdConvolutionInEveryLayoutGivesTheBitsOfNchw() {
        assumeTrue(Kernels.simdAvailable(), "the Vector API module is not enabled (run with --add-modules jdk.incubator.vector)");
        ConvKernels k = Kernels.simd().conv();
        int lanes = k.blockLanes();
        assertTrue(lanes >= 4, "lanes " + lanes);
        Random rnd = new Random(SEED ^ 0xc0de);
        List<ConvParams> shapes = List.of(
                ConvParams.of(1, 64, 28, 28, 64, 3, 3, 1, 1),        // Winograd F(4x4,3x3)
                ConvParams.of(1, 256, 14, 14, 256, 3, 3, 1, 1),      // Winograd F(2x2,3x3)
                ConvParams.of(2, 64, 28, 28, 128, 3, 3, 2, 1),       // direct, stride 2
                ConvParams.of(1, 64, 28, 28, 128, 1, 1, 2, 0),       // pointwise, sampled
                ConvParams.of(1, 64, 27, 27, 128, 1, 1, 2, 0),       // 1x1 stride 2, odd size
                ConvParams.of(1, 2 * lanes, 9, 9, lanes, 1, 1, 1, 0), // pointwise
                new ConvParams(1, lanes, 11, 12, 2 * lanes, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1),
                new ConvParams(2, 4 * lanes, 10, 9, 4 * lanes, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2),    // two groups: converted
                new ConvParams(1, 2 * lanes, 15, 13, 3 * lanes, 3, 3, 2, 2, 1, 0, 2, 1, 2, 1, 1),   // direct, strides 2/2, dilation 2x1
                ConvParams.of(3, 4 * lanes, 7, 7, 2 * lanes, 1, 1, 2, 0));                          // 1x1 stride 2, batch 3
        for (ConvParams p : shapes) {
            float[] x = data(rnd, p.inputSize()), w = data(rnd, p.weightSize()), b = data(rnd, p.k());
            PackedConvWeights pw = k.pack(p, w, 0);
            System.out.println("BlockedLayoutsTest: " + p + " [" + pw.algorithm() + "] native " + k.readsBlocked(pw));
            // native: Winograd, and the channel-blocked direct path of one group (not the width path of <= 4 channels)
            boolean width = p.kg() < 8 || p.cg() * p.r() * p.s() < 64 || p.cg() <= 4;
            boolean expected = pw.isWinograd() || (PackedConvWeights.DIRECT.equals(pw.algorithm()) && p.groups() == 1 && !width);
            assertEquals(expected, k.readsBlocked(pw), p + " " + pw.algorithm());
            assertEquals(expected, k.writesBlocked(pw), p + " " + pw.algorithm());
            float[] ref = new float[p.outputSize()];
            k.fwd(p, x, 0, pw, b, 0, Epilogue.RELU, ref, 0, 1);
            float[] xb = new float[x.length], refB = new float[ref.length];
            BlockedLayouts.toBlocked(p.n(), p.c(), p.h() * p.w(), lanes, x, 0, xb, 0);
            BlockedLayouts.toBlocked(p.n(), p.k(), p.outH() * p.outW(), lanes, ref, 0, refB, 0);
            for (Layout xl : Layout.values()) {
                for (Layout yl : Layout.values()) {
                    for (int threads = 1; threads <= 2; threads++) {
                        float[] y = new float[ref.length + 2];
                        k.fwd(p, xl, xl == Layout.BLOCKED ? xb : x, 0, pw, b, 0, Epilogue.RELU, yl, y, 1, threads);
                        assertArrayEquals(yl == Layout.BLOCKED ? refB : ref, Arrays.copyOfRange(y, 1, 1 + ref.length),
                                p + " [" + pw.algorithm() + "] " + xl.tag(lanes) + " -> " + yl.tag(lanes) + ", " + threads + " threads");
                        assertEquals(0f, y[0]);
                        assertEquals(0f, y[y.length - 1]);
                    }
                }
            }
        }
        ConvParams odd = ConvParams.of(1, lanes + 1, 6, 6, lanes, 3, 3, 1, 1);
        PackedConvWeights pw = k.pack(odd, new float[odd.weightSize()], 0);
        assertMessage("xLayout", () -> k.fwd(odd, Layout.BLOCKED, new float[odd.inputSize()], 0, pw, null, 0, Epilogue.NONE, Layout.NCHW,
                new float[odd.outputSize()], 0, 1));
    }

    /**
     * A forward that wrote nChw{L}c leaves no state on its thread: a backward there gives the bits of one on a fresh
     * thread (whose scratch no earlier test touched).
     */
    @Test
    void aBlockedForwardLeavesNoStateBehind() throws InterruptedException {
        assumeTrue(Kernels.simdAvailable(), "the Vector API module is not enabled (run with --add-modules jdk.incubator.vector)");
        ConvKernels k = Kernels.simd().conv();
        int lanes = k.blockLanes();
        Random rnd = new Random(SEED ^ 0x57a7e);
        ConvParams p = ConvParams.of(1, 4 * lanes, 12, 12, 4 * lanes, 3, 3, 2, 1);
        float[] x = data(rnd, p.inputSize()), w = data(rnd, p.weightSize()), dz = data(rnd, p.outputSize());
        float[] before = new float[p.inputSize()], after = new float[p.inputSize()];
        Thread fresh = new Thread(() -> k.bwdData(p, dz, 0, w, 0, before, 0, 1));
        fresh.start();
        fresh.join();
        PackedConvWeights pw = k.pack(p, w, 0);
        assertTrue(k.writesBlocked(pw), pw.algorithm());
        k.fwd(p, Layout.BLOCKED, x, 0, pw, null, 0, Epilogue.NONE, Layout.BLOCKED, new float[p.outputSize()], 0, 1);
        k.bwdData(p, dz, 0, w, 0, after, 0, 1);
        assertArrayEquals(before, after, p.toString());
    }

    private static float[] data(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return a;
    }

    private static void assertMessage(String start, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().startsWith(start) || ex.getMessage().contains(start), ex.getMessage());
    }
}
