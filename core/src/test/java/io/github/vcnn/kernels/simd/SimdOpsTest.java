package io.github.vcnn.kernels.simd;

import io.github.vcnn.kernels.ActivationKernels;
import io.github.vcnn.kernels.DenseKernels;
import io.github.vcnn.kernels.DenseParams;
import io.github.vcnn.kernels.ElementwiseKernels;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.Kernels;
import io.github.vcnn.kernels.OptimizerKernels;
import io.github.vcnn.kernels.PoolKernels;
import io.github.vcnn.kernels.PoolParams;
import io.github.vcnn.kernels.SoftmaxKernels;
import io.github.vcnn.testing.Tolerance;
import io.github.vcnn.testing.TorchCases;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The SIMD pool, activation, dense, softmax, elementwise and optimizer kernels against PyTorch's reference cases and
 * against double-precision loops written here from the interface javadocs, on random shapes with vector tails (lengths
 * not a multiple of the lane count, odd image sizes, blocks larger than the GEMM's cache blocks), plus bad input.
 * The random seed is printed in every failure message; rerun with {@code -Dvcnn.test.seed=...}.
 */
class SimdOpsTest {
    private static final long SEED = io.github.vcnn.testing.TestSeed.SEED;
    // Not final: assigned in setUp() only once the Vector API is known to be there, because touching
    // SimdKernels without the module fails class initialisation instead of skipping.
    private static SimdKernels K;
    private static PoolKernels POOL;
    private static ActivationKernels ACT;
    private static DenseKernels DENSE;
    private static SoftmaxKernels SOFTMAX;
    private static ElementwiseKernels ELEM;
    private static OptimizerKernels OPT;

    @BeforeAll
    static void setUp() {
        Assumptions.assumeTrue(Kernels.simdAvailable(),
                "jdk.incubator.vector is not readable (run with " + Kernels.ENABLE_HINT + "): simd kernels skipped");
        K = SimdKernels.INSTANCE;
        POOL = K.pool();
        ACT = K.activation();
        DENSE = K.dense();
        SOFTMAX = K.softmax();
        ELEM = K.elementwise();
        OPT = K.optimizer();
    }

    private static String seed() {
        return " [seed " + SEED + "L, rerun with -Dvcnn.test.seed=" + SEED + "]";
    }

    @Test
    void providerIsSimd() {
        assertEquals("simd", K.name());
        assertTrue(SimdKernels.vectorLanes() >= 1);
        assertTrue(K.conv() instanceof SimdConv);
    }

    // =============================================================================================== torch reference

    @TestFactory
    List<DynamicTest> torchCases() {
        List<DynamicTest> tests = new ArrayList<>();
        for (TorchCases.Case c : TorchCases.all()) {
            Executable check = switch (c.op()) {
                case "max_pool2d", "avg_pool2d" -> () -> torchPool(c);
                case "linear" -> () -> torchLinear(c);
                case "relu", "leaky_relu", "sigmoid" -> () -> torchActivation(c);
                case "softmax_cross_entropy" -> () -> torchCrossEntropy(c);
                case "mse" -> () -> torchMse(c);
                case "sgd", "adam", "adamw" -> () -> torchOptimizer(c);
                default -> null; // conv2d: SimdConvTest
            };
            if (check != null) tests.add(DynamicTest.dynamicTest(c.name(), check));
        }
        assertEquals(19, tests.size(), "expected every non-conv torch case");
        return tests;
    }

    private static void torchPool(TorchCases.Case c) {
        int[] xs = c.shape("x");
        int kh = c.intParam("kernel_h"), kw = c.intParam("kernel_w"), ph = c.intParam("pad_h"), pw = c.intParam("pad_w");
        PoolParams p = new PoolParams(xs[0], xs[1], xs[2], xs[3], kh, kw, c.intParam("stride_h"), c.intParam("stride_w"),
                ph, pw, ph, pw, c.boolParam("ceil_mode", false), c.boolParam("count_include_pad", false));
        float[] x = c.f("x"), y = new float[p.outputSize()], dx = new float[p.inputSize()];
        assertEquals(c.f("y").length, y.length, c.name() + " output size");
        if (c.op().equals("max_pool2d")) {
            int[] argmax = new int[p.outputSize()];
            POOL.maxFwd(p, x, 0, y, 0, argmax, 0);
            Tolerance.assertForward(c.name() + " y", c.f("y"), y);
            POOL.maxBwd(p, c.f("dy"), 0, argmax, 0, dx, 0);
            float[] yNoIdx = new float[y.length];
            POOL.maxFwd(p, x, 0, yNoIdx, 0, null, 0);
            assertArrayEquals(y, yNoIdx, c.name() + ": with and without argmax");
        } else {
            POOL.avgFwd(p, x, 0, y, 0);
            Tolerance.assertForward(c.name() + " y", c.f("y"), y);
            POOL.avgBwd(p, c.f("dy"), 0, dx, 0);
        }
        Tolerance.assertGradient(c.name() + " dx", c.f("dx"), dx);
    }

    private static void torchLinear(TorchCases.Case c) {
        int[] xs = c.shape("x"), ws = c.shape("w");
        DenseParams p = new DenseParams(xs[0], xs[1], ws[0]);
        Epilogue act = c.param("activation").equals("relu") ? Epilogue.RELU : Epilogue.NONE;
        float[] y = new float[p.batch() * p.out()];
        DENSE.fwd(p, c.f("x"), 0, c.f("w"), 0, c.f("b"), 0, act, y, 0);
        Tolerance.assertForward(c.name() + " y", c.f("y"), y);
        float[] dz = new float[y.length];
        ACT.bwd(act, y, 0, c.f("dy"), 0, dz, 0, y.length);
        float[] dx = new float[p.batch() * p.in()], dw = new float[p.out() * p.in()], db = new float[p.out()];
        DENSE.bwdData(p, dz, 0, c.f("w"), 0, dx, 0);
        DENSE.bwdWeights(p, c.f("x"), 0, dz, 0, dw, 0, db, 0);
        Tolerance.assertGradient(c.name() + " dx", c.f("dx"), dx);
        Tolerance.assertGradient(c.name() + " dw", c.f("dw"), dw);
        Tolerance.assertGradient(c.name() + " db", c.f("db"), db);
    }

    private static void torchActivation(TorchCases.Case c) {
        Epilogue act = switch (c.op()) {
            case "relu" -> Epilogue.RELU;
            case "leaky_relu" -> Epilogue.leakyRelu(c.floatParam("alpha", 0.01f));
            default -> Epilogue.SIGMOID;
        };
        float[] x = c.f("x"), y = new float[x.length], dx = new float[x.length];
        ACT.fwd(act, x, 0, y, 0, x.length);
        Tolerance.assertForward(c.name() + " y", c.f("y"), y);
        ACT.bwd(act, y, 0, c.f("dy"), 0, dx, 0, x.length);
        Tolerance.assertGradient(c.name() + " dx", c.f("dx"), dx);
        float[] inPlace = x.clone();
        ACT.fwdInPlace(act, inPlace, 0, inPlace.length);
        assertArrayEquals(y, inPlace, c.name() + " in place");
    }

    private static void torchCrossEntropy(TorchCases.Case c) {
        int[] ls = c.shape("logits");
        int rows = ls[0], cols = ls[1];
        long[] labels64 = c.tensors().longs("labels");
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) labels[i] = Math.toIntExact(labels64[i]);
        float[] probs = new float[rows * cols], dlogits = new float[rows * cols];
        float loss = SOFTMAX.crossEntropy(rows, cols, c.f("logits"), 0, labels, 0, probs, 0, dlogits, 0);
        Tolerance.assertForward(c.name() + " loss", c.f("loss"), new float[]{loss});
        Tolerance.assertForward(c.name() + " probs", c.f("probs"), probs);
        Tolerance.assertGradient(c.name() + " dlogits", c.f("dlogits"), dlogits);
        // the loss alone, and the gradient without probs, take other code paths
        assertEquals(loss, SOFTMAX.crossEntropy(rows, cols, c.f("logits"), 0, labels, 0, null, 0, null, 0), 1e-6f * (1 + Math.abs(loss)));
        float[] dOnly = new float[rows * cols];
        SOFTMAX.crossEntropy(rows, cols, c.f("logits"), 0, labels, 0, null, 0, dOnly, 0);
        Tolerance.assertGradient(c.name() + " dlogits without probs", c.f("dlogits"), dOnly);
        float[] sm = new float[rows * cols];
        SOFTMAX.softmax(rows, cols, c.f("logits"), 0, sm, 0);
        Tolerance.assertForward(c.name() + " softmax", c.f("probs"), sm);
    }

    private static void torchMse(TorchCases.Case c) {
        float[] pred = c.f("pred"), dpred = new float[pred.length];
        float loss = SOFTMAX.mse(pred.length, pred, 0, c.f("target"), 0, dpred, 0);
        Tolerance.assertForward(c.name() + " loss", c.f("loss"), new float[]{loss});
        Tolerance.assertGradient(c.name() + " dpred", c.f("dpred"), dpred);
    }

    private static void torchOptimizer(TorchCases.Case c) {
        float[] p = c.f("p0").clone();
        int n = p.length, steps = c.intParam("steps");
        float lr = c.floatParam("lr", Float.NaN), wd = c.floatParam("weight_decay", c.op().equals("adamw") ? 0.01f : 0f);
        float[] buf = new float[n], m = new float[n], v = new float[n];
        for (int t = 1; t <= steps; t++) {
            float[] g = c.f("g" + t);
            switch (c.op()) {
                case "sgd" -> OPT.sgd(n, p, 0, g, 0, buf, 0, lr, c.floatParam("momentum", 0f), c.floatParam("dampening", 0f),
                        wd, c.boolParam("nesterov", false), t == 1);
                case "adam" -> OPT.adam(n, p, 0, g, 0, m, 0, v, 0, lr, 0.9f, 0.999f, 1e-8f, wd, false, t);
                default -> OPT.adam(n, p, 0, g, 0, m, 0, v, 0, lr, 0.9f, 0.999f, 1e-8f, wd, true, t);
            }
            Tolerance.assertForward(c.name() + " p" + t, c.f("p" + t), p);
        }
    }

    // =============================================================================================== pooling vs double loops

    /** max (value, first-max index) or average of one window, in double, from the PoolParams javadoc. */
    private static double[] refWindow(PoolParams p, float[] x, int plane, int oh, int ow, boolean max) {
        int hs = oh * p.strideH() - p.padTop(), ws = ow * p.strideW() - p.padLeft();
        double best = Double.NEGATIVE_INFINITY, sum = 0;
        int bestIdx = -1, valid = 0;
        for (int r = 0; r < p.kh(); r++) {
            for (int s = 0; s < p.kw(); s++) {
                int ih = hs + r, iw = ws + s;
                if (ih < 0 || iw < 0 || ih >= p.h() || iw >= p.w()) continue;
                double v = x[plane * p.h() * p.w() + ih * p.w() + iw];
                valid++;
                sum += v;
                if (v > best) {
                    best = v;
                    bestIdx = ih * p.w() + iw;
                }
            }
        }
        if (max) return new double[]{best, bestIdx};
        int he = Math.min(hs + p.kh(), p.h() + p.padBottom()), we = Math.min(ws + p.kw(), p.w() + p.padRight());
        int divisor = p.countIncludePad() ? (he - hs) * (we - ws) : valid;
        return new double[]{sum / divisor, 0};
    }

    private static PoolParams randomPool(Random r) {
        int kh = 1 + r.nextInt(4), kw = 1 + r.nextInt(4);
        int pt = r.nextInt(kh), pb = r.nextInt(kh), pl = r.nextInt(kw), pr = r.nextInt(kw);
        int h = Math.max(kh, 1 + r.nextInt(23)), w = Math.max(kw, 1 + r.nextInt(r.nextBoolean() ? 23 : 70));
        return new PoolParams(1 + r.nextInt(2), 1 + r.nextInt(3), h, w, kh, kw, 1 + r.nextInt(3), 1 + r.nextInt(3),
                pt, pl, pb, pr, r.nextBoolean(), r.nextBoolean());
    }

    /** The two fast paths, on odd and even sizes, wide enough for several vectors plus a tail. */
    private static PoolParams randomFastPool(Random r, boolean max) {
        int h = 3 + r.nextInt(30), w = 3 + r.nextInt(90);
        boolean ceil = r.nextBoolean();
        return max ? new PoolParams(1 + r.nextInt(2), 1 + r.nextInt(3), h, w, 2, 2, 2, 2, 0, 0, 0, 0, ceil, false)
                : new PoolParams(1 + r.nextInt(2), 1 + r.nextInt(3), h, w, 3, 3, 2, 2, 1, 1, 1, 1, ceil, r.nextBoolean());
    }

    @Test
    void poolMatchesReferenceOnRandomShapes() {
        Random r = new Random(SEED);
        for (int t = 0; t < 300; t++) {
            PoolParams p = t % 3 == 0 ? randomFastPool(r, t % 2 == 0) : randomPool(r);
            checkPool(p, r);
        }
    }

    private static void checkPool(PoolParams p, Random r) {
        String what = p + seed();
        int off = r.nextInt(5);
        float[] x = random(r, off + p.inputSize());
        float[] xPlain = Arrays.copyOfRange(x, off, off + p.inputSize());
        int outs = p.outputSize(), oh = p.outH(), ow = p.outW();
        float[] y = new float[off + outs], yNoIdx = new float[outs], yAvg = new float[outs];
        int[] argmax = new int[off + outs];
        POOL.maxFwd(p, x, off, y, off, argmax, off);
        POOL.maxFwd(p, x, off, yNoIdx, 0, null, 0);
        POOL.avgFwd(p, x, off, yAvg, 0);
        float[] dy = random(r, outs);
        double[] dxMax = new double[p.inputSize()], dxAvg = new double[p.inputSize()];
        for (int plane = 0; plane < p.n() * p.c(); plane++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int o = plane * oh * ow + i * ow + j;
                    double[] mx = refWindow(p, xPlain, plane, i, j, true);
                    double av = refWindow(p, xPlain, plane, i, j, false)[0];
                    if (y[off + o] != (float) mx[0] || yNoIdx[o] != (float) mx[0]) fail(what + ": max output " + o + " expected " + mx[0] + " got " + y[off + o] + " / " + yNoIdx[o]);
                    if (argmax[off + o] != (int) mx[1]) fail(what + ": argmax " + o + " expected " + (int) mx[1] + " got " + argmax[off + o]);
                    if (Math.abs(yAvg[o] - av) > 1e-5 * (1 + Math.abs(av))) fail(what + ": avg output " + o + " expected " + av + " got " + yAvg[o]);
                    dxMax[plane * p.h() * p.w() + (int) mx[1]] += dy[o];
                    int hs = i * p.strideH() - p.padTop(), ws = j * p.strideW() - p.padLeft();
                    int he = Math.min(hs + p.kh(), p.h() + p.padBottom()), we = Math.min(ws + p.kw(), p.w() + p.padRight());
                    int divisor = p.countIncludePad() ? (he - hs) * (we - ws)
                            : (Math.min(he, p.h()) - Math.max(hs, 0)) * (Math.min(we, p.w()) - Math.max(ws, 0));
                    for (int ih = Math.max(hs, 0); ih < Math.min(hs + p.kh(), p.h()); ih++) {
                        for (int iw = Math.max(ws, 0); iw < Math.min(ws + p.kw(), p.w()); iw++) {
                            dxAvg[plane * p.h() * p.w() + ih * p.w() + iw] += dy[o] / (double) divisor;
                        }
                    }
                }
            }
        }
        float[] dx = new float[off + p.inputSize()];
        Arrays.fill(dx, Float.NaN); // overwritten, never read
        POOL.maxBwd(p, dy, 0, Arrays.copyOfRange(argmax, off, off + outs), 0, dx, off);
        assertClose(what + " max backward", dxMax, dx, off, 1e-5);
        Arrays.fill(dx, Float.NaN);
        POOL.avgBwd(p, dy, 0, dx, off);
        assertClose(what + " avg backward", dxAvg, dx, off, 1e-5);
    }

    @Test
    void maxPoolTiesAndNaNFollowPyTorch() {
        // 2x2 windows (fast path) and 3x3 s1 (scalar argmax path): first maximum in window order wins; NaN wins
        for (PoolParams p : List.of(PoolParams.of(1, 1, 4, 36, 2, 2, 0), PoolParams.of(1, 1, 4, 36, 3, 1, 0))) {
            float[] x = new float[p.inputSize()];
            Arrays.fill(x, 1f);
            x[2] = Float.NaN; // row 0, column 2
            float[] y = new float[p.outputSize()];
            int[] idx = new int[p.outputSize()];
            POOL.maxFwd(p, x, 0, y, 0, idx, 0);
            int allOnes = p.kw() == 2 ? 0 : 3; // the first window without the NaN
            assertEquals(1f, y[allOnes], p.toString());
            assertEquals(allOnes, idx[allOnes], p + ": tie goes to the first element");
            assertTrue(Float.isNaN(y[p.kw() == 2 ? 1 : 0]), p + ": NaN propagates");
            assertEquals(2, idx[p.kw() == 2 ? 1 : 0], p + ": NaN's index");
            float[] yNoIdx = new float[p.outputSize()];
            POOL.maxFwd(p, x, 0, yNoIdx, 0, null, 0);
            assertArrayEquals(y, yNoIdx, p + ": with and without argmax");
        }
    }

    @Test
    void globalPooling() {
        Random r = new Random(SEED + 1);
        for (int t = 0; t < 40; t++) {
            int n = 1 + r.nextInt(3), c = 1 + r.nextInt(5), hw = 1 + r.nextInt(200);
            float[] x = random(r, n * c * hw), avg = new float[n * c], max = new float[n * c];
            POOL.globalAvgFwd(n, c, hw, x, 0, avg, 0);
            POOL.globalMaxFwd(n, c, hw, x, 0, max, 0);
            float[] dy = random(r, n * c), dx = new float[n * c * hw];
            POOL.globalAvgBwd(n, c, hw, dy, 0, dx, 0);
            for (int pl = 0; pl < n * c; pl++) {
                double s = 0, m = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < hw; i++) {
                    s += x[pl * hw + i];
                    m = Math.max(m, x[pl * hw + i]);
                    assertEquals(dy[pl] / hw, dx[pl * hw + i], 1e-6, "global avg backward" + seed());
                }
                assertEquals(s / hw, avg[pl], 1e-5, "global avg, hw " + hw + seed());
                assertEquals(m, max[pl], 0, "global max" + seed());
            }
        }
    }

    @Test
    void poolFastPathsMatchScalarKernels() {
        // the shapes the fast paths serve (LeNet, VGG-like planes), bit-equal max/argmax, close average
        PoolKernels scalar = io.github.vcnn.kernels.Kernels.scalar().pool();
        Random r = new Random(SEED + 9);
        int[][] planes = {{28, 28}, {14, 14}, {112, 112}, {57, 45}, {9, 131}, {4, 4}, {7, 7}, {3, 35}};
        for (int[] hw : planes) {
            for (boolean ceil : new boolean[]{false, true}) {
                PoolParams max = new PoolParams(2, 3, hw[0], hw[1], 2, 2, 2, 2, 0, 0, 0, 0, ceil, false);
                PoolParams avg = new PoolParams(2, 3, hw[0], hw[1], 3, 3, 2, 2, 1, 1, 1, 1, ceil, r.nextBoolean());
                float[] x = random(r, max.inputSize());
                // outputs followed by guard values: the fast paths store whole vectors past a row's end, never past the tensor
                int outs = max.outputSize(), guard = 2 * SimdMath.VL;
                float[] y1 = new float[outs], y2 = new float[outs + guard];
                int[] i1 = new int[outs], i2 = new int[outs + guard];
                Arrays.fill(y2, outs, y2.length, 42f);
                Arrays.fill(i2, outs, i2.length, 42);
                scalar.maxFwd(max, x, 0, y1, 0, i1, 0);
                POOL.maxFwd(max, x, 0, y2, 0, i2, 0);
                assertArrayEquals(y1, Arrays.copyOf(y2, outs), max + seed());
                assertArrayEquals(i1, Arrays.copyOf(i2, outs), max + " argmax" + seed());
                POOL.maxFwd(max, x, 0, y2, 0, null, 0);
                assertArrayEquals(y1, Arrays.copyOf(y2, outs), max + " without argmax" + seed());
                for (int g = outs; g < outs + guard; g++) {
                    assertEquals(42f, y2[g], max + ": wrote past the output" + seed());
                    assertEquals(42, i2[g], max + ": wrote past the argmax" + seed());
                }
                float[] a1 = new float[avg.outputSize()], a2 = new float[avg.outputSize() + guard];
                Arrays.fill(a2, avg.outputSize(), a2.length, 42f);
                scalar.avgFwd(avg, x, 0, a1, 0);
                POOL.avgFwd(avg, x, 0, a2, 0);
                Tolerance.assertClose(avg + seed(), a1, Arrays.copyOf(a2, avg.outputSize()), 1e-5);
                for (int g = avg.outputSize(); g < a2.length; g++) assertEquals(42f, a2[g], avg + ": wrote past the output" + seed());
            }
        }
    }

    @Test
    void crossEntropyMayWriteProbsOverTheLogits() {
        Random r = new Random(SEED + 10);
        int rows = 5, cols = 23;
        float[] logits = random(r, rows * cols);
        int[] labels = {0, 22, 7, 7, 13};
        float[] probs = new float[rows * cols];
        float loss = SOFTMAX.crossEntropy(rows, cols, logits, 0, labels, 0, probs, 0, null, 0);
        float[] inPlace = logits.clone();
        assertEquals(loss, SOFTMAX.crossEntropy(rows, cols, inPlace, 0, labels, 0, inPlace, 0, null, 0), 0f, "in-place loss" + seed());
        assertArrayEquals(probs, inPlace, "in-place probs" + seed());
    }

    // =============================================================================================== activations

    @Test
    void activationsMatchReference() {
        Random r = new Random(SEED + 2);
        List<Epilogue> acts = List.of(Epilogue.NONE, Epilogue.RELU, Epilogue.leakyRelu(0.1f), Epilogue.SIGMOID, Epilogue.clip(-0.5f, 0.75f));
        for (int t = 0; t < 60; t++) {
            Epilogue act = acts.get(t % acts.size());
            int len = r.nextInt(300), off = r.nextInt(4);
            float[] x = random(r, off + len);
            for (int i = 0; i < len; i += 7) x[off + i] *= 100; // sigmoid far into both tails
            float[] y = new float[off + len];
            ACT.fwd(act, x, off, y, off, len);
            for (int i = 0; i < len; i++) {
                double z = x[off + i];
                double ref = switch (act.kind()) {
                    case NONE -> z;
                    case RELU -> Math.max(z, 0);
                    case LEAKY_RELU -> z > 0 ? z : 0.1 * z;
                    case SIGMOID -> 1 / (1 + Math.exp(-z));
                    case CLIP -> Math.min(Math.max(z, -0.5), 0.75);
                };
                if (!(Math.abs(y[off + i] - ref) <= 2e-7 * (1 + Math.abs(ref)))) fail(act + " x=" + z + " expected " + ref + " got " + y[off + i] + seed());
            }
            float[] dy = random(r, len), dx = new float[off + len];
            ACT.bwd(act, y, off, dy, 0, dx, off, len);
            for (int i = 0; i < len; i++) {
                float ref = act.backward(y[off + i], dy[i]);
                assertEquals(ref, dx[off + i], 1e-6f * (1 + Math.abs(ref)), act + " backward at " + i + seed());
            }
            float[] inPlace = x.clone();
            ACT.fwdInPlace(act, inPlace, off, len);
            for (int i = 0; i < len; i++) assertEquals(y[off + i], inPlace[off + i], act + " in place" + seed());
            ACT.bwd(act, y, off, dy, 0, dy, 0, len); // dx aliasing dy
            for (int i = 0; i < len; i++) assertEquals(dx[off + i], dy[i], act + " backward in place" + seed());
        }
    }

    @Test
    void vectorExpIsAccurate() {
        float[] x = new float[4096];
        for (int i = 0; i < x.length; i++) x[i] = -87f + 175f * i / (x.length - 1);
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i += SimdMath.VL) {
            SimdMath.exp(jdk.incubator.vector.FloatVector.fromArray(SimdMath.F, x, i)).intoArray(y, i);
        }
        for (int i = 0; i < x.length; i++) {
            double ref = Math.exp(x[i]);
            assertTrue(Math.abs(y[i] - ref) <= 3e-7 * ref, "exp(" + x[i] + ") = " + y[i] + ", expected " + ref);
        }
    }

    // =============================================================================================== dense

    @Test
    void sgemmAllTransposesMatchReference() {
        Random r = new Random(SEED + 3);
        int[][] sizes = {{1, 1, 1}, {7, 33, 5}, {13, 31, 300}, {100, 45, 17}, {97, 70, 260}, {6, 32, 1}, {200, 3, 9}};
        for (int t = 0; t < 60; t++) {
            int m, n, k;
            if (t < sizes.length * 4) {
                int[] s = sizes[t / 4];
                m = s[0];
                n = s[1];
                k = s[2];
            } else {
                m = 1 + r.nextInt(70);
                n = 1 + r.nextInt(70);
                k = 1 + r.nextInt(70);
            }
            boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
            float alpha = r.nextBoolean() ? 1f : 0.5f + r.nextFloat();
            float beta = t % 3 == 0 ? 0f : r.nextFloat() - 0.5f;
            checkSgemm(r, ta, tb, m, n, k, alpha, beta);
        }
        checkSgemm(r, false, false, 130, 2100, 40, 1f, 0f); // several NC blocks
    }

    private static void checkSgemm(Random r, boolean ta, boolean tb, int m, int n, int k, float alpha, float beta) {
        int lda = (ta ? m : k) + r.nextInt(3), ldb = (tb ? k : n) + r.nextInt(3), ldc = n + r.nextInt(3);
        int aOff = r.nextInt(3), bOff = r.nextInt(3), cOff = r.nextInt(3);
        float[] a = random(r, aOff + (ta ? k : m) * lda), b = random(r, bOff + (tb ? n : k) * ldb);
        float[] c = random(r, cOff + m * ldc);
        if (beta == 0f) {
            for (int i = 0; i < c.length; i++) if (i % 3 == 0) c[i] = Float.NaN; // must not propagate
        }
        float[] c0 = c.clone();
        DENSE.sgemm(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        String what = "sgemm ta=" + ta + " tb=" + tb + " m=" + m + " n=" + n + " k=" + k + " alpha=" + alpha + " beta=" + beta + seed();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0, mag = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    double bv = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += av * bv;
                    mag += Math.abs(av * bv);
                }
                double ref = alpha * s + (beta == 0f ? 0 : beta * c0[cOff + i * ldc + j]);
                float got = c[cOff + i * ldc + j];
                if (!(Math.abs(got - ref) <= 1e-5 * (1 + mag + Math.abs(ref)))) fail(what + ": C[" + i + "][" + j + "] expected " + ref + " got " + got);
            }
            for (int j = n; j < ldc; j++) {
                int idx = cOff + i * ldc + j;
                if (idx < c.length && Float.floatToRawIntBits(c[idx]) != Float.floatToRawIntBits(c0[idx])) fail(what + ": wrote outside C at " + idx);
            }
        }
    }

    /**
     * One sample alone (the batch-1 path: one row against the packed panels) gives the bits it gets as a row of a larger
     * batch (the 6-row tiles), for widths with and without whole groups of four panels and reductions over several K blocks.
     */
    @Test
    void denseBatchOneEqualsItsRowInABatch() {
        Random r = new Random(SEED + 5);
        int[][] shapes = {{1, 1}, {3136, 128}, {300, 2100}, {257, 70}, {17, 64}, {513, 1000}, {1 + r.nextInt(600), 1 + r.nextInt(300)}};
        for (int[] sh : shapes) {
            DenseParams one = new DenseParams(1, sh[0], sh[1]), seven = new DenseParams(7, sh[0], sh[1]);
            float[] x = random(r, 7 * sh[0]), w = random(r, sh[0] * sh[1]), b = random(r, sh[1]);
            io.github.vcnn.kernels.PackedDenseWeights packed = DENSE.pack(one, w, 0);
            float[] all = new float[7 * sh[1]];
            DENSE.fwd(seven, x, 0, packed, b, 0, Epilogue.RELU, all, 0);
            for (int i = 0; i < 7; i++) {
                float[] y = new float[sh[1]];
                DENSE.fwd(one, x, i * sh[0], packed, b, 0, Epilogue.RELU, y, 0);
                assertArrayEquals(Arrays.copyOfRange(all, i * sh[1], (i + 1) * sh[1]), y, one + " sample " + i + seed());
            }
        }
    }

    @Test
    void denseLayerMatchesReference() {
        Random r = new Random(SEED + 4);
        List<Epilogue> acts = List.of(Epilogue.NONE, Epilogue.RELU, Epilogue.leakyRelu(0.2f), Epilogue.SIGMOID, Epilogue.clip(-0.3f, 0.4f));
        for (int t = 0; t < 25; t++) {
            DenseParams p = t == 0 ? new DenseParams(3, 300, 2100) // the packed W^T panels span several NC and KC blocks
                    : new DenseParams(1 + r.nextInt(20), 1 + r.nextInt(300), 1 + r.nextInt(50));
            Epilogue act = acts.get(t % acts.size());
            boolean withBias = t % 4 != 3;
            float[] x = random(r, p.batch() * p.in()), w = random(r, p.out() * p.in()), b = random(r, p.out());
            float[] y = new float[p.batch() * p.out()];
            Arrays.fill(y, Float.NaN);
            DENSE.fwd(p, x, 0, w, 0, withBias ? b : null, 0, act, y, 0);
            String what = p + " " + act + " bias=" + withBias + seed();
            for (int i = 0; i < p.batch(); i++) {
                for (int o = 0; o < p.out(); o++) {
                    double z = withBias ? b[o] : 0;
                    for (int q = 0; q < p.in(); q++) z += (double) x[i * p.in() + q] * w[o * p.in() + q];
                    float ref = act.apply((float) z);
                    assertEquals(ref, y[i * p.out() + o], 1e-4f * (1 + Math.abs(ref)), what + " y[" + i + "][" + o + "]");
                }
            }
            float[] dz = random(r, y.length), dx = new float[x.length], dw = new float[w.length], db = new float[p.out()];
            Arrays.fill(dx, Float.NaN);
            Arrays.fill(dw, Float.NaN);
            DENSE.bwdData(p, dz, 0, w, 0, dx, 0);
            DENSE.bwdWeights(p, x, 0, dz, 0, dw, 0, db, 0);
            for (int i = 0; i < p.batch(); i++) {
                for (int q = 0; q < p.in(); q++) {
                    double s = 0;
                    for (int o = 0; o < p.out(); o++) s += (double) dz[i * p.out() + o] * w[o * p.in() + q];
                    assertEquals(s, dx[i * p.in() + q], 1e-4 * (1 + Math.abs(s)), what + " dx");
                }
            }
            for (int o = 0; o < p.out(); o++) {
                double sb = 0;
                for (int i = 0; i < p.batch(); i++) sb += dz[i * p.out() + o];
                assertEquals(sb, db[o], 1e-4 * (1 + Math.abs(sb)), what + " db");
                for (int q = 0; q < p.in(); q++) {
                    double s = 0;
                    for (int i = 0; i < p.batch(); i++) s += (double) dz[i * p.out() + o] * x[i * p.in() + q];
                    assertEquals(s, dw[o * p.in() + q], 1e-4 * (1 + Math.abs(s)), what + " dw");
                }
            }
        }
    }

    // =============================================================================================== softmax and losses

    @Test
    void softmaxFamilyMatchesReference() {
        Random r = new Random(SEED + 5);
        for (int t = 0; t < 40; t++) {
            int rows = 1 + r.nextInt(9), cols = 1 + r.nextInt(70);
            float[] x = random(r, rows * cols);
            float shift = t % 4 == 0 ? 1000f : 0f; // large logits: stable only with the max subtracted
            for (int i = 0; i < x.length; i++) x[i] = x[i] * 8 + shift;
            int[] labels = new int[rows];
            for (int i = 0; i < rows; i++) labels[i] = r.nextInt(cols);
            float[] sm = new float[x.length], lsm = new float[x.length], probs = new float[x.length], dl = new float[x.length];
            SOFTMAX.softmax(rows, cols, x, 0, sm, 0);
            SOFTMAX.logSoftmax(rows, cols, x, 0, lsm, 0);
            float loss = SOFTMAX.crossEntropy(rows, cols, x, 0, labels, 0, probs, 0, dl, 0);
            double refLoss = 0;
            String what = rows + "x" + cols + " shift " + shift + seed();
            for (int i = 0; i < rows; i++) {
                double mx = Double.NEGATIVE_INFINITY, s = 0;
                for (int j = 0; j < cols; j++) mx = Math.max(mx, x[i * cols + j]);
                for (int j = 0; j < cols; j++) s += Math.exp(x[i * cols + j] - mx);
                for (int j = 0; j < cols; j++) {
                    double pr = Math.exp(x[i * cols + j] - mx) / s, lp = x[i * cols + j] - mx - Math.log(s);
                    assertEquals(pr, sm[i * cols + j], 1e-6, what + " softmax");
                    assertEquals(pr, probs[i * cols + j], 1e-6, what + " probs");
                    assertEquals(lp, lsm[i * cols + j], 1e-4 * (1 + Math.abs(lp)), what + " logSoftmax");
                    assertEquals((pr - (j == labels[i] ? 1 : 0)) / rows, dl[i * cols + j], 1e-6, what + " dlogits");
                }
                refLoss += Math.log(s) - (x[i * cols + labels[i]] - mx);
            }
            assertEquals(refLoss / rows, loss, 1e-4 * (1 + Math.abs(refLoss / rows)), what + " loss");
            float[] inPlace = x.clone();
            SOFTMAX.softmax(rows, cols, inPlace, 0, inPlace, 0);
            assertArrayEquals(sm, inPlace, what + " softmax in place");
        }
    }

    @Test
    void mseMatchesReference() {
        Random r = new Random(SEED + 6);
        for (int t = 0; t < 30; t++) {
            int len = 1 + r.nextInt(3000);
            float[] a = random(r, len), b = random(r, len), d = new float[len];
            float loss = SOFTMAX.mse(len, a, 0, b, 0, d, 0);
            double s = 0;
            for (int i = 0; i < len; i++) {
                double diff = (double) a[i] - b[i];
                s += diff * diff;
                assertEquals(2 * diff / len, d[i], 1e-6 * (1 + Math.abs(2 * diff / len)), "mse grad" + seed());
            }
            assertEquals(s / len, loss, 1e-5 * (1 + s / len), "mse len " + len + seed());
            assertEquals(loss, SOFTMAX.mse(len, a, 0, b, 0, null, 0), "mse without gradient" + seed());
        }
    }

    // =============================================================================================== elementwise

    @Test
    void elementwiseMatchesReference() {
        Random r = new Random(SEED + 7);
        for (int t = 0; t < 40; t++) {
            int len = r.nextInt(200), off = r.nextInt(3);
            float[] a = random(r, off + len), b = random(r, off + len), y = new float[off + len];
            boolean relu = r.nextBoolean();
            ELEM.add(a, off, b, off, y, off, len, relu);
            for (int i = off; i < off + len; i++) assertEquals(relu ? Math.max(0f, a[i] + b[i]) : a[i] + b[i], y[i], "add" + seed());
            ELEM.mul(a, off, b, off, y, off, len);
            for (int i = off; i < off + len; i++) assertEquals(a[i] * b[i], y[i], "mul" + seed());
            ELEM.scale(len, 1.5f, a, off, y, off);
            for (int i = off; i < off + len; i++) assertEquals(1.5f * a[i], y[i], "scale" + seed());
            float[] yy = b.clone();
            ELEM.axpy(len, -0.75f, a, off, yy, off);
            for (int i = off; i < off + len; i++) assertEquals(b[i] - 0.75 * a[i], yy[i], 1e-6, "axpy" + seed());
            double ss = 0;
            for (int i = off; i < off + len; i++) ss += (double) a[i] * a[i];
            assertEquals(ss, ELEM.sumOfSquares(len, a, off), 1e-5 * (1 + ss), "sumOfSquares" + seed());
            float[] alias = a.clone();
            ELEM.add(alias, off, b, off, alias, off, len, false);
            for (int i = off; i < off + len; i++) assertEquals(a[i] + b[i], alias[i], "add in place" + seed());
        }
        float[] big = new float[1 << 20];
        Arrays.fill(big, 1e-3f);
        assertEquals(big.length * 1e-6, ELEM.sumOfSquares(big.length, big, 0), 1e-6 * big.length * 1e-6, "long sum stays accurate");
    }

    // =============================================================================================== optimizers

    @Test
    void optimizersMatchReference() {
        Random r = new Random(SEED + 8);
        for (int t = 0; t < 24; t++) {
            int len = 1 + r.nextInt(100);
            float[] sgdP = random(r, len), adamP = sgdP.clone();
            float[] buf = new float[len], m = new float[len], v = new float[len];
            double[] refSgd = toDouble(sgdP), refAdam = toDouble(adamP), rbuf = new double[len], rm = new double[len], rv = new double[len];
            float lr = 0.01f + r.nextFloat() * 0.1f, mom = t % 3 == 0 ? 0f : 0.9f, damp = t % 5 == 1 ? 0.1f : 0f, wd = t % 2 == 0 ? 0.01f : 0f;
            boolean nesterov = mom > 0 && damp == 0 && t % 4 == 2, decoupled = t % 3 == 1;
            for (int step = 1; step <= 4; step++) {
                float[] g = random(r, len);
                OPT.sgd(len, sgdP, 0, g, 0, buf, 0, lr, mom, damp, wd, nesterov, step == 1);
                OPT.adam(len, adamP, 0, g, 0, m, 0, v, 0, lr, 0.9f, 0.999f, 1e-8f, wd, decoupled, step);
                for (int i = 0; i < len; i++) {
                    // torch.optim.SGD
                    double gi = g[i] + wd * refSgd[i];
                    double d = gi;
                    if (mom != 0) {
                        rbuf[i] = step == 1 ? gi : mom * rbuf[i] + (1 - damp) * gi;
                        d = nesterov ? gi + mom * rbuf[i] : rbuf[i];
                    }
                    refSgd[i] -= lr * d;
                    assertEquals(refSgd[i], sgdP[i], 1e-5 * (1 + Math.abs(refSgd[i])), "sgd step " + step + seed());
                    // torch.optim.Adam / AdamW
                    double ga = g[i];
                    if (decoupled) refAdam[i] *= 1 - (double) lr * wd;
                    else ga += wd * refAdam[i];
                    rm[i] = 0.9 * rm[i] + 0.1 * ga;
                    rv[i] = 0.999 * rv[i] + 0.001 * ga * ga;
                    double mh = rm[i] / (1 - Math.pow(0.9, step)), vh = rv[i] / (1 - Math.pow(0.999, step));
                    refAdam[i] -= lr * mh / (Math.sqrt(vh) + 1e-8);
                    assertEquals(refAdam[i], adamP[i], 1e-5 * (1 + Math.abs(refAdam[i])), "adam step " + step + " decoupled=" + decoupled + seed());
                }
            }
        }
    }

    // =============================================================================================== bad input

    @Test
    void badInputIsRejectedBeforeAnyWrite() {
        PoolParams p = PoolParams.of(1, 2, 6, 6, 2, 2, 0);
        float[] x = new float[p.inputSize()], y = new float[p.outputSize()];
        float[] shortY = new float[p.outputSize() - 1];
        rejects("y", () -> POOL.maxFwd(p, x, 0, shortY, 0, null, 0));
        rejects("argmax", () -> POOL.maxFwd(p, x, 0, y, 0, new int[3], 0));
        rejects("x", () -> POOL.avgFwd(p, x, 1, y, 0));
        rejects("x", () -> POOL.avgFwd(p, null, 0, y, 0));
        float[] dx = new float[p.inputSize()];
        Arrays.fill(dx, 7f);
        int[] badIdx = new int[p.outputSize()];
        badIdx[3] = p.h() * p.w();
        rejects("argmax[3]", () -> POOL.maxBwd(p, y, 0, badIdx, 0, dx, 0));
        for (float v : dx) assertEquals(7f, v, "maxBwd wrote before rejecting");
        rejects("dx", () -> POOL.avgBwd(p, y, 0, new float[5], 0));
        rejects("hw", () -> POOL.globalAvgFwd(1, 1, 0, x, 0, y, 0));
        rejects("y", () -> POOL.globalMaxFwd(1, 8, 9, x, 0, new float[2], 0));
        rejects("dx", () -> POOL.globalAvgBwd(1, 8, 9, y, 0, new float[2], 0));

        rejects("len", () -> ACT.fwd(Epilogue.RELU, x, 0, y, 0, -1));
        rejects("y", () -> ACT.fwd(Epilogue.RELU, x, 0, y, 0, x.length));
        rejects("act", () -> ACT.fwd(null, x, 0, y, 0, 1));
        rejects("dx", () -> ACT.bwd(Epilogue.SIGMOID, x, 0, x, 0, shortY, 0, y.length));

        DenseParams d = new DenseParams(2, 3, 4);
        float[] dw = new float[12];
        rejects("w", () -> DENSE.fwd(d, new float[6], 0, new float[11], 0, null, 0, Epilogue.NONE, new float[8], 0));
        rejects("bias", () -> DENSE.fwd(d, new float[6], 0, dw, 0, new float[3], 0, Epilogue.NONE, new float[8], 0));
        rejects("dx", () -> DENSE.bwdData(d, new float[8], 0, dw, 0, new float[5], 0));
        rejects("db", () -> DENSE.bwdWeights(d, new float[6], 0, new float[8], 0, dw, 0, new float[2], 0));
        rejects("lda", () -> DENSE.sgemm(false, false, 2, 2, 3, 1f, new float[6], 0, 2, new float[6], 0, 2, 0f, new float[4], 0, 2));
        rejects("C", () -> DENSE.sgemm(false, false, 2, 2, 3, 1f, new float[6], 0, 3, new float[6], 0, 2, 0f, new float[3], 0, 2));
        rejects("alpha", () -> DENSE.sgemm(false, false, 2, 2, 3, Float.NaN, new float[6], 0, 3, new float[6], 0, 2, 0f, new float[4], 0, 2));
        rejects("beta", () -> DENSE.sgemm(true, true, 2, 2, 3, 1f, new float[6], 0, 2, new float[6], 0, 3, Float.NaN, new float[4], 0, 2));

        rejects("labels[1]", () -> SOFTMAX.crossEntropy(2, 3, new float[6], 0, new int[]{0, 3}, 0, null, 0, null, 0));
        float[] probs = new float[6];
        Arrays.fill(probs, 5f);
        rejects("labels[1]", () -> SOFTMAX.crossEntropy(2, 3, new float[6], 0, new int[]{0, -1}, 0, probs, 0, null, 0));
        for (float v : probs) assertEquals(5f, v, "crossEntropy wrote before rejecting");
        rejects("dlogits", () -> SOFTMAX.crossEntropy(2, 3, new float[6], 0, new int[]{0, 1}, 0, null, 0, new float[5], 0));
        rejects("rows", () -> SOFTMAX.softmax(0, 3, x, 0, y, 0));
        rejects("y", () -> SOFTMAX.logSoftmax(2, 6, x, 0, new float[11], 0));
        rejects("target", () -> SOFTMAX.mse(4, x, 0, new float[3], 0, null, 0));

        rejects("b", () -> ELEM.add(x, 0, new float[3], 0, y, 0, 4, false));
        rejects("alpha", () -> ELEM.axpy(3, Float.NaN, x, 0, y, 0));
        rejects("y", () -> ELEM.mul(x, 0, x, 0, new float[1], 0, 2));
        rejects("alpha", () -> ELEM.scale(3, Float.POSITIVE_INFINITY, x, 0, y, 0));
        rejects("x", () -> ELEM.sumOfSquares(3, x, x.length - 1));

        float[] w4 = new float[4];
        rejects("lr", () -> OPT.sgd(4, w4, 0, w4, 0, null, 0, Float.NaN, 0f, 0f, 0f, false, true));
        rejects("buf", () -> OPT.sgd(4, w4, 0, w4, 0, null, 0, 0.1f, 0.9f, 0f, 0f, false, true));
        rejects("Nesterov", () -> OPT.sgd(4, w4, 0, w4, 0, w4.clone(), 0, 0.1f, 0f, 0f, 0f, true, true));
        rejects("beta1", () -> OPT.adam(4, w4, 0, w4, 0, w4.clone(), 0, w4.clone(), 0, 0.1f, Float.NaN, 0.999f, 1e-8f, 0f, false, 1));
        rejects("step", () -> OPT.adam(4, w4, 0, w4, 0, w4.clone(), 0, w4.clone(), 0, 0.1f, 0.9f, 0.999f, 1e-8f, 0f, false, 0));
        rejects("v", () -> OPT.adam(4, w4, 0, w4, 0, w4.clone(), 0, new float[3], 0, 0.1f, 0.9f, 0.999f, 1e-8f, 0f, true, 1));
    }

    private static void rejects(String mentions, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(mentions), "message should name '" + mentions + "': " + e.getMessage());
    }

    // =============================================================================================== helpers

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    private static void assertClose(String what, double[] ref, float[] actual, int off, double tol) {
        for (int i = 0; i < ref.length; i++) {
            if (!(Math.abs(actual[off + i] - ref[i]) <= tol * (1 + Math.abs(ref[i])))) {
                fail(what + ": element " + i + " expected " + ref[i] + " got " + actual[off + i]);
            }
        }
    }
}
