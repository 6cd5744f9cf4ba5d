package io.github.vcnn.kernels;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Random configurations (odd sizes, channel tails, 1x1, stride/pad/dilation corners, groups, batch > 1, every
 * epilogue) comparing every fast kernel variant with the scalar reference: 340 configurations per run.
 * Seeded from {@code -Dvcnn.test.seed} or the clock; every failure message carries the seed to replay it.
 * Outputs live at random offsets inside arrays filled with a sentinel, so a write outside its range fails too,
 * and inputs are checked unchanged.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.github.vcnn.testing.TestSeed.Report.class)
class VariantCrossCheckTest {

    static final long SEED = io.github.vcnn.testing.TestSeed.SEED;
    private static final float SENTINEL = -7777.25f;

    private static final int CONV_CONFIGS = 150;
    private static final int POOL_CONFIGS = 45;
    private static final int ACTIVATION_CONFIGS = 25;
    private static final int DENSE_CONFIGS = 25;
    private static final int SGEMM_CONFIGS = 32;
    private static final int SOFTMAX_CONFIGS = 25;
    private static final int ELEMENTWISE_CONFIGS = 18;
    private static final int OPTIMIZER_CONFIGS = 20;

    private static final KernelProvider REF = Kernels.scalar();

    @BeforeAll
    static void announceSeed() {
        System.out.println("VariantCrossCheckTest seed=" + SEED + " (replay with -Dvcnn.test.seed=" + SEED + ")");
    }

    /** Every variant after the reference (Kernels.available() lists the reference first). */
    private static List<KernelProvider> fastVariants() {
        List<KernelProvider> all = Kernels.available();
        assertEquals("scalar", all.getFirst().name(), "Kernels.available() must list the reference first");
        List<KernelProvider> fast = all.subList(1, all.size());
        assertFalse(fast.isEmpty(), "no variant besides scalar to cross-check");
        return fast;
    }

    private static Random random(String family) {
        return new Random(SEED ^ family.hashCode());
    }

    // ---------------------------------------------------------------- helpers

    /** A random float array of {@code off + len + tail}, uniform in [-scale, scale). */
    private static float[] data(Random rnd, int off, int len, int tail, float scale) {
        float[] a = new float[off + len + tail];
        for (int i = 0; i < a.length; i++) a[i] = (rnd.nextFloat() * 2 - 1) * scale;
        return a;
    }

    /** An output array of {@code off + len + tail} filled with the sentinel. */
    private static float[] out(int off, int len, int tail) {
        float[] a = new float[off + len + tail];
        Arrays.fill(a, SENTINEL);
        return a;
    }

    private static int pick(Random rnd, int... values) {
        return values[rnd.nextInt(values.length)];
    }

    private static Epilogue randomEpilogue(Random rnd) {
        return switch (rnd.nextInt(5)) {
            case 0 -> Epilogue.NONE;
            case 1 -> Epilogue.RELU;
            case 2 -> Epilogue.leakyRelu(0.01f + rnd.nextFloat() * 0.4f);
            case 3 -> Epilogue.SIGMOID;
            default -> Epilogue.clip(-0.5f + rnd.nextFloat() * 0.3f, 0.2f + rnd.nextFloat() * 0.5f);
        };
    }

    /** Compares {@code len} values at the offsets: |got - ref| <= tol * (1 + |ref| + 0.1 max|ref|), and the guards untouched. */
    static void close(String ctx, float[] ref, int refOff, float[] got, int gotOff, int len, double tol) {
        double scale = 0;
        for (int i = 0; i < len; i++) scale = Math.max(scale, Math.abs(ref[refOff + i]));
        for (int i = 0; i < len; i++) {
            double r = ref[refOff + i], g = got[gotOff + i];
            double err = Math.abs(g - r);
            boolean bothNaN = Double.isNaN(r) && Double.isNaN(g);
            if (!bothNaN && !(err <= tol * (1 + Math.abs(r) + 0.1 * scale))) {
                fail(ctx + ": element " + i + " reference " + r + " got " + g + " (|err| " + err + ", tol " + tol + ")");
            }
        }
    }

    /** The guard regions [0, off) and [off+len, end) still hold the sentinel. */
    static void guards(String ctx, float[] a, int off, int len) {
        for (int i = 0; i < a.length; i++) {
            if ((i < off || i >= off + len) && Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(SENTINEL)) {
                fail(ctx + ": wrote outside its output at index " + i + " (output is [" + off + ", " + (off + len) + "))");
            }
        }
    }

    static void unchanged(String ctx, String name, float[] before, float[] after) {
        if (!Arrays.equals(before, after)) fail(ctx + ": input " + name + " was modified");
    }

    private static String ctx(KernelProvider k, String family, int i, Object config) {
        return k.name() + " vs scalar, seed=" + SEED + ", " + family + " #" + i + ": " + config;
    }

    // ---------------------------------------------------------------- convolution

