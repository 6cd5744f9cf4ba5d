package io.github.vcnn.kernels.simd;

import io.github.vcnn.kernels.ConvKernels;
import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.Kernels;
import io.github.vcnn.kernels.PackedConvWeights;
import io.github.vcnn.testing.Tolerance;
import io.github.vcnn.testing.TorchCases;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.condition.EnabledIf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * SimdConv against PyTorch's reference cases and against double-precision loops written here
 * (the plain definition of ConvParams), on random shapes that hit every code path: channel tails
 * (K = 17, 33), odd blocks, 1x1, stride 2/3, asymmetric padding, dilation, groups and depthwise,
 * batch &gt; 1, every epilogue, non-zero offsets.
 */
@EnabledIf(value = "io.github.vcnn.kernels.Kernels#simdAvailable",
        disabledReason = "the Vector API module is not enabled (run with --add-modules jdk.incubator.vector)")
@org.junit.jupiter.api.extension.ExtendWith(io.github.vcnn.testing.TestSeed.Report.class)
class SimdConvTest {
    private static final SimdConv CONV = new SimdConv();
    private static final long SEED = io.github.vcnn.testing.TestSeed.SEED;

    // ---------------------------------------------------------------------------- torch reference

    @TestFactory
    List<DynamicTest> torchConvCases() {
        List<DynamicTest> tests = new ArrayList<>();
        for (TorchCases.Case c : TorchCases.ofOp("conv2d")) {
            tests.add(DynamicTest.dynamicTest(c.name(), () -> checkTorchCase(c)));
        }
        assertTrue(tests.size() >= 8, "expected the conv2d torch cases, found " + tests.size());
        return tests;
    }

    private static void checkTorchCase(TorchCases.Case c) {
        int[] xs = c.shape("x"), ws = c.shape("w");
        int groups = c.intParam("groups");
        ConvParams p = new ConvParams(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3],
                c.intParam("stride_h"), c.intParam("stride_w"), c.intParam("pad_h"), c.intParam("pad_w"),
                c.intParam("pad_h"), c.intParam("pad_w"), c.intParam("dilation_h"), c.intParam("dilation_w"), groups);
        Epilogue act = switch (c.param("activation")) {
            case "none" -> Epilogue.NONE;
            case "relu" -> Epilogue.RELU;
            case "leaky_relu" -> Epilogue.leakyRelu(c.floatParam("alpha", 0.01f));
            case "sigmoid" -> Epilogue.SIGMOID;
            default -> throw new AssertionError("activation " + c.param("activation"));
        };
        float[] bias = c.boolParam("bias", false) ? c.f("b") : null;
        float[] y = new float[p.outputSize()];
        CONV.fwd(p, c.f("x"), 0, CONV.pack(p, c.f("w"), 0), bias, 0, act, y, 0);
        Tolerance.assertForward(c.name() + " y", c.f("y"), y);

