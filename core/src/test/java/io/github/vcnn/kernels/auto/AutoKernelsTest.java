package io.github.vcnn.kernels.auto;

import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.DenseParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.PackedConvWeights;
import io.github.vcnn.kernels.PoolParams;
import io.github.vcnn.testing.Tolerance;
import io.github.vcnn.testing.TorchCases;
import io.github.vcnn.testing.TorchCases.Case;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The auto-vectorized kernels on their own: PyTorch reference cases with operands at odd offsets
 * (the staged paths), hand-checked small cases (stride, dilation, groups, ceil-mode pooling),
 * random ragged convolutions and GEMMs against a double-precision direct loop, and bad input.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.github.vcnn.testing.TestSeed.Report.class)
class AutoKernelsTest {
    private static final KernelProvider K = AutoKernels.INSTANCE;
    private static final long SEED = io.github.vcnn.testing.TestSeed.SEED;

    /** A copy of {@code a} at offset {@code off} inside a larger array filled with a sentinel. */
    private static float[] at(float[] a, int off) {
        float[] big = new float[off + a.length + 5];
        Arrays.fill(big, -9999f);
        System.arraycopy(a, 0, big, off, a.length);
        return big;
    }

    private static float[] slice(float[] a, int off, int len) {
        return Arrays.copyOfRange(a, off, off + len);
    }

    private static Epilogue epilogue(Case c, String name) {
        return switch (name) {
            case "none" -> Epilogue.NONE;
            case "relu" -> Epilogue.RELU;
            case "leaky_relu" -> Epilogue.leakyRelu(c.floatParam("alpha", 0.01f));
            case "sigmoid" -> Epilogue.SIGMOID;
            default -> throw new AssertionError(name);
        };
    }

    // ------------------------------------------------------------------ PyTorch reference, odd offsets

    @TestFactory
    Stream<DynamicTest> torchConvAndLinearAtOffsets() {
        return TorchCases.all().stream().filter(c -> c.op().equals("conv2d") || c.op().equals("linear"))
                .map(c -> DynamicTest.dynamicTest(c.name(), () -> {
                    if (c.op().equals("conv2d")) torchConv(c);
                    else torchLinear(c);
                }));
    }