    static ConvParams randomConv(Random rnd) {
        while (true) {
            int groups, cg, kg;
            int kind = rnd.nextInt(10);
            if (kind < 2) { // depthwise, sometimes with a channel multiplier
                groups = 1 + rnd.nextInt(20);
                cg = 1;
                kg = rnd.nextInt(4) == 0 ? 2 : 1;
            } else if (kind < 4) {
                groups = 2 + rnd.nextInt(3);
                cg = 1 + rnd.nextInt(6);
                kg = pick(rnd, 1, 2, 3, 5, 8, 16, 17);
            } else {
                groups = 1;
                cg = pick(rnd, 1, 2, 3, 4, 7, 8, 16, 17, 19, 32);
                kg = pick(rnd, 1, 3, 5, 8, 15, 16, 17, 31, 32, 33);
            }
            int r = pick(rnd, 1, 1, 2, 3, 3, 3, 5, 7);
            int s = rnd.nextInt(3) == 0 ? pick(rnd, 1, 2, 3, 5) : r;
            int sh = pick(rnd, 1, 1, 1, 2, 2, 3);
            int sw = rnd.nextInt(4) == 0 ? pick(rnd, 1, 2, 3) : sh;
            int dh = rnd.nextInt(5) == 0 ? pick(rnd, 2, 3) : 1;
            int dw = rnd.nextInt(5) == 0 ? pick(rnd, 2, 3) : dh;
            int pt = rnd.nextInt(4), pl = rnd.nextInt(4);
            boolean asym = rnd.nextInt(3) == 0;
            int pb = asym ? rnd.nextInt(4) : pt, pr = asym ? rnd.nextInt(4) : pl;
            int n = pick(rnd, 1, 1, 1, 2, 3);
            int h = 1 + rnd.nextInt(20), w = 1 + rnd.nextInt(24);
            try {
                ConvParams p = new ConvParams(n, cg * groups, h, w, kg * groups, r, s, sh, sw, pt, pl, pb, pr, dh, dw, groups);
                if (p.flops() <= 4_000_000L) return p;
            } catch (IllegalArgumentException tooSmallForTheKernel) {
                // draw again
            }
        }
    }

    /** Layer-like shapes (many channels, 1x1 / 3x3 / 5x5, depthwise) that take the fast kernels' blocked paths. */
    static ConvParams mediumConv(Random rnd) {
        int n = pick(rnd, 1, 2), h = 8 + rnd.nextInt(9), w = 8 + rnd.nextInt(9);
        if (rnd.nextInt(4) == 0) {
            int c = pick(rnd, 32, 64, 96);
            int stride = pick(rnd, 1, 2);
            return new ConvParams(n, c, h + 8, w + 8, c, 3, 3, stride, stride, 1, 1, 1, 1, 1, 1, c);
        }
        int c = pick(rnd, 24, 48, 64, 96), k = pick(rnd, 32, 64, 80, 128);
        int r = pick(rnd, 1, 3, 3, 5), stride = pick(rnd, 1, 1, 2);
        ConvParams p = new ConvParams(n, c, h, w, k, r, r, stride, stride, r / 2, r / 2, r / 2, r / 2, 1, 1, 1);
        return p.flops() <= 15_000_000L ? p : p.withBatch(1);
    }