        float[] yRef = c.f("y"), dy = c.f("dy"), dz = new float[dy.length];
        for (int i = 0; i < dz.length; i++) dz[i] = act.backward(yRef[i], dy[i]);
        float[] dx = new float[p.inputSize()];
        CONV.bwdData(p, dz, 0, c.f("w"), 0, dx, 0);
        Tolerance.assertGradient(c.name() + " dx", c.f("dx"), dx);
        float[] dw = new float[p.weightSize()];
        float[] db = bias != null ? new float[p.k()] : null;
        CONV.bwdWeights(p, c.f("x"), 0, dz, 0, dw, 0, db, 0);
        Tolerance.assertGradient(c.name() + " dw", c.f("dw"), dw);
        if (db != null) Tolerance.assertGradient(c.name() + " db", c.f("db"), db);
    }

    /**
     * Every tiny geometry where padding, stride and dilation meet the image edge: pads up to 3 on 1..4-pixel
     * images with 1..3-tap kernels (the transposed convolution of bwdData then crops more than the image).
     */
    @Test
    void exhaustiveTinyEdgeGeometries() {
        Random rnd = new Random(SEED ^ 0xed9e);
        int done = 0;
        for (int h = 1; h <= 4; h++)
            for (int r = 1; r <= 3; r++)
                for (int pad = 0; pad <= 3; pad++)
                    for (int stride = 1; stride <= 3; stride++)
                        for (int dil = 1; dil <= 2; dil++)
                            for (int c : new int[] {1, 5}) {
                                ConvParams p;
                                try {
                                    // left/top pad `pad`, right/bottom pad none or as much: cropping on one side only
                                    int far = (h + r + stride) % 2 == 0 ? 0 : pad;
                                    p = new ConvParams(1, c, h, h % 3 + 1, 3, r, r + 1 - h % 2, stride, stride + h % 2, pad, pad, far, far, dil, dil, 1);
                                } catch (IllegalArgumentException e) {
                                    continue;   // kernel larger than the padded input
                                }
                                try {
                                    checkAll(p, Epilogue.NONE, true, rnd);
                                } catch (AssertionError | RuntimeException e) {
                                    throw new AssertionError("seed " + SEED + " " + p + ": " + e, e);
                                }
                                done++;
                            }
        assertTrue(done > 300, "only " + done + " geometries were valid");
    }

    /** The fused sigmoid epilogue and the simd activation kernel share one exp: bit-identical outputs. */
    @Test
    void fusedSigmoidMatchesActivationKernelBitForBit() {
        Random rnd = new Random(SEED ^ 0x519);
        SimdActivation activation = new SimdActivation();
        for (ConvParams p : List.of(ConvParams.of(1, 3, 9, 11, 19, 3, 3, 1, 1), ConvParams.of(2, 16, 7, 7, 32, 1, 1, 1, 0),
                ConvParams.of(1, 1, 28, 28, 32, 5, 5, 1, 2))) {
            float[] x = random(rnd, p.inputSize()), w = random(rnd, p.weightSize()), b = random(rnd, p.k());
            for (int i = 0; i < x.length; i += 7) x[i] *= 40f;   // large |z|: exp's clamped range too
            float[] fused = new float[p.outputSize()], plain = new float[p.outputSize()];
            CONV.fwd(p, x, 0, CONV.pack(p, w, 0), b, 0, Epilogue.SIGMOID, fused, 0);
            CONV.fwd(p, x, 0, CONV.pack(p, w, 0), b, 0, Epilogue.NONE, plain, 0);
            // the fused path runs on whole vectors, the activation kernel's tail on the scalar reference: compare whole vectors
            int whole = plain.length / SimdMath.VL * SimdMath.VL;
            activation.fwd(Epilogue.SIGMOID, plain, 0, plain, 0, whole);
            for (int i = 0; i < whole; i++) {
                if (Float.floatToRawIntBits(fused[i]) != Float.floatToRawIntBits(plain[i])) {
                    fail(p + " y[" + i + "]: fused " + fused[i] + ", activation kernel " + plain[i]);
                }
            }
        }
    }

    // ------------------------------------------------------------------ random shapes vs double loops

    @Test
    void randomShapesMatchDoublePrecisionLoops() {
        Random rnd = new Random(SEED);
        int done = 0;
        for (int trial = 0; done < 120; trial++) {
            ConvParams p = randomParams(rnd);
            if (p == null) continue;
            Epilogue act = randomEpilogue(rnd);
            boolean withBias = rnd.nextBoolean();
            String what = "seed " + SEED + " case " + done + " " + p + " act " + act + " bias " + withBias;
            try {
                checkAll(p, act, withBias, rnd);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(what + ": " + e.getMessage(), e);
            }
            done++;
        }
    }

    @Test
    void namedCornerShapes() {
        Random rnd = new Random(SEED ^ 0x5eed);
        List<ConvParams> shapes = List.of(
                ConvParams.of(2, 3, 9, 11, 17, 3, 3, 1, 1),                 // K tail, odd image
                ConvParams.of(1, 16, 7, 7, 48, 1, 1, 1, 0),                  // 1x1, three blocks (2 + odd)
                ConvParams.of(1, 8, 13, 10, 33, 3, 3, 2, 1),                 // stride 2, K = 2 blocks + 1
                ConvParams.of(3, 5, 11, 12, 16, 5, 5, 3, 2),                 // stride 3, batch 3
                new ConvParams(1, 6, 10, 9, 20, 3, 2, 2, 1, 1, 0, 2, 3, 1, 1, 1),   // asymmetric everything
                new ConvParams(2, 6, 12, 12, 18, 3, 3, 1, 1, 2, 2, 2, 2, 2, 3, 1),  // dilation 2x3
                new ConvParams(1, 12, 9, 9, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3),   // groups 3
                new ConvParams(2, 20, 8, 8, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 20),  // depthwise
                new ConvParams(1, 8, 9, 9, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 8),    // depthwise x2, stride 2
                new ConvParams(1, 4, 5, 5, 8, 3, 3, 1, 1, 4, 4, 0, 3, 1, 1, 1),     // padding larger than the kernel
                ConvParams.of(2, 1, 28, 28, 32, 5, 5, 1, 2),                 // lenet c1
                new ConvParams(2, 1, 10, 13, 12, 3, 4, 1, 1, 1, 2, 0, 1, 1, 1, 1),  // grey bwdWeights path: 3x4, asymmetric pad
                new ConvParams(1, 1, 12, 12, 8, 3, 3, 1, 1, 2, 2, 2, 2, 2, 1, 1),   // grey bwdWeights path, row dilation 2
                ConvParams.of(1, 1, 9, 9, 6, 5, 5, 1, 2),                    // grey, K not a multiple of 4 (blocked path)
                ConvParams.of(1, 32, 14, 14, 64, 5, 5, 1, 2),                // lenet c2
                ConvParams.of(1, 64, 9, 9, 64, 3, 3, 1, 1),                  // resnet-like
                ConvParams.of(1, 3, 23, 23, 64, 7, 7, 2, 3),                 // resnet conv1-like
                ConvParams.of(1, 3, 9, 101, 17, 7, 7, 2, 3),                 // resnet conv1-like, rows wider than a width tile (51)
                ConvParams.of(1, 3, 7, 83, 20, 3, 3, 2, 0),                  // squeezenet conv1-like: 41 columns, the last tile moved left
                ConvParams.of(2, 1, 5, 70, 10, 3, 3, 1, 1),                  // grey, 70 columns: whole width tiles at stride 1
                new ConvParams(1, 80, 9, 8, 24, 1, 1, 2, 3, 1, 0, 2, 1, 1, 1, 1),   // strided 1x1 (sampled copy), asymmetric pad
                ConvParams.of(2, 64, 11, 11, 20, 1, 1, 2, 0),                // resnet downsample-like
                new ConvParams(2, 16, 11, 1, 32, 4, 2, 1, 3, 1, 3, 2, 0, 1, 1, 16), // bwdData crops all of dz's width (was an AIOOBE)
                ConvParams.of(1, 9, 7, 7, 270, 3, 3, 1, 1),                  // panel path (K >= 256): 49 pixels, K = 16 blocks + 14
                ConvParams.of(2, 9, 9, 13, 256, 3, 3, 2, 1),                 // panel path, stride 2, batch 2
                ConvParams.of(1, 6, 12, 11, 256, 3, 3, 1, 1),                // panel path, two chunks of pixels
                new ConvParams(1, 10, 6, 6, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2),  // panel path, two groups of 256
                ConvParams.of(1, 260, 5, 5, 12, 3, 3, 1, 1),                 // panel path in bwdData (260 channels back)
                ConvParams.of(1, 1, 1, 1, 1, 1, 1, 1, 0));                   // smallest
        for (ConvParams p : shapes) {
            for (Epilogue act : List.of(Epilogue.NONE, Epilogue.RELU, Epilogue.leakyRelu(0.1f), Epilogue.SIGMOID, Epilogue.clip(-0.3f, 0.4f))) {
                try {
                    checkAll(p, act, act != Epilogue.NONE, rnd);
                } catch (AssertionError e) {
                    throw new AssertionError("seed " + SEED + " " + p + " act " + act + ": " + e.getMessage(), e);
                }
            }
        }
    }

    /** The width path's channels per tile: 8 where 14 would repeat more channels, on 32 registers (the shapes above cover both). */
    @Test
    void widthTileChannelsFollowTheChannelCount() {
        boolean eight = io.github.vcnn.kernels.simd.conv.RegisterTiles.WIDE_REGISTER_FILE && SimdConv.PAIR_TILE >= 8;
        assertEquals(eight ? 8 : SimdConv.PAIR_TILE, SimdConv.widthItems(1, 32), "LeNet's 32 channels");
        assertEquals(eight ? 8 : SimdConv.PAIR_TILE, SimdConv.widthItems(1, 16));
        assertEquals(SimdConv.PAIR_TILE, SimdConv.widthItems(1, SimdConv.PAIR_TILE * 2), "a multiple of the pair tile");
        assertEquals(SimdConv.PAIR_TILE, SimdConv.widthItems(3, 32), "grouped convs keep the pair tile");
    }

    @Test
    void matchesScalarKernelsOnRandomShapes() {
        ConvKernels scalar = Kernels.scalar().conv();
        Random rnd = new Random(SEED + 3);
        int done = 0;
        while (done < 200) {
            ConvParams p = randomParams(rnd);
            if (p == null) continue;
            Epilogue act = randomEpilogue(rnd);
            float[] x = random(rnd, p.inputSize()), w = random(rnd, p.weightSize()), b = random(rnd, p.k()), dz = random(rnd, p.outputSize());
            String what = "seed " + SEED + " case " + done + " " + p + " act " + act;
            float[] ys = new float[p.outputSize()], yv = new float[p.outputSize()];
            scalar.fwd(p, x, 0, scalar.pack(p, w, 0), b, 0, act, ys, 0);
            CONV.fwd(p, x, 0, CONV.pack(p, w, 0), b, 0, act, yv, 0);
            Tolerance.assertClose(what + " fwd", ys, yv, 1e-4);
            float[] dxs = new float[p.inputSize()], dxv = new float[p.inputSize()];
            scalar.bwdData(p, dz, 0, w, 0, dxs, 0);
            CONV.bwdData(p, dz, 0, w, 0, dxv, 0);
            Tolerance.assertClose(what + " bwdData", dxs, dxv, 1e-4);
            float[] dws = new float[p.weightSize()], dwv = new float[p.weightSize()], dbs = new float[p.k()], dbv = new float[p.k()];
            scalar.bwdWeights(p, x, 0, dz, 0, dws, 0, dbs, 0);
            CONV.bwdWeights(p, x, 0, dz, 0, dwv, 0, dbv, 0);
            Tolerance.assertClose(what + " bwdWeights dw", dws, dwv, 1e-4);
            Tolerance.assertClose(what + " bwdWeights db", dbs, dbv, 1e-4);
            done++;
        }
    }

    /**
     * Intra-op threads split images, tile items or channel blocks, never a sum: fwd, bwdData and bwdWeights
     * are bit-identical for 1, 2 and 3 threads (the pool has as many threads as the machine has cores).
     */
    @Test
    void threadCountDoesNotChangeResults() {
        Random rnd = new Random(SEED + 13);
        int done = 0;
        while (done < 60) {
            ConvParams p = randomParams(rnd);
            if (p == null) continue;
            if (done % 3 == 0) {   // a larger single image too, so that one image is cut into many tile items
                p = new ConvParams(1, 8 + rnd.nextInt(40), 9 + rnd.nextInt(20), 9 + rnd.nextInt(20), 8 + rnd.nextInt(60), 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
            } else if (done % 6 == 1) {   // one image on the width path (few input channels): its rows split over the threads
                int st = 1 + rnd.nextInt(2);
                p = new ConvParams(1, 1 + rnd.nextInt(3), 9 + rnd.nextInt(40), 9 + rnd.nextInt(40), 4 + rnd.nextInt(70), 3, 3, st, st, 1, 1, 1, 1, 1, 1, 1);
            } else if (done % 6 == 4) {   // one image of a depthwise conv: the width path's rows, then its last channels' items
                int ch = 3 + rnd.nextInt(40);
                p = new ConvParams(1, ch, 5 + rnd.nextInt(30), 5 + rnd.nextInt(30), ch, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, ch);
            }
            Epilogue act = randomEpilogue(rnd);
            float[] x = random(rnd, p.inputSize()), w = random(rnd, p.weightSize()), b = random(rnd, p.k()), dz = random(rnd, p.outputSize());
            String what = "seed " + SEED + " case " + done + " " + p;
            float[][] ref = null;
            for (int threads = 1; threads <= 3; threads++) {
                float[] y = new float[p.outputSize()], dx = new float[p.inputSize()], dw = new float[p.weightSize()], db = new float[p.k()];
                CONV.fwd(p, x, 0, CONV.pack(p, w, 0), b, 0, act, y, 0, threads);
                CONV.bwdData(p, dz, 0, w, 0, dx, 0, threads);
                CONV.bwdWeights(p, x, 0, dz, 0, dw, 0, db, 0, threads);
                float[][] got = {y, dx, dw, db};
                if (ref == null) {
                    ref = got;
                } else {
                    String[] names = {"fwd", "bwdData", "bwdWeights dw", "bwdWeights db"};
                    for (int i = 0; i < 4; i++) assertArrayEquals(ref[i], got[i], what + " " + names[i] + " with " + threads + " threads");
                }
            }
            done++;
        }
    }

    /** fwd, bwdData, bwdWeights of one configuration at random offsets, with guard values around every output. */
    private static void checkAll(ConvParams p, Epilogue act, boolean withBias, Random rnd) {
        float[] x = random(rnd, p.inputSize());
        float[] w = random(rnd, p.weightSize());
        float[] b = withBias ? random(rnd, p.k()) : null;
        float[] dz = random(rnd, p.outputSize());

        int xOff = rnd.nextInt(5), wOff = rnd.nextInt(5), bOff = rnd.nextInt(5), yOff = rnd.nextInt(5), dzOff = rnd.nextInt(5);
        float[] xo = shifted(x, xOff), wo = shifted(w, wOff), bo = b == null ? null : shifted(b, bOff), dzo = shifted(dz, dzOff);

        // forward
        double[][] ref = refForward(p, x, w, b);
        float[] y = guarded(p.outputSize(), yOff);
        PackedConvWeights pack = CONV.pack(p, wo, wOff);
        CONV.fwd(p, xo, xOff, pack, bo, bOff, act, y, yOff);
        checkGuards("y", y, yOff, p.outputSize());
        // Winograd's transforms (coefficients up to 8 and 1/24) err more than a direct sum: 10x its bound relative to the
        // terms' magnitude, plus 1e-4 (WinogradConvTest holds it to the project tolerance on He-scaled data)
        boolean wino = pack.isWinograd();
        for (int i = 0; i < p.outputSize(); i++) {
            double expect = act.apply((float) ref[0][i]);
            double err = Math.abs(y[yOff + i] - expect);
            if (!(wino ? err <= WINOGRAD_ABS + WINOGRAD_TERMS * ref[1][i] : err <= 1e-5 * ref[1][i] + 1e-6)) {
                fail("fwd y[" + i + "] expected " + expect + " got " + y[yOff + i] + " (|err| " + err + ")");
            }
        }

        // input gradient
        double[][] refDx = refBwdData(p, dz, w);
        float[] dx = guarded(p.inputSize(), xOff);
        CONV.bwdData(p, dzo, dzOff, wo, wOff, dx, xOff);
        checkGuards("dx", dx, xOff, p.inputSize());
        assertClose("bwdData dx", refDx, dx, xOff, SimdConv.prefersWinogradBwdData(p));

        // weight and bias gradients
        double[][] refDw = refBwdWeights(p, x, dz);
        float[] dw = guarded(p.weightSize(), wOff);
        float[] db = withBias ? guarded(p.k(), bOff) : null;
        CONV.bwdWeights(p, xo, xOff, dzo, dzOff, dw, wOff, db, bOff);
        checkGuards("dw", dw, wOff, p.weightSize());
        // the Winograd weight gradient (C, K >= 16, stride 1, 3x3 or 5x5) errs like the Winograd forward; WinogradBwdWeightsTest
        // holds it to its own, tighter bound. The direct bound failed it on seed 9234701052271 (17 -> 48, 5x5: 9.8e-6 on 0.66)
        assertClose("bwdWeights dw", refDw, dw, wOff, io.github.vcnn.kernels.simd.conv.WinogradBwdWeights.preferred(p));
        if (withBias) {
            checkGuards("db", db, bOff, p.k());
            int ohw = p.outH() * p.outW();
            for (int k = 0; k < p.k(); k++) {
                double sum = 0, mag = 0;
                for (int n = 0; n < p.n(); n++) {
                    for (int i = 0; i < ohw; i++) {
                        sum += dz[(n * p.k() + k) * ohw + i];
                        mag += Math.abs(dz[(n * p.k() + k) * ohw + i]);
                    }
                }
                assertTrue(Math.abs(db[bOff + k] - sum) <= 1e-5 * mag + 1e-6, "db[" + k + "] expected " + sum + " got " + db[bOff + k]);
            }
        }
    }

    /**
     * Winograd results: |err| <= 1e-4 + 1e-4 * sum|terms| (random data in [-1, 1) cancels, so a bound relative to |ref|
     * fails where the terms are large and the sum small: r18-like 64x64 bwdData erred 1.4e-4 on a sum of 0.011 from
     * terms of magnitude 142).
     */
    private static final double WINOGRAD_ABS = 1e-4, WINOGRAD_TERMS = 1e-4;

    private static void assertClose(String what, double[][] ref, float[] actual, int off, boolean winograd) {
        for (int i = 0; i < ref[0].length; i++) {
            double err = Math.abs(actual[off + i] - ref[0][i]);
            if (!(winograd ? err <= WINOGRAD_ABS + WINOGRAD_TERMS * ref[1][i] : err <= 1e-5 * ref[1][i] + 1e-6)) {
                fail(what + "[" + i + "] expected " + ref[0][i] + " got " + actual[off + i] + " (|err| " + err + ", sum|terms| " + ref[1][i] + ")");
            }
        }
    }

    /** Called once per (output element, in-range kernel tap) pair with the flat indices of x, w and y. */
    private interface TapVisitor {
        void tap(int xIndex, int wIndex, int yIndex);
    }

    /** The plain definition of ConvParams: every output element with every kernel tap that reads inside the input. */
    static void forEachTap(ConvParams p, TapVisitor v) {
        int oh = p.outH(), ow = p.outW(), cg = p.cg(), kg = p.kg();
        for (int n = 0; n < p.n(); n++) {
            for (int k = 0; k < p.k(); k++) {
                int g = k / kg;
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        int yIndex = ((n * p.k() + k) * oh + i) * ow + j;
                        for (int c = 0; c < cg; c++) {
                            for (int r = 0; r < p.r(); r++) {
                                int ih = i * p.strideH() + r * p.dilationH() - p.padTop();
                                if (ih < 0 || ih >= p.h()) continue;
                                for (int t = 0; t < p.s(); t++) {
                                    int iw = j * p.strideW() + t * p.dilationW() - p.padLeft();
                                    if (iw < 0 || iw >= p.w()) continue;
                                    v.tap(((n * p.c() + g * cg + c) * p.h() + ih) * p.w() + iw, ((k * cg + c) * p.r() + r) * p.s() + t, yIndex);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** {sum, sum of |terms|} per output element: y = xcorr(x, w) + b (pre-activation). */
    static double[][] refForward(ConvParams p, float[] x, float[] w, float[] b) {
        double[] sum = new double[p.outputSize()], mag = new double[p.outputSize()];
        int plane = p.outH() * p.outW();
        if (b != null) {
            for (int o = 0; o < sum.length; o++) {
                sum[o] = b[(o / plane) % p.k()];
                mag[o] = Math.abs(sum[o]);
            }
        }
        forEachTap(p, (xi, wi, yi) -> {
            double term = (double) x[xi] * w[wi];
            sum[yi] += term;
            mag[yi] += Math.abs(term);
        });
        return new double[][]{sum, mag};
    }

    /** dx[n][c][ih][iw] = sum over the outputs that read x[n][c][ih][iw] of dz * w. */
    static double[][] refBwdData(ConvParams p, float[] dz, float[] w) {
        double[] sum = new double[p.inputSize()], mag = new double[p.inputSize()];
        forEachTap(p, (xi, wi, yi) -> {
            double term = (double) dz[yi] * w[wi];
            sum[xi] += term;
            mag[xi] += Math.abs(term);
        });
        return new double[][]{sum, mag};
    }

    /** dw[k][c][r][s] = sum over batch and output pixels of dz * the input value the tap read. */
    static double[][] refBwdWeights(ConvParams p, float[] x, float[] dz) {
        double[] sum = new double[p.weightSize()], mag = new double[p.weightSize()];
        forEachTap(p, (xi, wi, yi) -> {
            double term = (double) dz[yi] * x[xi];
            sum[wi] += term;
            mag[wi] += Math.abs(term);
        });
        return new double[][]{sum, mag};
    }

    private static ConvParams randomParams(Random rnd) {
        int groups = switch (rnd.nextInt(6)) {
            case 0 -> 2;
            case 1 -> 3;
            default -> 1;
        };
        boolean depthwise = rnd.nextInt(8) == 0;
        int cg = depthwise ? 1 : 1 + rnd.nextInt(rnd.nextBoolean() ? 6 : 24);
        int kg = depthwise ? 1 + rnd.nextInt(2) : pick(rnd, 1, 5, 15, 16, 17, 31, 32, 33, 40, 48);
        if (depthwise) groups = 1 + rnd.nextInt(20);
        int r = 1 + rnd.nextInt(5), s = rnd.nextInt(4) == 0 ? r : 1 + rnd.nextInt(5);
        int h = 1 + rnd.nextInt(18), w = 1 + rnd.nextInt(18);
        int sh = 1 + (rnd.nextInt(3) == 0 ? rnd.nextInt(3) : 0), sw = rnd.nextBoolean() ? sh : 1 + rnd.nextInt(3);
        int dh = rnd.nextInt(4) == 0 ? 2 + rnd.nextInt(2) : 1, dw = rnd.nextInt(4) == 0 ? 2 : dh;
        int pt = rnd.nextInt(4), pl = rnd.nextInt(4), pb = rnd.nextBoolean() ? pt : rnd.nextInt(4), pr = rnd.nextBoolean() ? pl : rnd.nextInt(4);
        int n = 1 + rnd.nextInt(3);
        try {
            ConvParams p = new ConvParams(n, cg * groups, h, w, kg * groups, r, s, sh, sw, pt, pl, pb, pr, dh, dw, groups);
            // keep the double-precision reference loops cheap
            return p.flops() <= 4_000_000 ? p : null;
        } catch (IllegalArgumentException e) {
            return null;   // kernel larger than the padded input
        }
    }

    private static int pick(Random rnd, int... values) {
        return values[rnd.nextInt(values.length)];
    }

    private static Epilogue randomEpilogue(Random rnd) {
        return switch (rnd.nextInt(5)) {
            case 0 -> Epilogue.NONE;
            case 1 -> Epilogue.RELU;
            case 2 -> Epilogue.leakyRelu(0.05f + rnd.nextFloat());
            case 3 -> Epilogue.SIGMOID;
            default -> Epilogue.clip(-0.5f * rnd.nextFloat(), 0.5f * rnd.nextFloat());
        };
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return a;
    }

    private static float[] shifted(float[] a, int off) {
        float[] out = new float[a.length + off + 3];
        Arrays.fill(out, Float.NaN);   // a kernel reading outside its range would poison the result
        System.arraycopy(a, 0, out, off, a.length);
        return out;
    }

    private static final float GUARD = -12345.5f;

    private static float[] guarded(int n, int off) {
        float[] a = new float[n + off + 7];
        Arrays.fill(a, GUARD);
        return a;
    }

    private static void checkGuards(String what, float[] a, int off, int n) {
        for (int i = 0; i < a.length; i++) {
            if (i >= off && i < off + n) continue;
            assertEquals(GUARD, a[i], what + ": wrote outside its range at index " + i + " (range " + off + ".." + (off + n) + ")");
        }
    }

    // ------------------------------------------------------------------------------- concurrency

    @Test
    void threadsCallingAtOnceGetIdenticalResults() throws Exception {
        Random rnd = new Random(SEED + 7);
        ConvParams[] shapes = {
                ConvParams.of(2, 24, 15, 13, 40, 3, 3, 1, 1),
                ConvParams.of(1, 16, 20, 20, 17, 5, 5, 2, 2),
                new ConvParams(1, 12, 11, 11, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 12)};
        float[][] xs = new float[shapes.length][], dzs = new float[shapes.length][], ws = new float[shapes.length][];
        float[][] yRef = new float[shapes.length][], dxRef = new float[shapes.length][], dwRef = new float[shapes.length][];
        PackedConvWeights[] packed = new PackedConvWeights[shapes.length];
        for (int i = 0; i < shapes.length; i++) {
            ConvParams p = shapes[i];
            xs[i] = random(rnd, p.inputSize());
            ws[i] = random(rnd, p.weightSize());
            dzs[i] = random(rnd, p.outputSize());
            packed[i] = CONV.pack(p, ws[i], 0);
            yRef[i] = new float[p.outputSize()];
            CONV.fwd(p, xs[i], 0, packed[i], null, 0, Epilogue.RELU, yRef[i], 0);
            dxRef[i] = new float[p.inputSize()];
            CONV.bwdData(p, dzs[i], 0, ws[i], 0, dxRef[i], 0);
            dwRef[i] = new float[p.weightSize()];
            CONV.bwdWeights(p, xs[i], 0, dzs[i], 0, dwRef[i], 0, null, 0);
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int first = t;
                futures.add(pool.submit(() -> {
                    for (int rep = 0; rep < 30; rep++) {
                        int i = (first + rep) % shapes.length;   // threads interleave different shapes
                        ConvParams p = shapes[i];
                        float[] y = new float[p.outputSize()];
                        CONV.fwd(p, xs[i], 0, packed[i], null, 0, Epilogue.RELU, y, 0);
                        assertArrayEquals(yRef[i], y, "fwd " + p + " differs under concurrency");
                        float[] dx = new float[p.inputSize()];
                        CONV.bwdData(p, dzs[i], 0, ws[i], 0, dx, 0);
                        assertArrayEquals(dxRef[i], dx, "bwdData " + p + " differs under concurrency");
                        float[] dw = new float[p.weightSize()];
                        CONV.bwdWeights(p, xs[i], 0, dzs[i], 0, dw, 0, null, 0);
                        assertArrayEquals(dwRef[i], dw, "bwdWeights " + p + " differs under concurrency");
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) f.get();
        } finally {
            pool.shutdownNow();
        }
    }

    // --------------------------------------------------------------------------------- bad input

    @Test
    void rejectsBadInputBeforeWriting() {
        ConvParams p = ConvParams.of(1, 4, 6, 6, 8, 3, 3, 1, 1);
        float[] x = new float[p.inputSize()], w = new float[p.weightSize()], y = guarded(p.outputSize(), 0);
        PackedConvWeights packed = CONV.pack(p, w, 0);

        ConvParams otherC = ConvParams.of(1, 5, 6, 6, 8, 3, 3, 1, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CONV.fwd(otherC, new float[otherC.inputSize()], 0, packed, null, 0, Epilogue.NONE, new float[otherC.outputSize()], 0));
        assertTrue(e.getMessage().contains("do not fit"), e.getMessage());

        PackedConvWeights foreign = Kernels.scalar().conv().pack(p, w, 0);
        e = assertThrows(IllegalArgumentException.class, () -> CONV.fwd(p, x, 0, foreign, null, 0, Epilogue.NONE, y, 0));
        assertTrue(e.getMessage().contains("scalar"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> CONV.fwd(p, new float[p.inputSize() - 1], 0, packed, null, 0, Epilogue.NONE, y, 0));
        assertTrue(e.getMessage().startsWith("x "), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CONV.fwd(p, x, 1, packed, null, 0, Epilogue.NONE, y, 0));
        e = assertThrows(IllegalArgumentException.class, () -> CONV.fwd(p, x, 0, packed, new float[7], 0, Epilogue.NONE, y, 0));
        assertTrue(e.getMessage().startsWith("bias "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CONV.fwd(p, x, 0, packed, null, 0, Epilogue.NONE, y, 8));
        assertTrue(e.getMessage().startsWith("y "), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CONV.fwd(p, x, 0, packed, null, 0, null, y, 0));
        assertThrows(IllegalArgumentException.class, () -> CONV.fwd(p, x, 0, (PackedConvWeights) null, null, 0, Epilogue.NONE, y, 0));
        assertThrows(IllegalArgumentException.class, () -> CONV.fwd(null, x, 0, packed, null, 0, Epilogue.NONE, y, 0));
        assertThrows(IllegalArgumentException.class, () -> CONV.fwd(p, null, 0, packed, null, 0, Epilogue.NONE, y, 0));
        checkGuards("y after rejected calls", y, 0, 0);

        assertThrows(IllegalArgumentException.class, () -> CONV.pack(p, new float[p.weightSize() - 1], 0));
        assertThrows(IllegalArgumentException.class, () -> CONV.pack(p, w, -1));

        float[] dz = new float[p.outputSize()], dx = guarded(p.inputSize(), 0);
        e = assertThrows(IllegalArgumentException.class, () -> CONV.bwdData(p, dz, 0, w, 0, new float[p.inputSize() - 1], 0));
        assertTrue(e.getMessage().startsWith("dx "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CONV.bwdData(p, dz, 0, new float[3], 0, dx, 0));
        assertTrue(e.getMessage().startsWith("w "), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CONV.bwdData(p, dz, 1, w, 0, dx, 0));
        checkGuards("dx after rejected calls", dx, 0, 0);

        float[] dw = guarded(p.weightSize(), 0), db = guarded(p.k(), 0);
        e = assertThrows(IllegalArgumentException.class, () -> CONV.bwdWeights(p, x, 0, dz, 0, dw, 0, new float[7], 0));
        assertTrue(e.getMessage().startsWith("db "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CONV.bwdWeights(p, x, 0, dz, 0, new float[5], 0, db, 0));
        assertTrue(e.getMessage().startsWith("dw "), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CONV.bwdWeights(p, new float[2], 0, dz, 0, dw, 0, db, 0));
        checkGuards("dw after rejected calls", dw, 0, 0);
        checkGuards("db after rejected calls", db, 0, 0);

        // huge padding and stride: a valid ConvParams whose padded working copy would not fit an array
        ConvParams huge = new ConvParams(1, 2, 1, 1, 1, 1, 1, 40000, 40000, 30000, 30000, 30000, 30000, 1, 1, 1);
        float[] hy = guarded(huge.outputSize(), 0);
        e = assertThrows(IllegalArgumentException.class, () -> CONV.fwd(huge, new float[2], 0, CONV.pack(huge, new float[2], 0), null, 0, Epilogue.NONE, hy, 0));
        assertTrue(e.getMessage().contains("too large"), e.getMessage());
        checkGuards("y after a rejected huge call", hy, 0, 0);
    }

    @Test
    void packedWeightsServeOtherImageSizesAndBatches() {
        Random rnd = new Random(SEED + 11);
        ConvParams packedFor = ConvParams.of(1, 8, 10, 10, 20, 3, 3, 1, 1);
        float[] w = random(rnd, packedFor.weightSize());
        PackedConvWeights packed = CONV.pack(packedFor, w, 0);
        assertEquals("simd", packed.variant());
        ConvParams p = ConvParams.of(3, 8, 17, 6, 20, 3, 3, 2, 0);
        float[] x = random(rnd, p.inputSize()), y = new float[p.outputSize()];
        CONV.fwd(p, x, 0, packed, null, 0, Epilogue.NONE, y, 0);
        double[][] ref = refForward(p, x, w, null);
        assertClose("fwd with weights packed for another image size", ref, y, 0, false);
    }
}