    private static void torchConv(Case c) {
        int[] xs = c.shape("x"), ws = c.shape("w");
        int ph = c.intParam("pad_h"), pw = c.intParam("pad_w");
        ConvParams p = new ConvParams(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], c.intParam("stride_h"), c.intParam("stride_w"),
                ph, pw, ph, pw, c.intParam("dilation_h"), c.intParam("dilation_w"), c.intParam("groups"));
        float[] bias = c.has("b") ? at(c.f("b"), 3) : null;
        Epilogue act = epilogue(c, c.param("activation"));
        float[] y = new float[p.outputSize() + 11];
        K.conv().fwd(p, at(c.f("x"), 7), 7, K.conv().pack(p, at(c.f("w"), 2), 2), bias, 3, act, y, 11);
        Tolerance.assertForward(c.name() + " y", c.f("y"), y, 11, 1e-4);
        float[] dz = new float[p.outputSize()];
        K.activation().bwd(act, slice(y, 11, p.outputSize()), 0, c.f("dy"), 0, dz, 0, dz.length);
        float[] dx = new float[p.inputSize() + 5];
        K.conv().bwdData(p, at(dz, 1), 1, at(c.f("w"), 4), 4, dx, 5);
        Tolerance.assertGradient(c.name() + " dx", c.f("dx"), dx, 5, 1e-3);
        float[] dw = new float[p.weightSize() + 2];
        float[] db = new float[p.k() + 6];
        K.conv().bwdWeights(p, at(c.f("x"), 9), 9, at(dz, 13), 13, dw, 2, db, 6);
        Tolerance.assertGradient(c.name() + " dw", c.f("dw"), dw, 2, 1e-3);
        if (c.has("db")) Tolerance.assertGradient(c.name() + " db", c.f("db"), db, 6, 1e-3);
    }

    private static void torchLinear(Case c) {
        int[] xs = c.shape("x"), ws = c.shape("w");
        DenseParams p = new DenseParams(xs[0], xs[1], ws[0]);
        float[] bias = c.has("b") ? at(c.f("b"), 1) : null;
        Epilogue act = epilogue(c, c.param("activation"));
        float[] y = new float[p.batch() * p.out() + 3];
        K.dense().fwd(p, at(c.f("x"), 5), 5, at(c.f("w"), 6), 6, bias, 1, act, y, 3);
        Tolerance.assertForward(c.name() + " y", c.f("y"), y, 3, 1e-4);
        float[] dz = new float[p.batch() * p.out()];
        K.activation().bwd(act, slice(y, 3, dz.length), 0, c.f("dy"), 0, dz, 0, dz.length);
        float[] dx = new float[p.batch() * p.in() + 4];
        K.dense().bwdData(p, at(dz, 2), 2, at(c.f("w"), 3), 3, dx, 4);
        Tolerance.assertGradient(c.name() + " dx", c.f("dx"), dx, 4, 1e-3);
        float[] dw = new float[p.out() * p.in() + 1];
        float[] db = new float[p.out() + 2];
        K.dense().bwdWeights(p, at(c.f("x"), 8), 8, at(dz, 7), 7, dw, 1, db, 2);
        Tolerance.assertGradient(c.name() + " dw", c.f("dw"), dw, 1, 1e-3);
        if (c.has("db")) Tolerance.assertGradient(c.name() + " db", c.f("db"), db, 2, 1e-3);
    }

    @TestFactory
    Stream<DynamicTest> torchOptimizersAtDifferentOffsets() {
        return TorchCases.all().stream().filter(c -> c.op().equals("sgd") || c.op().equals("adam") || c.op().equals("adamw"))
                .map(c -> DynamicTest.dynamicTest(c.name(), () -> {
                    int steps = c.intParam("steps");
                    float lr = Float.parseFloat(c.param("lr"));
                    int n = c.f("p0").length;
                    // p, g, m/buf, v at four different offsets: the staged path
                    float[] p = at(c.f("p0"), 3), buf = new float[n + 1], m = new float[n + 2], v = new float[n + 4];
                    for (int step = 1; step <= steps; step++) {
                        float[] g = at(c.f("g" + step), 5);
                        switch (c.op()) {
                            case "sgd" -> K.optimizer().sgd(n, p, 3, g, 5, buf, 1, lr, c.floatParam("momentum", 0f),
                                    c.floatParam("dampening", 0f), c.floatParam("weight_decay", 0f), c.boolParam("nesterov", false), step == 1);
                            case "adam" -> K.optimizer().adam(n, p, 3, g, 5, m, 2, v, 4, lr, c.floatParam("beta1", 0.9f),
                                    c.floatParam("beta2", 0.999f), c.floatParam("eps", 1e-8f), c.floatParam("weight_decay", 0f), false, step);
                            default -> K.optimizer().adam(n, p, 3, g, 5, m, 2, v, 4, lr, c.floatParam("beta1", 0.9f),
                                    c.floatParam("beta2", 0.999f), c.floatParam("eps", 1e-8f), c.floatParam("weight_decay", 0.01f), true, step);
                        }
                        Tolerance.assertForward(c.name() + " p" + step, c.f("p" + step), p, 3, 1e-4);
                    }
                }));
    }

    // ------------------------------------------------------------------ hand-checked

    private static float[] iota(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }

    @Test
    void convStride2SumsEachDisjointWindow() {
        ConvParams p = ConvParams.of(1, 1, 4, 4, 1, 2, 2, 2, 0);
        float[] y = new float[4];
        K.conv().fwd(p, iota(16), 0, new float[]{1, 1, 1, 1}, 0, null, 0, Epilogue.NONE, y, 0);
        assertArrayEquals(new float[]{10, 18, 42, 50}, y);
        // bwdData of a stride-2 conv: each dz spreads over its own 2x2 window
        float[] dx = new float[16];
        K.conv().bwdData(p, new float[]{1, 2, 3, 4}, 0, new float[]{1, 10, 100, 1000}, 0, dx, 0);
        assertArrayEquals(new float[]{1, 10, 2, 20, 100, 1000, 200, 2000, 3, 30, 4, 40, 300, 3000, 400, 4000}, dx);
    }

    @Test
    void convDilation2ReadsEveryOtherPixel() {
        ConvParams p = ConvParams.builder().input(1, 1, 5, 5).kernel(1, 3, 3).dilation(2, 2).build();
        float[] w = new float[9];
        Arrays.fill(w, 1f);
        float[] y = new float[1];
        K.conv().fwd(p, iota(25), 0, w, 0, new float[]{0.5f}, 0, Epilogue.NONE, y, 0);
        // rows {0,2,4} x cols {0,2,4} of x[i][j] = 5i + j: 3*5*(0+2+4) + 3*(0+2+4) = 108, plus bias
        assertEquals(108.5f, y[0]);
        float[] dw = new float[9];
        K.conv().bwdWeights(p, iota(25), 0, new float[]{1}, 0, dw, 0, null, 0);
        assertArrayEquals(new float[]{0, 2, 4, 10, 12, 14, 20, 22, 24}, dw);
    }

    @Test
    void groupsKeepChannelsApart() {
        ConvParams p = ConvParams.builder().input(1, 4, 2, 2).kernel(2, 1, 1).groups(2).build();
        float[] x = new float[16];
        for (int c = 0; c < 4; c++) Arrays.fill(x, c * 4, c * 4 + 4, (float) Math.pow(10, c)); // channel c = 10^c
        // output 0 sees channels 0,1 with weights (1, 2); output 1 sees channels 2,3 with (3, 4)
        float[] y = new float[8];
        K.conv().fwd(p, x, 0, new float[]{1, 2, 3, 4}, 0, null, 0, Epilogue.RELU, y, 0);
        assertArrayEquals(new float[]{21, 21, 21, 21, 4300, 4300, 4300, 4300}, y);
        // depthwise 3x3 with pad 1 on a constant plane: corner 4 taps, edge 6, centre 9
        ConvParams dwp = ConvParams.builder().input(1, 2, 3, 3).kernel(2, 3, 3).pad(1).groups(2).build();
        float[] ones = new float[18];
        Arrays.fill(ones, 1f);
        float[] w = new float[18];
        Arrays.fill(w, 0, 9, 1f);
        Arrays.fill(w, 9, 18, -1f);
        float[] dy = new float[18];
        K.conv().fwd(dwp, ones, 0, w, 0, null, 0, Epilogue.NONE, dy, 0);
        assertArrayEquals(new float[]{4, 6, 4, 6, 9, 6, 4, 6, 4, -4, -6, -4, -6, -9, -6, -4, -6, -4}, dy);
    }

    @Test
    void ceilModePoolingKeepsTheLastPartialWindow() {
        PoolParams p = new PoolParams(1, 1, 5, 5, 2, 2, 2, 2, 0, 0, 0, 0, true, false);
        assertEquals(3, p.outH());
        float[] y = new float[9];
        int[] argmax = new int[9];
        K.pool().maxFwd(p, iota(25), 0, y, 0, argmax, 0);
        assertArrayEquals(new float[]{6, 8, 9, 16, 18, 19, 21, 23, 24}, y);
        assertArrayEquals(new int[]{6, 8, 9, 16, 18, 19, 21, 23, 24}, argmax, "argmax = ih*W + iw within the plane");
        K.pool().avgFwd(p, iota(25), 0, y, 0);
        assertArrayEquals(new float[]{3, 5, 6.5f, 13, 15, 16.5f, 20.5f, 22.5f, 24}, y);
        // maxBwd overwrites dx and routes dy to the argmax
        float[] dx = new float[25];
        Arrays.fill(dx, 7f);
        K.pool().maxBwd(p, iota(9), 0, argmax, 0, dx, 0);
        float[] expected = new float[25];
        for (int o = 0; o < 9; o++) expected[argmax[o]] = o;
        assertArrayEquals(expected, dx);
    }

    @Test
    void avgPoolDivisorsWithAndWithoutPadding() {
        float[] ones = new float[9];
        Arrays.fill(ones, 1f);
        float[] y = new float[9];
        K.pool().avgFwd(new PoolParams(1, 1, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, false, true), ones, 0, y, 0);
        assertArrayEquals(new float[]{4 / 9f, 6 / 9f, 4 / 9f, 6 / 9f, 1, 6 / 9f, 4 / 9f, 6 / 9f, 4 / 9f}, y, 1e-6f);
        K.pool().avgFwd(new PoolParams(1, 1, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, false, false), ones, 0, y, 0);
        for (float v : y) assertEquals(1f, v, 1e-6f);
    }

    @Test
    void sgemmBetaZeroDoesNotReadC() {
        float[] c = {Float.NaN, Float.NaN, Float.NaN, Float.NaN};
        // [1 2; 3 4] * [5 6; 7 8] = [19 22; 43 50]
        K.dense().sgemm(false, false, 2, 2, 2, 1f, new float[]{1, 2, 3, 4}, 0, 2, new float[]{5, 6, 7, 8}, 0, 2, 0f, c, 0, 2);
        assertArrayEquals(new float[]{19, 22, 43, 50}, c);
        // A^T B^T with beta 1: [1 3; 2 4] * [5 7; 6 8] + C
        K.dense().sgemm(true, true, 2, 2, 2, 1f, new float[]{1, 2, 3, 4}, 0, 2, new float[]{5, 6, 7, 8}, 0, 2, 1f, c, 0, 2);
        assertArrayEquals(new float[]{19 + 23, 22 + 31, 43 + 34, 50 + 46}, c);
    }

    @Test
    void elementwiseSameAndDifferentOffsetsAgree() {
        Random rnd = new Random(SEED);
        int len = 5000;
        float[] a = new float[len + 9], b = new float[len + 9];
        for (int i = 0; i < a.length; i++) { a[i] = rnd.nextFloat() - 0.5f; b[i] = rnd.nextFloat() - 0.5f; }
        float[] same = new float[len + 9], shifted = new float[len + 9];
        K.elementwise().add(a, 4, b, 4, same, 4, len, true);
        K.elementwise().add(at(slice(a, 4, len), 1), 1, at(slice(b, 4, len), 6), 6, shifted, 2, len, true);
        for (int i = 0; i < len; i++) {
            float expected = Math.max(a[4 + i] + b[4 + i], 0f);
            assertEquals(expected, same[4 + i], "seed " + SEED + " same-offset add at " + i);
            assertEquals(expected, shifted[2 + i], "seed " + SEED + " staged add at " + i);
        }
        float[] y = slice(b, 0, len + 9);
        K.elementwise().axpy(len, 0.5f, a, 1, y, 3);
        for (int i = 0; i < len; i++) assertEquals(b[3 + i] + 0.5f * a[1 + i], y[3 + i], 1e-6f, "seed " + SEED + " axpy at " + i);
        double ss = K.elementwise().sumOfSquares(len, a, 2);
        double ref = 0;
        for (int i = 0; i < len; i++) ref += (double) a[2 + i] * a[2 + i];
        assertEquals(ref, ss, 1e-6 * ref);
        float[] act = new float[len + 3];
        K.activation().fwd(Epilogue.leakyRelu(0.1f), a, 5, act, 3, len);
        for (int i = 0; i < len; i++) assertEquals(Epilogue.leakyRelu(0.1f).apply(a[5 + i]), act[3 + i], "seed " + SEED + " leaky at " + i);
    }

    // ------------------------------------------------------------------ random ragged shapes vs a direct double loop

    /** y = xcorr(x, w) + b in double, the definition in ConvParams. */
    private static double[] directFwd(ConvParams p, float[] x, float[] w, float[] b) {
        double[] y = new double[p.outputSize()];
        int oh = p.outH(), ow = p.outW(), cg = p.cg(), kg = p.kg();
        for (int n = 0; n < p.n(); n++)
            for (int k = 0; k < p.k(); k++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        double sum = b == null ? 0 : b[k];
                        for (int c = 0; c < cg; c++)
                            for (int r = 0; r < p.r(); r++)
                                for (int s = 0; s < p.s(); s++) {
                                    int ih = i * p.strideH() + r * p.dilationH() - p.padTop(), iw = j * p.strideW() + s * p.dilationW() - p.padLeft();
                                    if (ih < 0 || ih >= p.h() || iw < 0 || iw >= p.w()) continue;
                                    sum += (double) x[((n * p.c() + k / kg * cg + c) * p.h() + ih) * p.w() + iw] * w[((k * cg + c) * p.r() + r) * p.s() + s];
                                }
                        y[((n * p.k() + k) * oh + i) * ow + j] = sum;
                    }
        return y;
    }

    @Test
    void randomRaggedConvolutionsMatchTheDefinition() {
        Random rnd = new Random(SEED);
        for (int trial = 0; trial < 60; trial++) {
            int groups = 1 + rnd.nextInt(3);
            int c = groups * (1 + rnd.nextInt(5)), k = groups * (1 + rnd.nextInt(7));
            int r = 1 + rnd.nextInt(4), s = 1 + rnd.nextInt(4);
            int dh = 1 + rnd.nextInt(2), dwl = 1 + rnd.nextInt(2);
            int h = dh * (r - 1) + 1 + rnd.nextInt(9), w = dwl * (s - 1) + 1 + rnd.nextInt(11);
            ConvParams p = new ConvParams(1 + rnd.nextInt(3), c, h, w, k, r, s, 1 + rnd.nextInt(3), 1 + rnd.nextInt(3),
                    rnd.nextInt(3), rnd.nextInt(3), rnd.nextInt(3), rnd.nextInt(3), dh, dwl, groups);
            checkConv(p, rnd, "seed " + SEED + " trial " + trial + " " + p);
        }
    }

    /** Tiny planes with many channels take the channel-vectorized path (ResNet's last stage); groups and stride too. */
    @Test
    void tinyPlanesWithManyChannelsMatchTheDefinition() {
        Random rnd = new Random(SEED + 2);
        checkConv(ConvParams.of(1, 64, 4, 5, 64, 3, 3, 1, 1), rnd, "seed " + SEED + " 64->64 on 4x5");
        checkConv(ConvParams.of(2, 72, 3, 3, 96, 3, 3, 1, 1), rnd, "seed " + SEED + " 72->96 on 3x3 batch 2");
        checkConv(new ConvParams(1, 128, 7, 6, 128, 3, 2, 2, 1, 1, 0, 2, 1, 1, 2, 2), rnd, "seed " + SEED + " grouped strided dilated");
        checkConv(new ConvParams(1, 64, 5, 5, 64, 1, 1, 1, 1, 2, 1, 0, 2, 1, 1, 1), rnd, "seed " + SEED + " 1x1 with padding (cropping input gradient)");
    }

    private static void checkConv(ConvParams p, Random rnd, String what) {
        {
            float[] x = random(rnd, p.inputSize()), wt = random(rnd, p.weightSize()), b = random(rnd, p.k()), dz = random(rnd, p.outputSize());

            double[] ref = directFwd(p, x, wt, b);
            float[] y = new float[p.outputSize()];
            K.conv().fwd(p, x, 0, wt, 0, b, 0, Epilogue.NONE, y, 0);
            assertClose(what + " fwd", ref, y);
            // packed once, used twice: the second call must agree (cached channel rows)
            PackedConvWeights packed = K.conv().pack(p, wt, 0);
            float[] y2 = new float[p.outputSize()];
            K.conv().fwd(p, x, 0, packed, b, 0, Epilogue.NONE, y2, 0);
            K.conv().fwd(p, x, 0, packed, b, 0, Epilogue.NONE, y2, 0);
            assertClose(what + " fwd packed", ref, y2);

            // sum(y*dz) is linear in x and w: its gradients are checked as the directional derivatives
            // <dx, e> = <dz, conv(e, w)> and <dw, e> = <dz, conv(x, e)> for random e
            float[] dx = new float[p.inputSize()], dw = new float[p.weightSize()], db = new float[p.k()];
            K.conv().bwdData(p, dz, 0, wt, 0, dx, 0);
            K.conv().bwdWeights(p, x, 0, dz, 0, dw, 0, db, 0);
            float[] ex = random(rnd, p.inputSize()), ew = random(rnd, p.weightSize());
            assertEquals(dot(dz, directFwd(p, ex, wt, null)), dot(dx, ex), 1e-4 * (1 + norm(dz) * norm(ex) * 4), what + " bwdData");
            assertEquals(dot(dz, directFwd(p, x, ew, null)), dot(dw, ew), 1e-4 * (1 + norm(dz) * norm(ew) * 4), what + " bwdWeights");
            for (int kk = 0; kk < p.k(); kk++) {
                double sum = 0;
                for (int n = 0; n < p.n(); n++) for (int q = 0; q < p.outH() * p.outW(); q++) sum += dz[(n * p.k() + kk) * p.outH() * p.outW() + q];
                assertEquals(sum, db[kk], 1e-4 * (1 + Math.abs(sum)), what + " db");
            }
        }
    }

    @Test
    void randomGemmsMatchTheDefinition() {
        Random rnd = new Random(SEED + 1);
        for (int trial = 0; trial < 40; trial++) {
            boolean ta = rnd.nextBoolean(), tb = rnd.nextBoolean();
            int m = 1 + rnd.nextInt(trial < 30 ? 9 : 150), n = 1 + rnd.nextInt(trial < 30 ? 9 : 600), k = 1 + rnd.nextInt(trial < 30 ? 9 : 300);
            int lda = (ta ? m : k) + rnd.nextInt(3), ldb = (tb ? k : n) + rnd.nextInt(3), ldc = n + rnd.nextInt(3);
            float alpha = rnd.nextFloat() * 2 - 1, beta = rnd.nextInt(3) == 0 ? 0f : rnd.nextFloat();
            float[] a = random(rnd, (ta ? k : m) * lda + 2), b = random(rnd, (tb ? n : k) * ldb + 2), c = random(rnd, m * ldc + 2);
            float[] c0 = c.clone();
            K.dense().sgemm(ta, tb, m, n, k, alpha, a, 2, lda, b, 2, ldb, beta, c, 2, ldc);
            String what = "seed " + SEED + " trial " + trial + " sgemm " + ta + tb + " " + m + "x" + n + "x" + k;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    for (int l = 0; l < k; l++) sum += (double) (ta ? a[2 + l * lda + i] : a[2 + i * lda + l]) * (tb ? b[2 + j * ldb + l] : b[2 + l * ldb + j]);
                    double expected = alpha * sum + (beta == 0f ? 0 : beta * c0[2 + i * ldc + j]);
                    assertEquals(expected, c[2 + i * ldc + j], 1e-5 * (1 + k), what + " at " + i + "," + j);
                }
            // the padding between rows (ldc > n) and around C is untouched
            for (int i = 0; i < m; i++) for (int j = n; j < ldc && 2 + i * ldc + j < c.length; j++)
                if (i < m - 1) assertEquals(c0[2 + i * ldc + j], c[2 + i * ldc + j], what + " wrote outside C");
            assertEquals(c0[0], c[0], what + " wrote before C");
        }
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return a;
    }

    private static double dot(float[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    private static double norm(float[] a) {
        return Math.sqrt(dot(a, a));
    }

    private static void assertClose(String what, double[] expected, float[] actual) {
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= 1e-4 * (1 + Math.abs(expected[i])),
                    what + ": element " + i + " expected " + expected[i] + " got " + actual[i]);
        }
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void badInputIsRejectedWithShapesBeforeAnyWrite() {
        ConvParams p = ConvParams.of(1, 2, 5, 5, 3, 3, 3, 1, 1);
        float[] y = new float[p.outputSize()];
        Arrays.fill(y, 42f);
        PackedConvWeights w = K.conv().pack(p, new float[p.weightSize()], 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> K.conv().fwd(p, new float[p.inputSize() - 1], 0, w, null, 0, Epilogue.NONE, y, 0));
        assertTrue(e.getMessage().contains("x") && e.getMessage().contains("5x5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> K.conv().fwd(p, new float[p.inputSize()], 0, w, new float[2], 0, Epilogue.NONE, y, 0));
        assertThrows(IllegalArgumentException.class, () -> K.conv().fwd(p, new float[p.inputSize()], 0, w, null, 0, Epilogue.NONE, y, 1));
        for (float v : y) assertEquals(42f, v, "nothing written on rejected input");
        PackedConvWeights foreign = io.github.vcnn.kernels.Kernels.scalar().conv().pack(p, new float[p.weightSize()], 0);
        e = assertThrows(IllegalArgumentException.class, () -> K.conv().fwd(p, new float[p.inputSize()], 0, foreign, null, 0, Epilogue.NONE, y, 0));
        assertTrue(e.getMessage().contains("scalar"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> K.conv().fwd(p.withBatch(1), new float[p.inputSize()], 0,
                K.conv().pack(ConvParams.of(1, 2, 5, 5, 4, 3, 3, 1, 1), new float[72], 0), null, 0, Epilogue.NONE, y, 0));
        assertThrows(IllegalArgumentException.class, () -> K.conv().bwdData(p, new float[p.outputSize()], 0, new float[3], 0, new float[p.inputSize()], 0));
        assertThrows(IllegalArgumentException.class, () -> K.conv().bwdWeights(p, null, 0, new float[p.outputSize()], 0, new float[p.weightSize()], 0, null, 0));
        e = assertThrows(IllegalArgumentException.class, () -> K.dense().sgemm(false, false, 2, 2, 2, Float.NaN,
                new float[4], 0, 2, new float[4], 0, 2, 0f, new float[4], 0, 2));
        assertTrue(e.getMessage().contains("alpha"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> K.dense().sgemm(false, false, 2, 3, 2, 1f,
                new float[4], 0, 2, new float[6], 0, 2, 0f, new float[6], 0, 3));
        assertTrue(e.getMessage().contains("leading dimension of b"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> K.dense().fwd(new DenseParams(2, 3, 4), new float[6], 0, new float[11], 0, null, 0, Epilogue.RELU, new float[8], 0));
        assertThrows(IllegalArgumentException.class, () -> K.pool().maxBwd(PoolParams.of(1, 1, 4, 4, 2, 2, 0), new float[4], 0, new int[]{0, 1, 2, 16}, 0, new float[16], 0));
        assertThrows(IllegalArgumentException.class, () -> K.pool().globalAvgFwd(1, 2, 0, new float[2], 0, new float[2], 0));
        assertThrows(IllegalArgumentException.class, () -> K.activation().fwd(Epilogue.RELU, new float[3], 0, new float[2], 0, 3));
        assertThrows(IllegalArgumentException.class, () -> K.elementwise().add(new float[3], 0, new float[3], 1, new float[3], 0, 3, false));
        assertThrows(IllegalArgumentException.class, () -> K.elementwise().scale(2, Float.NaN, new float[2], 0, new float[2], 0));
        assertThrows(IllegalArgumentException.class, () -> K.softmax().crossEntropy(1, 3, new float[3], 0, new int[]{3}, 0, null, 0, null, 0));
        assertThrows(IllegalArgumentException.class, () -> K.softmax().softmax(0, 3, new float[3], 0, new float[3], 0));
        assertThrows(IllegalArgumentException.class, () -> K.optimizer().adam(2, new float[2], 0, new float[2], 0, new float[2], 0, new float[2], 0,
                Float.NaN, 0.9f, 0.999f, 1e-8f, 0f, false, 1));
        assertThrows(IllegalArgumentException.class, () -> K.optimizer().adam(2, new float[2], 0, new float[2], 0, new float[2], 0, new float[2], 0,
                1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false, 0));
        assertThrows(IllegalArgumentException.class, () -> K.optimizer().sgd(2, new float[2], 0, new float[2], 0, null, 0,
                0.1f, 0.9f, 0f, 0f, false, true));
    }
}