    @Test
    void convolution() {
        Random rnd = random("conv");
        List<KernelProvider> fast = fastVariants();
        for (int i = 0; i < CONV_CONFIGS; i++) {
            ConvParams p = i % 15 == 14 ? mediumConv(rnd) : randomConv(rnd);
            Epilogue act = randomEpilogue(rnd);
            boolean hasBias = rnd.nextInt(4) != 0;
            int off = rnd.nextInt(5), tail = rnd.nextInt(5);
            float wScale = (float) (1.5 / Math.sqrt(p.cg() * p.r() * p.s()));
            float[] x = data(rnd, off, p.inputSize(), tail, 1f);
            float[] w = data(rnd, off, p.weightSize(), tail, wScale);
            float[] bias = hasBias ? data(rnd, off, p.k(), tail, 0.5f) : null;
            float[] dz = data(rnd, off, p.outputSize(), tail, 1f);
            float[] x0 = x.clone(), w0 = w.clone(), dz0 = dz.clone();
            // sometimes weights packed once for another image size (packing depends on C, K, R, S, groups only)
            boolean otherImage = rnd.nextInt(5) == 0;
            ConvParams packFor = otherImage ? new ConvParams(1, p.c(), p.h() + 7, p.w() + 3, p.k(), p.r(), p.s(), p.strideH(), p.strideW(),
                    p.padTop(), p.padLeft(), p.padBottom(), p.padRight(), p.dilationH(), p.dilationW(), p.groups()) : p;
            boolean unpackedOverload = !otherImage && rnd.nextInt(4) == 0;
            String config = p + " act " + act + (hasBias ? " bias" : " no bias") + " off " + off
                    + (otherImage ? " (packed for " + packFor + ")" : "") + (unpackedOverload ? " (unpacked fwd)" : "");

            float[] yRef = out(off, p.outputSize(), tail);
            REF.conv().fwd(p, x, off, REF.conv().pack(p, w, off), bias, off, act, yRef, off);
            float[] dxRef = out(off, p.inputSize(), tail);
            REF.conv().bwdData(p, dz, off, w, off, dxRef, off);
            float[] dwRef = out(off, p.weightSize(), tail), dbRef = out(off, p.k(), tail);
            REF.conv().bwdWeights(p, x, off, dz, off, dwRef, off, hasBias ? dbRef : null, off);

            for (KernelProvider k : fast) {
                String ctx = ctx(k, "conv", i, config);
                float[] y = out(off, p.outputSize(), tail);
                if (unpackedOverload) k.conv().fwd(p, x, off, w, off, bias, off, act, y, off);
                else k.conv().fwd(p, x, off, k.conv().pack(packFor, w, off), bias, off, act, y, off);
                close(ctx + " fwd y", yRef, off, y, off, p.outputSize(), 2e-4);
                guards(ctx + " fwd y", y, off, p.outputSize());

                float[] dx = out(off, p.inputSize(), tail);
                k.conv().bwdData(p, dz, off, w, off, dx, off);
                close(ctx + " bwdData dx", dxRef, off, dx, off, p.inputSize(), 2e-4);
                guards(ctx + " bwdData dx", dx, off, p.inputSize());

                float[] dw = out(off, p.weightSize(), tail), db = out(off, p.k(), tail);
                k.conv().bwdWeights(p, x, off, dz, off, dw, off, hasBias ? db : null, off);
                close(ctx + " bwdWeights dw", dwRef, off, dw, off, p.weightSize(), 2e-4);
                guards(ctx + " bwdWeights dw", dw, off, p.weightSize());
                if (hasBias) close(ctx + " bwdWeights db", dbRef, off, db, off, p.k(), 2e-4);
                guards(ctx + " bwdWeights db", db, hasBias ? off : 0, hasBias ? p.k() : 0);

                unchanged(ctx, "x", x0, x);
                unchanged(ctx, "w", w0, w);
                unchanged(ctx, "dz", dz0, dz);
            }
        }
    }

    // ---------------------------------------------------------------- pooling

    static PoolParams randomPool(Random rnd) {
        if (rnd.nextInt(4) == 0) { // the windows of CNNs, which fast kernels special-case: 2x2 stride 2, 3x3 stride 2 pad 1
            boolean twoByTwo = rnd.nextBoolean();
            int k = twoByTwo ? 2 : 3, pad = twoByTwo ? 0 : 1;
            return new PoolParams(pick(rnd, 1, 2), pick(rnd, 1, 3, 16, 17, 32), 2 + rnd.nextInt(40), 2 + rnd.nextInt(40),
                    k, k, 2, 2, pad, pad, pad, pad, rnd.nextBoolean(), rnd.nextBoolean());
        }
        while (true) {
            int kh = pick(rnd, 1, 2, 2, 3, 3, 4), kw = rnd.nextInt(3) == 0 ? pick(rnd, 1, 2, 3) : kh;
            int sh = pick(rnd, 1, 2, 2, 3), sw = rnd.nextInt(3) == 0 ? pick(rnd, 1, 2, 3) : sh;
            int pt = rnd.nextInt(kh), pl = rnd.nextInt(kw);
            boolean asym = rnd.nextInt(4) == 0;
            int pb = asym ? rnd.nextInt(kh) : pt, pr = asym ? rnd.nextInt(kw) : pl;
            int n = pick(rnd, 1, 1, 2), c = pick(rnd, 1, 3, 5, 8, 16, 17, 20);
            int h = 1 + rnd.nextInt(24), w = 1 + rnd.nextInt(26);
            try {
                return new PoolParams(n, c, h, w, kh, kw, sh, sw, pt, pl, pb, pr, rnd.nextBoolean(), rnd.nextBoolean());
            } catch (IllegalArgumentException windowTooLarge) {
                // draw again
            }
        }
    }

    @Test
    void pooling() {
        Random rnd = random("pool");
        List<KernelProvider> fast = fastVariants();
        for (int i = 0; i < POOL_CONFIGS; i++) {
            PoolParams p = randomPool(rnd);
            boolean ties = rnd.nextInt(4) == 0; // few distinct values: the first maximum of a window must win
            int off = rnd.nextInt(5), tail = rnd.nextInt(5);
            float[] x = data(rnd, off, p.inputSize(), tail, 1f);
            if (ties) for (int j = 0; j < x.length; j++) x[j] = Math.round(x[j] * 1.5f);
            float[] dy = data(rnd, off, p.outputSize(), tail, 1f);
            float[] x0 = x.clone();
            String config = p + (ties ? " with ties" : "") + " off " + off;

            float[] yMaxRef = out(off, p.outputSize(), tail);
            int[] argRef = new int[off + p.outputSize() + tail];
            REF.pool().maxFwd(p, x, off, yMaxRef, off, argRef, off);
            float[] dxMaxRef = out(off, p.inputSize(), tail);
            REF.pool().maxBwd(p, dy, off, argRef, off, dxMaxRef, off);
            float[] yAvgRef = out(off, p.outputSize(), tail);
            REF.pool().avgFwd(p, x, off, yAvgRef, off);
            float[] dxAvgRef = out(off, p.inputSize(), tail);
            REF.pool().avgBwd(p, dy, off, dxAvgRef, off);
            int hw = p.h() * p.w(), planes = p.n() * p.c();
            float[] gAvgRef = out(off, planes, tail), gMaxRef = out(off, planes, tail), gDxRef = out(off, planes * hw, tail);
            REF.pool().globalAvgFwd(p.n(), p.c(), hw, x, off, gAvgRef, off);
            REF.pool().globalMaxFwd(p.n(), p.c(), hw, x, off, gMaxRef, off);
            REF.pool().globalAvgBwd(p.n(), p.c(), hw, dy, off, gDxRef, off);

            for (KernelProvider k : fast) {
                String ctx = ctx(k, "pool", i, config);
                float[] y = out(off, p.outputSize(), tail);
                int[] arg = new int[off + p.outputSize() + tail];
                k.pool().maxFwd(p, x, off, y, off, arg, off);
                close(ctx + " maxFwd y", yMaxRef, off, y, off, p.outputSize(), 0);
                guards(ctx + " maxFwd y", y, off, p.outputSize());
                for (int o = 0; o < p.outputSize(); o++) {
                    if (arg[off + o] != argRef[off + o]) {
                        fail(ctx + " maxFwd argmax[" + o + "] = " + arg[off + o] + ", reference " + argRef[off + o]
                                + " (PyTorch: the first maximum in row-major window order)");
                    }
                }
                float[] yNoArg = out(off, p.outputSize(), tail);
                k.pool().maxFwd(p, x, off, yNoArg, off, null, 0);
                close(ctx + " maxFwd y without argmax", yMaxRef, off, yNoArg, off, p.outputSize(), 0);

                float[] dx = out(off, p.inputSize(), tail);
                k.pool().maxBwd(p, dy, off, arg, off, dx, off);
                close(ctx + " maxBwd dx", dxMaxRef, off, dx, off, p.inputSize(), 1e-6);
                guards(ctx + " maxBwd dx", dx, off, p.inputSize());

                float[] ya = out(off, p.outputSize(), tail);
                k.pool().avgFwd(p, x, off, ya, off);
                close(ctx + " avgFwd y", yAvgRef, off, ya, off, p.outputSize(), 1e-6);
                guards(ctx + " avgFwd y", ya, off, p.outputSize());
                float[] dxa = out(off, p.inputSize(), tail);
                k.pool().avgBwd(p, dy, off, dxa, off);
                close(ctx + " avgBwd dx", dxAvgRef, off, dxa, off, p.inputSize(), 1e-6);
                guards(ctx + " avgBwd dx", dxa, off, p.inputSize());

                float[] ga = out(off, planes, tail), gm = out(off, planes, tail), gdx = out(off, planes * hw, tail);
                k.pool().globalAvgFwd(p.n(), p.c(), hw, x, off, ga, off);
                close(ctx + " globalAvgFwd", gAvgRef, off, ga, off, planes, 1e-5);
                guards(ctx + " globalAvgFwd", ga, off, planes);
                k.pool().globalMaxFwd(p.n(), p.c(), hw, x, off, gm, off);
                close(ctx + " globalMaxFwd", gMaxRef, off, gm, off, planes, 0);
                guards(ctx + " globalMaxFwd", gm, off, planes);
                k.pool().globalAvgBwd(p.n(), p.c(), hw, dy, off, gdx, off);
                close(ctx + " globalAvgBwd", gDxRef, off, gdx, off, planes * hw, 1e-6);
                guards(ctx + " globalAvgBwd", gdx, off, planes * hw);
                unchanged(ctx, "x", x0, x);
            }
        }
    }

    // ---------------------------------------------------------------- activations

    @Test
    void activations() {
        Random rnd = random("activation");
        List<KernelProvider> fast = fastVariants();
        for (int i = 0; i < ACTIVATION_CONFIGS; i++) {
            Epilogue act = i < 5 ? List.of(Epilogue.NONE, Epilogue.RELU, Epilogue.leakyRelu(0.1f), Epilogue.SIGMOID,
                    Epilogue.clip(-1f, 0.5f)).get(i) : randomEpilogue(rnd);
            int len = i % 3 == 0 ? pick(rnd, 0, 1, 7, 15, 16, 17, 31, 33, 64, 65) : rnd.nextInt(700);
            int off = rnd.nextInt(20), tail = rnd.nextInt(5);
            float[] x = data(rnd, off, len, tail, 4f);
            // corners: exact zeros, -0, large magnitudes where sigmoid saturates
            for (int j = off; j < off + len; j += 7) x[j] = pick(rnd, 0, 1, 2, 3) == 0 ? 0f : (rnd.nextBoolean() ? -0f : (rnd.nextFloat() - 0.5f) * 200f);
            float[] dy = data(rnd, off, len, tail, 1f);
            float[] x0 = x.clone();
            String config = act + " len " + len + " off " + off;
            float[] yRef = out(off, len, tail);
            REF.activation().fwd(act, x, off, yRef, off, len);
            float[] dxRef = out(off, len, tail);
            REF.activation().bwd(act, yRef, off, dy, off, dxRef, off, len);
            for (KernelProvider k : fast) {
                String ctx = ctx(k, "activation", i, config);
                float[] y = out(off, len, tail);
                k.activation().fwd(act, x, off, y, off, len);
                close(ctx + " fwd", yRef, off, y, off, len, 1e-6);
                guards(ctx + " fwd", y, off, len);
                float[] inPlace = x.clone();
                k.activation().fwdInPlace(act, inPlace, off, len);
                close(ctx + " fwdInPlace", yRef, off, inPlace, off, len, 1e-6);
                float[] dx = out(off, len, tail);
                k.activation().bwd(act, yRef, off, dy, off, dx, off, len);
                close(ctx + " bwd", dxRef, off, dx, off, len, 1e-6);
                guards(ctx + " bwd", dx, off, len);
                float[] dyInPlace = dy.clone();
                k.activation().bwd(act, yRef, off, dyInPlace, off, dyInPlace, off, len);
                close(ctx + " bwd in place", dxRef, off, dyInPlace, off, len, 1e-6);
                unchanged(ctx, "x", x0, x);
            }
        }
    }

    // ---------------------------------------------------------------- dense and sgemm

    @Test
    void dense() {
        Random rnd = random("dense");
        List<KernelProvider> fast = fastVariants();
        for (int i = 0; i < DENSE_CONFIGS; i++) {
            DenseParams p = new DenseParams(pick(rnd, 1, 2, 3, 8, 9, 17), pick(rnd, 1, 3, 15, 16, 17, 33, 64, 100, 257),
                    pick(rnd, 1, 2, 10, 16, 17, 31, 48, 65));
            Epilogue act = randomEpilogue(rnd);
            boolean hasBias = rnd.nextInt(4) != 0;
            int off = rnd.nextInt(5), tail = rnd.nextInt(5);
            int xLen = p.batch() * p.in(), wLen = p.out() * p.in(), yLen = p.batch() * p.out();
            float[] x = data(rnd, off, xLen, tail, 1f);
            float[] w = data(rnd, off, wLen, tail, (float) (1.5 / Math.sqrt(p.in())));
            float[] bias = hasBias ? data(rnd, off, p.out(), tail, 0.5f) : null;
            float[] dz = data(rnd, off, yLen, tail, 1f);
            String config = p + " act " + act + (hasBias ? " bias" : " no bias") + " off " + off;
            float[] yRef = out(off, yLen, tail), dxRef = out(off, xLen, tail), dwRef = out(off, wLen, tail), dbRef = out(off, p.out(), tail);
            REF.dense().fwd(p, x, off, w, off, bias, off, act, yRef, off);
            REF.dense().bwdData(p, dz, off, w, off, dxRef, off);
            REF.dense().bwdWeights(p, x, off, dz, off, dwRef, off, hasBias ? dbRef : null, off);
            for (KernelProvider k : fast) {
                String ctx = ctx(k, "dense", i, config);
                float[] y = out(off, yLen, tail), dx = out(off, xLen, tail), dw = out(off, wLen, tail), db = out(off, p.out(), tail);
                k.dense().fwd(p, x, off, w, off, bias, off, act, y, off);
                close(ctx + " fwd y", yRef, off, y, off, yLen, 2e-4);
                guards(ctx + " fwd y", y, off, yLen);
                // packed once for another batch size, from a copy scribbled over afterwards: the packing owns its data
                float[] wCopy = w.clone();
                PackedDenseWeights packed = k.dense().pack(new DenseParams(p.batch() + 3, p.in(), p.out()), wCopy, off);
                Arrays.fill(wCopy, Float.NaN);
                float[] yPacked = out(off, yLen, tail);
                k.dense().fwd(p, x, off, packed, bias, off, act, yPacked, off);
                close(ctx + " packed fwd y", yRef, off, yPacked, off, yLen, 2e-4);
                guards(ctx + " packed fwd y", yPacked, off, yLen);
                k.dense().bwdData(p, dz, off, w, off, dx, off);
                close(ctx + " bwdData dx", dxRef, off, dx, off, xLen, 2e-4);
                guards(ctx + " bwdData dx", dx, off, xLen);
                k.dense().bwdWeights(p, x, off, dz, off, dw, off, hasBias ? db : null, off);
                close(ctx + " bwdWeights dw", dwRef, off, dw, off, wLen, 2e-4);
                guards(ctx + " bwdWeights dw", dw, off, wLen);
                if (hasBias) close(ctx + " bwdWeights db", dbRef, off, db, off, p.out(), 2e-4);
                guards(ctx + " bwdWeights db", db, hasBias ? off : 0, hasBias ? p.out() : 0);
            }
        }
    }

    @Test
    void sgemm() {
        Random rnd = random("sgemm");
        List<KernelProvider> fast = fastVariants();
        for (int i = 0; i < SGEMM_CONFIGS; i++) {
            boolean transA = (i & 1) != 0, transB = (i & 2) != 0; // every combination, eight times
            int m = pick(rnd, 1, 2, 5, 16, 17, 31, 40), n = pick(rnd, 1, 3, 15, 16, 17, 33, 48), kk = pick(rnd, 1, 2, 7, 16, 17, 64, 65);
            int aRows = transA ? kk : m, aCols = transA ? m : kk, bRows = transB ? n : kk, bCols = transB ? kk : n;
            int lda = aCols + (rnd.nextBoolean() ? 0 : rnd.nextInt(4)), ldb = bCols + (rnd.nextBoolean() ? 0 : rnd.nextInt(4));
            int ldc = n + (rnd.nextBoolean() ? 0 : rnd.nextInt(4));
            float alpha = rnd.nextInt(6) == 0 ? 1f : (rnd.nextInt(10) == 0 ? 0f : rnd.nextFloat() * 4 - 2);
            float beta = switch (rnd.nextInt(4)) {
                case 0 -> 0f;
                case 1 -> 1f;
                default -> rnd.nextFloat() * 4 - 2;
            };
            int off = rnd.nextInt(5);
            float[] a = data(rnd, off, (aRows - 1) * lda + aCols, 3, 1f), b = data(rnd, off, (bRows - 1) * ldb + bCols, 3, 1f);
            int cLen = (m - 1) * ldc + n;
            float[] c0 = data(rnd, off, cLen, 3, 1f);
            if (beta == 0f) Arrays.fill(c0, Float.NaN); // BLAS: with beta == 0, C is not read
            for (int r = 0; r < m; r++) { // the gaps between rows (ldc > n) and the guards must stay untouched
                for (int j = n; j < ldc && r < m - 1; j++) c0[off + r * ldc + j] = SENTINEL;
            }
            String config = "C[" + m + "x" + n + "] = " + alpha + " * " + (transA ? "A^T" : "A") + " * " + (transB ? "B^T" : "B")
                    + " + " + beta + " * C, k " + kk + ", lda " + lda + " ldb " + ldb + " ldc " + ldc + " off " + off;
            float[] cRef = c0.clone();
            REF.dense().sgemm(transA, transB, m, n, kk, alpha, a, off, lda, b, off, ldb, beta, cRef, off, ldc);
            for (KernelProvider k : fast) {
                String ctx = ctx(k, "sgemm", i, config);
                float[] c = c0.clone();
                k.dense().sgemm(transA, transB, m, n, kk, alpha, a, off, lda, b, off, ldb, beta, c, off, ldc);
                for (int r = 0; r < m; r++) close(ctx + " row " + r, cRef, off + r * ldc, c, off + r * ldc, n, 2e-4);
                for (int j = 0; j < c.length; j++) {
                    boolean inside = j >= off && j < off + cLen && (j - off) % ldc < n;
                    if (!inside && Float.floatToRawIntBits(c[j]) != Float.floatToRawIntBits(c0[j])) {
                        fail(ctx + ": wrote outside C at index " + j);
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- softmax and losses

    @Test
    void softmaxAndLosses() {
        Random rnd = random("softmax");
        List<KernelProvider> fast = fastVariants();
        for (int i = 0; i < SOFTMAX_CONFIGS; i++) {
            int rows = pick(rnd, 1, 2, 7, 16, 33), cols = pick(rnd, 1, 2, 10, 15, 16, 17, 100, 1000);
            float scale = pick(rnd, 1, 5, 50, 500); // large logits: exp overflows unless the maximum is subtracted
            int off = rnd.nextInt(5), tail = rnd.nextInt(5), len = rows * cols;
            float[] x = data(rnd, off, len, tail, scale);
            int[] labels = new int[off + rows];
            for (int r = 0; r < rows; r++) labels[off + r] = rnd.nextInt(cols);
            float[] target = data(rnd, off, len, tail, 1f);
            boolean withProbs = rnd.nextBoolean(), withGrad = rnd.nextBoolean();
            String config = rows + "x" + cols + " logit scale " + scale + " off " + off + (withProbs ? " probs" : "") + (withGrad ? " dlogits" : "");

            float[] smRef = out(off, len, tail), lsmRef = out(off, len, tail), pRef = out(off, len, tail), dRef = out(off, len, tail), dpRef = out(off, len, tail);
            REF.softmax().softmax(rows, cols, x, off, smRef, off);
            REF.softmax().logSoftmax(rows, cols, x, off, lsmRef, off);
            float lossRef = REF.softmax().crossEntropy(rows, cols, x, off, labels, off, pRef, off, dRef, off);
            float mseRef = REF.softmax().mse(len, x, off, target, off, dpRef, off);
            for (KernelProvider k : fast) {
                String ctx = ctx(k, "softmax", i, config);
                float[] sm = out(off, len, tail);
                k.softmax().softmax(rows, cols, x, off, sm, off);
                close(ctx + " softmax", smRef, off, sm, off, len, 1e-5);
                guards(ctx + " softmax", sm, off, len);
                float[] inPlace = x.clone();
                k.softmax().softmax(rows, cols, inPlace, off, inPlace, off);
                close(ctx + " softmax in place", smRef, off, inPlace, off, len, 1e-5);
                float[] lsm = out(off, len, tail);
                k.softmax().logSoftmax(rows, cols, x, off, lsm, off);
                close(ctx + " logSoftmax", lsmRef, off, lsm, off, len, 1e-5);
                guards(ctx + " logSoftmax", lsm, off, len);
                inPlace = x.clone();
                k.softmax().logSoftmax(rows, cols, inPlace, off, inPlace, off);
                close(ctx + " logSoftmax in place", lsmRef, off, inPlace, off, len, 1e-5);

                float[] probs = out(off, len, tail), dlogits = out(off, len, tail);
                float loss = k.softmax().crossEntropy(rows, cols, x, off, labels, off, withProbs ? probs : null, off, withGrad ? dlogits : null, off);
                close(ctx + " cross-entropy loss", new float[]{lossRef}, 0, new float[]{loss}, 0, 1, 1e-5);
                if (withProbs) close(ctx + " cross-entropy probs", pRef, off, probs, off, len, 1e-5);
                if (withGrad) close(ctx + " cross-entropy dlogits", dRef, off, dlogits, off, len, 1e-5);
                guards(ctx + " cross-entropy probs", probs, withProbs ? off : 0, withProbs ? len : 0);
                guards(ctx + " cross-entropy dlogits", dlogits, withGrad ? off : 0, withGrad ? len : 0);

                float[] dpred = out(off, len, tail);
                float mse = k.softmax().mse(len, x, off, target, off, withGrad ? dpred : null, off);
                close(ctx + " mse loss", new float[]{mseRef}, 0, new float[]{mse}, 0, 1, 1e-5);
                if (withGrad) close(ctx + " mse dpred", dpRef, off, dpred, off, len, 1e-5);
                guards(ctx + " mse dpred", dpred, withGrad ? off : 0, withGrad ? len : 0);
            }
        }
    }

    // ---------------------------------------------------------------- elementwise

    @Test
    void elementwise() {
        Random rnd = random("elementwise");
        List<KernelProvider> fast = fastVariants();
        for (int i = 0; i < ELEMENTWISE_CONFIGS; i++) {
            int len = i % 3 == 0 ? pick(rnd, 0, 1, 15, 16, 17, 63, 64, 65) : rnd.nextInt(1000);
            int off = rnd.nextInt(9), tail = rnd.nextInt(5);
            float alpha = rnd.nextFloat() * 4 - 2;
            float[] a = data(rnd, off, len, tail, 2f), b = data(rnd, off, len, tail, 2f);
            String config = "len " + len + " off " + off + " alpha " + alpha;
            float[] addRef = out(off, len, tail), addReluRef = out(off, len, tail), mulRef = out(off, len, tail), scaleRef = out(off, len, tail);
            REF.elementwise().add(a, off, b, off, addRef, off, len, false);
            REF.elementwise().add(a, off, b, off, addReluRef, off, len, true);
            REF.elementwise().mul(a, off, b, off, mulRef, off, len);
            REF.elementwise().scale(len, alpha, a, off, scaleRef, off);
            float[] axpyRef = b.clone();
            REF.elementwise().axpy(len, alpha, a, off, axpyRef, off);
            double ssqRef = REF.elementwise().sumOfSquares(len, a, off);
            for (KernelProvider k : fast) {
                String ctx = ctx(k, "elementwise", i, config);
                float[] y = out(off, len, tail);
                k.elementwise().add(a, off, b, off, y, off, len, false);
                close(ctx + " add", addRef, off, y, off, len, 1e-6);
                guards(ctx + " add", y, off, len);
                float[] aliased = a.clone();
                k.elementwise().add(aliased, off, b, off, aliased, off, len, true);
                close(ctx + " add+relu in place", addReluRef, off, aliased, off, len, 1e-6);
                y = out(off, len, tail);
                k.elementwise().mul(a, off, b, off, y, off, len);
                close(ctx + " mul", mulRef, off, y, off, len, 1e-6);
                guards(ctx + " mul", y, off, len);
                y = out(off, len, tail);
                k.elementwise().scale(len, alpha, a, off, y, off);
                close(ctx + " scale", scaleRef, off, y, off, len, 1e-6);
                guards(ctx + " scale", y, off, len);
                float[] axpy = b.clone();
                k.elementwise().axpy(len, alpha, a, off, axpy, off);
                close(ctx + " axpy", axpyRef, 0, axpy, 0, axpy.length, 1e-6);
                double ssq = k.elementwise().sumOfSquares(len, a, off);
                if (!(Math.abs(ssq - ssqRef) <= 1e-5 * (1 + ssqRef))) fail(ctx + " sumOfSquares " + ssq + ", reference " + ssqRef);
            }
        }
    }

    // ---------------------------------------------------------------- optimizers

    @Test
    void optimizers() {
        Random rnd = random("optimizer");
        List<KernelProvider> fast = fastVariants();
        for (int i = 0; i < OPTIMIZER_CONFIGS; i++) {
            int len = pick(rnd, 1, 7, 16, 17, 37, 100, 1000);
            int off = rnd.nextInt(5), tail = rnd.nextInt(5), steps = 1 + rnd.nextInt(6);
            float lr = pick(rnd, 1, 2, 3) * 0.01f, wd = rnd.nextBoolean() ? 0f : rnd.nextFloat() * 0.02f;
            float[] p0 = data(rnd, off, len, tail, 1f);
            float[][] grads = new float[steps][];
            for (int s = 0; s < steps; s++) grads[s] = data(rnd, off, len, tail, rnd.nextInt(4) == 0 ? 1e-3f : 1f);
            if (i % 2 == 0) {
                float momentum = rnd.nextBoolean() ? 0f : 0.5f + rnd.nextFloat() * 0.49f;
                float dampening = momentum > 0 && rnd.nextInt(3) == 0 ? 0.1f : 0f;
                boolean nesterov = momentum > 0 && dampening == 0 && rnd.nextBoolean();
                String config = "sgd len " + len + " steps " + steps + " lr " + lr + " momentum " + momentum + " dampening " + dampening
                        + " wd " + wd + (nesterov ? " nesterov" : "") + " off " + off;
                float[] pRef = p0.clone(), bufRef = new float[off + len + tail];
                for (int s = 0; s < steps; s++) REF.optimizer().sgd(len, pRef, off, grads[s], off, bufRef, off, lr, momentum, dampening, wd, nesterov, s == 0);
                for (KernelProvider k : fast) {
                    String ctx = ctx(k, "optimizer", i, config);
                    float[] p = p0.clone(), buf = new float[off + len + tail];
                    for (int s = 0; s < steps; s++) k.optimizer().sgd(len, p, off, grads[s], off, buf, off, lr, momentum, dampening, wd, nesterov, s == 0);
                    close(ctx + " p", pRef, 0, p, 0, p.length, 1e-5);
                    close(ctx + " momentum buffer", bufRef, 0, buf, 0, buf.length, 1e-5);
                }
            } else {
                boolean decoupled = rnd.nextBoolean();
                float beta1 = rnd.nextBoolean() ? 0.9f : 0.8f, beta2 = rnd.nextBoolean() ? 0.999f : 0.99f, eps = rnd.nextBoolean() ? 1e-8f : 1e-6f;
                int firstStep = 1 + rnd.nextInt(3) * 50; // also late steps, where bias correction fades
                String config = (decoupled ? "adamw" : "adam") + " len " + len + " steps " + firstStep + ".." + (firstStep + steps - 1)
                        + " lr " + lr + " betas " + beta1 + "," + beta2 + " eps " + eps + " wd " + wd + " off " + off;
                float[] pRef = p0.clone(), mRef = new float[off + len + tail], vRef = new float[off + len + tail];
                for (int s = 0; s < steps; s++) {
                    REF.optimizer().adam(len, pRef, off, grads[s], off, mRef, off, vRef, off, lr, beta1, beta2, eps, wd, decoupled, firstStep + s);
                }
                for (KernelProvider k : fast) {
                    String ctx = ctx(k, "optimizer", i, config);
                    float[] p = p0.clone(), m = new float[off + len + tail], v = new float[off + len + tail];
                    for (int s = 0; s < steps; s++) {
                        k.optimizer().adam(len, p, off, grads[s], off, m, off, v, off, lr, beta1, beta2, eps, wd, decoupled, firstStep + s);
                    }
                    close(ctx + " p", pRef, 0, p, 0, p.length, 1e-5);
                    close(ctx + " m", mRef, 0, m, 0, m.length, 1e-5);
                    close(ctx + " v", vRef, 0, v, 0, v.length, 1e-5);
                }
            }
        }
    }
}
