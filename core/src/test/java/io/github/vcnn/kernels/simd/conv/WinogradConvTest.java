package io.github.vcnn.kernels.simd.conv;

import io.github.vcnn.kernels.ConvKernels;
import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.Kernels;
import io.github.vcnn.kernels.PackedConvWeights;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * WinogradConv against the scalar kernel and a float64 reference (the plain definition of ConvParams) on random
 * shapes: odd H/W 1..20, channel tails (C, K not multiples of L), pads 0/1/2 (asymmetric too), batch &gt; 1, every
 * epilogue, bias null or not, random offsets with guard values around the output; bad shapes and arrays; threads.
 *
 * <p>Tolerance: the project's forward tolerance against PyTorch, {@code |err| <= 1e-4 + 1e-3 |ref|}, against the float64
 * reference (after the activation), and the same against the scalar kernel. The four target shapes of issue 6 print
 * their errors (and the direct simd kernel's) against float64. Seed: {@code -Dvcnn.test.seed}, else the clock; every failure
 * message carries it.
 */
@EnabledIf(value = "io.github.vcnn.kernels.Kernels#simdAvailable",
        disabledReason = "the Vector API module is not enabled (run with --add-modules jdk.incubator.vector)")
@org.junit.jupiter.api.extension.ExtendWith(io.github.vcnn.testing.TestSeed.Report.class)
class WinogradConvTest {
    static final long SEED = io.github.vcnn.testing.TestSeed.SEED;
    static final double ABS_TOL = 1e-4, REL_TOL = 1e-3;
    private static final float GUARD = -12345.5f;
    private static final ConvKernels SCALAR = Kernels.scalar().conv();

    @BeforeAll
    static void announce() {
        System.out.println("WinogradConvTest seed=" + SEED + " (replay with -Dvcnn.test.seed=" + SEED + "), lanes="
                + FloatVector.SPECIES_PREFERRED.length());
    }

    // ------------------------------------------------------------------------------------ random shapes

    @Test
    void randomShapesMatchScalarAndFloat64() {
        Random rnd = new Random(SEED);
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        for (int i = 0; i < 160; i++) {
            ConvParams p = randomShape(rnd, lanes, 20, 4);
            if (p == null) {
                i--;
                continue;
            }
            Epilogue act = randomEpilogue(rnd);
            check("seed " + SEED + " case " + i, p, act, rnd.nextBoolean(), rnd);
        }
    }

    /**
     * A random stride-1 shape, 3x3 (two times in three) or 5x5: batch 1-3, C up to maxC and K up to 40 (a third of each
     * at the lane-count tails), H and W 1-20, pads 0 to R-1, asymmetric one time in asymOneIn; null when the kernel does
     * not fit the padded input.
     */
    private static ConvParams randomShape(Random rnd, int lanes, int maxC, int asymOneIn) {
        int r = rnd.nextInt(3) == 0 ? 5 : 3;
        int n = pick(rnd, 1, 1, 2, 3);
        int c = rnd.nextInt(3) == 0 ? pick(rnd, lanes - 1, lanes + 1, 2 * lanes + 3, 1) : 1 + rnd.nextInt(maxC);
        int k = rnd.nextInt(3) == 0 ? pick(rnd, lanes - 1, lanes + 1, 2 * lanes, 3 * lanes + 1, 1) : 1 + rnd.nextInt(40);
        int h = 1 + rnd.nextInt(20), w = 1 + rnd.nextInt(20);
        int pt = rnd.nextInt(r), pl = rnd.nextInt(r);
        boolean asym = rnd.nextInt(asymOneIn) == 0;
        int pb = asym ? rnd.nextInt(r) : pt, pr = asym ? rnd.nextInt(r) : pl;
        if (h + pt + pb < r || w + pl + pr < r) return null;
        return new ConvParams(n, Math.max(1, c), h, w, Math.max(1, k), r, r, 1, 1, pt, pl, pb, pr, 1, 1, 1);
    }

    @Test
    void cornerShapes() {
        Random rnd = new Random(SEED ^ 0x3a3a);
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        List<ConvParams> shapes = List.of(
                ConvParams.of(1, 1, 1, 1, 1, 3, 3, 1, 1),                        // one output pixel from a 1x1 image
                ConvParams.of(1, 1, 3, 3, 1, 3, 3, 1, 0),                        // no padding, one output
                ConvParams.of(2, 3, 1, 20, 5, 3, 3, 1, 1),                       // one row
                ConvParams.of(1, 4, 20, 1, 7, 3, 3, 1, 2),                       // one column, pad 2
                new ConvParams(3, 5, 6, 7, 9, 3, 3, 1, 1, 0, 2, 2, 0, 1, 1, 1),  // asymmetric, batch 3 (a block spans images)
                new ConvParams(7, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),  // many small images per block
                ConvParams.of(1, lanes, 9, 9, lanes + 1, 3, 3, 1, 1),            // odd last output-channel block
                ConvParams.of(1, lanes + 1, 8, 8, 2 * lanes + 1, 3, 3, 1, 1),    // C tail, 2 + 1 blocks
                ConvParams.of(2, 2 * lanes, 13, 11, 3 * lanes, 3, 3, 1, 1),      // full blocks
                ConvParams.of(1, 3, 20, 20, 16, 3, 3, 1, 2),                     // pad 2: outputs bigger than the input
                ConvParams.of(1, 40, 17, 19, 40, 3, 3, 1, 1),                    // channel tails with L = 16
                new ConvParams(1, 64, 30, 31, 64, 3, 3, 1, 1, 1, 2, 0, 1, 1, 1, 1),  // several blocks: the input ring wraps
                ConvParams.of(1, 1, 1, 1, 1, 5, 5, 1, 2),                        // 5x5: one output pixel from a 1x1 image
                ConvParams.of(1, 2, 5, 5, 3, 5, 5, 1, 0),                        // 5x5, no padding, one output
                ConvParams.of(2, 32, 14, 14, 64, 5, 5, 1, 2),                    // LeNet's second layer (lenet_c2), batch 2
                new ConvParams(3, lanes + 1, 9, 8, 2 * lanes + 1, 5, 5, 1, 1, 4, 0, 3, 2, 1, 1, 1),  // 5x5 asymmetric pads, tails
                new ConvParams(1, 40, 33, 30, 24, 5, 5, 1, 1, 2, 1, 2, 1, 1, 1, 1)); // 5x5, the input ring wraps
        for (ConvParams p : shapes) {
            for (Epilogue act : List.of(Epilogue.NONE, Epilogue.RELU, Epilogue.leakyRelu(0.1f), Epilogue.SIGMOID, Epilogue.clip(-0.3f, 0.4f))) {
                check("seed " + SEED + " corner", p, act, act != Epilogue.RELU, rnd);
            }
        }
    }

    /**
     * Intra-op threads split the tile blocks (for one image, blocks rebalanced to a multiple of the threads), or the
     * output channels of a group of one block: fwd and bwdData bit-identical for 1, 2, 3 and 4 threads.
     */
    @Test
    void intraOpThreadsGiveBitIdenticalResults() {
        assertTrue(io.github.vcnn.exec.WorkerPool.shared().threads() >= 2, "the build runs the tests with -Dvcnn.threads=4");
        Random rnd = new Random(SEED ^ 0x7e4d);
        for (ConvParams p : List.of(ConvParams.of(1, 32, 30, 29, 40, 3, 3, 1, 1),     // one image, several blocks
                ConvParams.of(1, 128, 28, 28, 128, 3, 3, 1, 1),                         // 49 tiles: blocks rebalanced per thread count
                ConvParams.of(1, 64, 13, 13, 96, 3, 3, 1, 1),                           // 16 tiles, one block: output channels split
                ConvParams.of(3, 24, 7, 7, 80, 3, 3, 1, 1),                             // one block per image, an odd count of channel blocks
                ConvParams.of(1, 48, 23, 17, 32, 3, 3, 1, 1),                           // odd tile rows: blocks start mid-row
                ConvParams.of(3, 20, 12, 13, 24, 3, 3, 1, 1),                           // blocks spanning images
                ConvParams.of(4, 32, 14, 14, 64, 5, 5, 1, 2),                           // 5x5 (lenet_c2)
                new ConvParams(2, 16, 41, 9, 16, 3, 3, 1, 1, 2, 0, 1, 2, 1, 1, 1))) {   // asymmetric pads, ring wraps
            float[] x = data(rnd, 0, p.inputSize(), 1f), w = data(rnd, 0, p.weightSize(), 0.2f), b = data(rnd, 0, p.k(), 0.5f);
            float[] dz = data(rnd, 0, p.outputSize(), 1f);
            float[] u = WinogradConv.transformWeights(p, w, 0);
            float[] y1 = new float[p.outputSize()], dx1 = new float[p.inputSize()];
            WinogradConv.fwd(p, x, 0, u, b, 0, Epilogue.RELU, y1, 0, 1);
            WinogradConv.bwdData(p, dz, 0, w, 0, dx1, 0, 1);
            for (int threads = 2; threads <= 4; threads++) {
                float[] y = new float[p.outputSize()], dx = new float[p.inputSize()];
                WinogradConv.fwd(p, x, 0, u, b, 0, Epilogue.RELU, y, 0, threads);
                WinogradConv.bwdData(p, dz, 0, w, 0, dx, 0, threads);
                assertArrayEquals(y1, y, p + ": fwd on " + threads + " threads");
                assertArrayEquals(dx1, dx, p + ": bwdData on " + threads + " threads");
            }
        }
    }

    /**
     * Channel-blocked input and/or output (nChw{L}c) give the bits of the NCHW call, reordered, for 1 to 3 threads: random
     * shapes with C and K multiples of L (3x3 and 5x5, pads, batch, images spanning blocks, the channel split), outputs
     * written in place at an offset with guards on either side.
     */
    @Test
    void blockedLayoutsGiveTheBitsOfNchw() {
        Random rnd = new Random(SEED ^ 0xb10c);
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        List<ConvParams> shapes = new ArrayList<>(List.of(
                ConvParams.of(1, 4 * lanes, 13, 13, 6 * lanes, 3, 3, 1, 1),       // one block: channel split at 2+ threads
                ConvParams.of(1, 2 * lanes, 30, 29, 2 * lanes, 3, 3, 1, 1),       // several blocks, the ring wraps
                new ConvParams(3, lanes, 9, 11, 3 * lanes, 3, 3, 1, 1, 2, 0, 1, 2, 1, 1, 1),  // asymmetric, odd KB, images per block
                ConvParams.of(2, 2 * lanes, 14, 14, 4 * lanes, 5, 5, 1, 2)));     // 5x5
        for (int i = 0; i < 24; i++) {
            int r = rnd.nextInt(3) == 0 ? 5 : 3, h = 1 + rnd.nextInt(24), w = 1 + rnd.nextInt(24), pt = rnd.nextInt(r), pl = rnd.nextInt(r);
            int pb = rnd.nextBoolean() ? pt : rnd.nextInt(r), pr = rnd.nextBoolean() ? pl : rnd.nextInt(r);
            if (h + pt + pb < r || w + pl + pr < r) continue;
            shapes.add(new ConvParams(1 + rnd.nextInt(3), lanes * (1 + rnd.nextInt(4)), h, w, lanes * (1 + rnd.nextInt(5)), r, r, 1, 1,
                    pt, pl, pb, pr, 1, 1, 1));
        }
        int guard = 5;
        for (ConvParams p : shapes) {
            float[] x = data(rnd, 0, p.inputSize(), 1f), w = data(rnd, 0, p.weightSize(), 0.2f), b = data(rnd, 0, p.k(), 0.5f);
            float[] u = WinogradConv.transformWeights(p, w, 0);
            Epilogue act = rnd.nextBoolean() ? Epilogue.RELU : Epilogue.NONE;
            float[] ref = new float[p.outputSize()];
            WinogradConv.fwd(p, x, 0, u, b, 0, act, ref, 0, 1);
            int ohw = p.outH() * p.outW();
            float[] xb = new float[p.inputSize()], refB = new float[ref.length];
            io.github.vcnn.kernels.BlockedLayouts.toBlocked(p.n(), p.c(), p.h() * p.w(), lanes, x, 0, xb, 0);
            io.github.vcnn.kernels.BlockedLayouts.toBlocked(p.n(), p.k(), ohw, lanes, ref, 0, refB, 0);
            for (int threads = 1; threads <= 3; threads++) {
                for (int combo = 1; combo < 4; combo++) {
                    boolean inB = (combo & 1) != 0, outB = (combo & 2) != 0;
                    float[] y = new float[ref.length + 2 * guard];
                    Arrays.fill(y, GUARD);
                    WinogradConv.fwd(p, inB, inB ? xb : x, 0, u, b, 0, act, outB, y, guard, threads);
                    String ctx = p + " " + (inB ? "nChwLc" : "nchw") + " -> " + (outB ? "nChwLc" : "nchw") + ", " + threads + " threads";
                    assertArrayEquals(outB ? refB : ref, Arrays.copyOfRange(y, guard, guard + ref.length), ctx);
                    for (int g = 0; g < guard; g++) {
                        assertEquals(GUARD, y[g], ctx + ": guard before the output");
                        assertEquals(GUARD, y[guard + ref.length + g], ctx + ": guard after the output");
                    }
                }
            }
        }
    }

    /**
     * A residual added in the stores (activation none or ReLU) gives the bits of the convolution followed by an Add and
     * the activation, NCHW and nChw{L}c, 1 to 3 threads (the channel split included); other activations and a residual
     * overlapping the output are refused, naming the argument.
     */
    @Test
    void residualInTheStoresEqualsAnAddAfter() {
        Random rnd = new Random(SEED ^ 0x5e51);
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        List<ConvParams> shapes = List.of(ConvParams.of(1, 4 * lanes, 13, 13, 6 * lanes, 3, 3, 1, 1),
                ConvParams.of(2, 2 * lanes, 17, 22, 2 * lanes, 3, 3, 1, 1),
                new ConvParams(1, lanes, 9, 11, 3 * lanes, 5, 5, 1, 1, 2, 1, 2, 3, 1, 1, 1));
        for (ConvParams p : shapes) {
            float[] x = data(rnd, 0, p.inputSize(), 1f), w = data(rnd, 0, p.weightSize(), 0.2f), b = data(rnd, 0, p.k(), 0.5f);
            float[] res = data(rnd, 0, p.outputSize() + 3, 1f);
            float[] u = WinogradConv.transformWeights(p, w, 0);
            for (boolean blocked : new boolean[]{false, true}) {
                float[] z = new float[p.outputSize()];
                WinogradConv.fwd(p, blocked, x, 0, u, b, 0, Epilogue.NONE, blocked, z, 0, 1);
                for (Epilogue act : List.of(Epilogue.NONE, Epilogue.RELU)) {
                    float[] want = new float[z.length];
                    for (int i = 0; i < z.length; i++) want[i] = act.apply(z[i] + res[i + 3]);
                    for (int threads = 1; threads <= 3; threads++) {
                        float[] y = new float[z.length];
                        WinogradConv.fwd(p, blocked, x, 0, u, b, 0, res, 3, act, blocked, y, 0, threads);
                        assertArrayEquals(want, y, p + " " + act + (blocked ? " nChwLc" : " nchw") + ", " + threads + " threads");
                    }
                }
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WinogradConv.fwd(p, false, x, 0, u, b, 0, res, 0, Epilogue.SIGMOID, false, new float[p.outputSize()], 0, 1));
            assertTrue(e.getMessage().startsWith("act"), e.getMessage());
            float[] shared = new float[2 * p.outputSize()];
            e = assertThrows(IllegalArgumentException.class,
                    () -> WinogradConv.fwd(p, false, x, 0, u, b, 0, shared, 1, Epilogue.RELU, false, shared, 0, 1));
            assertTrue(e.getMessage().startsWith("y overlaps residual"), e.getMessage());
        }
    }

    /** The balanced blocks of a threaded call: ResNet-18's 28x28 layer in blocks of 30 and 19 tiles ran 1.6x on two threads. */
    @Test
    void threadedBlocksAreBalanced() {
        WinogradConv.Plan pl = new WinogradConv.Plan();
        pl.set(ConvParams.of(1, 128, 28, 28, 128, 3, 3, 1, 1), 4);
        int tiles = pl.tilesPerImage, tb = pl.tb;
        assertEquals(49, tiles);
        int bs = pl.balancedBlockTiles(tiles, 2), blocks = (tiles + bs - 1) / bs;
        assertTrue(bs <= tb && blocks % 2 == 0 && tiles - (blocks - 1) * bs >= bs - 1, "49 tiles in tb " + tb + ": blocks of " + bs);
        assertEquals(tb, pl.balancedBlockTiles(4, 2), "blocks under MR tiles are not worth a thread");
        assertEquals(8, pl.balancedBlockTiles(16, 2), "16 tiles (a 13x13 image), one block before: two blocks of 8");
    }

    /**
     * The GEMM's cover of a block by register tiles of 6 and 5 tiles (5 only on 16-register ISAs): at least the block,
     * the fewest tiles possible (brute force), no more than 6-tiles alone would compute; 25 and 16 tiles exactly.
     */
    @Test
    void registerTilesCoverBlocksWithTheFewestTiles() {
        for (int count = 1; count <= 400; count++) {
            int fives = WinogradConv.fiveTiles(count), sixes = WinogradConv.sixTiles(count, fives), covered = 6 * sixes + 5 * fives;
            if (WinogradConv.MR == 5) {
                assertEquals(0, sixes, "count " + count);
                assertEquals((count + 4) / 5 * 5, covered, "count " + count);
                continue;
            }
            int fewest = Integer.MAX_VALUE;
            for (int b = 0; 5 * b < count + 5; b++) fewest = Math.min(fewest, (Math.max(0, count - 5 * b) + 5) / 6 * 6 + 5 * b);
            assertTrue(covered >= count && sixes >= 0 && fives >= 0 && fives <= 5, "count " + count + ": " + sixes + " x 6 + " + fives + " x 5");
            assertEquals(fewest, covered, "count " + count + ": " + sixes + " x 6 + " + fives + " x 5");
            assertTrue(covered <= (count + 5) / 6 * 6, "count " + count);
        }
        if (WinogradConv.MR == 6) {
            assertEquals(25, 6 * WinogradConv.sixTiles(25, WinogradConv.fiveTiles(25)) + 5 * WinogradConv.fiveTiles(25));
            assertEquals(2, WinogradConv.fiveTiles(16), "16 = 6 + 5 + 5");
        }
    }

    /** bwdData (the transposed convolution through the forward kernel) against float64 and the scalar kernel. */
    @Test
    void bwdDataMatchesScalarAndFloat64() {
        Random rnd = new Random(SEED ^ 0xbd);
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        for (int i = 0; i < 120; i++) {
            ConvParams p = randomShape(rnd, lanes, 40, 3);
            if (p == null) {
                i--;
                continue;
            }
            checkBwdData("seed " + SEED + " case " + i, p, rnd);
        }
        checkBwdData("r18_l1-like, batch 2", ConvParams.of(2, 64, 20, 21, 64, 3, 3, 1, 1), rnd);
        checkBwdData("wide C, narrow K", ConvParams.of(1, 70, 9, 10, 17, 3, 3, 1, 0), rnd);
        checkBwdData("lenet_c2-like, batch 2", ConvParams.of(2, 32, 14, 14, 64, 5, 5, 1, 2), rnd);
        checkBwdData("5x5, pad 4", ConvParams.of(1, 17, 6, 7, 9, 5, 5, 1, 4), rnd);
    }

    /** bwdData keeps the transformed weights while they are unchanged: a change of one weight, in place, is seen. */
    @Test
    void bwdDataSeesWeightsChangedInPlace() {
        Random rnd = new Random(SEED ^ 0x5ca1e);
        ConvParams p = ConvParams.of(2, 20, 9, 8, 24, 5, 5, 1, 2);
        float[] dz = data(rnd, 0, p.outputSize(), 1f), w = data(rnd, 3, p.weightSize(), 0.1f);
        for (int change = 0; change < 4; change++) {
            float[] dx = new float[p.inputSize()], ref = new float[p.inputSize()];
            WinogradConv.bwdData(p, dz, 0, w, 3, dx, 0);
            WinogradConv.bwdData(p, dz, 0, w, 3, dx, 0);   // the kept transform
            SCALAR.bwdData(p, dz, 0, w, 3, ref, 0);
            for (int i = 0; i < ref.length; i++) {
                assertTrue(Math.abs(dx[i] - ref[i]) <= ABS_TOL + REL_TOL * Math.abs(ref[i]),
                        "change " + change + ": dx[" + i + "] " + dx[i] + " vs scalar " + ref[i]);
            }
            w[3 + rnd.nextInt(p.weightSize())] += 0.5f;    // one weight, in place
        }
        // the same values at another offset, and another shape with the same C and K, reuse nothing stale
        float[] w2 = new float[p.weightSize() + 7];
        System.arraycopy(w, 3, w2, 7, p.weightSize());
        float[] a = new float[p.inputSize()], b = new float[p.inputSize()];
        WinogradConv.bwdData(p, dz, 0, w, 3, a, 0);
        WinogradConv.bwdData(p, dz, 0, w2, 7, b, 0);
        assertArrayEquals(a, b, "same weights at another offset");
        ConvParams q = ConvParams.of(1, 20, 12, 11, 24, 3, 3, 1, 1);
        float[] dzq = data(rnd, 0, q.outputSize(), 1f), dxq = new float[q.inputSize()], refq = new float[q.inputSize()];
        WinogradConv.bwdData(q, dzq, 0, w, 3, dxq, 0);     // 3x3 reads the first K*C*9 weights: a new transform
        SCALAR.bwdData(q, dzq, 0, w, 3, refq, 0);
        for (int i = 0; i < refq.length; i++) {
            assertTrue(Math.abs(dxq[i] - refq[i]) <= ABS_TOL + REL_TOL * Math.abs(refq[i]), "3x3 after 5x5: dx[" + i + "]");
        }
    }

    private static void checkBwdData(String ctx, ConvParams p, Random rnd) {
        int dzOff = rnd.nextInt(5), wOff = rnd.nextInt(5), dxOff = rnd.nextInt(5);
        float wScale = (float) Math.sqrt(6.0 / (p.r() * p.r() * p.c()));
        float[] dz = data(rnd, dzOff, p.outputSize(), 1f), w = data(rnd, wOff, p.weightSize(), wScale);
        float[] dz0 = dz.clone(), w0 = w.clone();
        float[] dx = guarded(dxOff + p.inputSize() + 7);
        WinogradConv.bwdData(p, dz, dzOff, w, wOff, dx, dxOff);
        float[] dxs = new float[p.inputSize()];
        SCALAR.bwdData(p, dz, dzOff, w, wOff, dxs, 0);
        String what = ctx + " " + p;
        checkGuards(what + " dx", dx, dxOff, p.inputSize());
        assertArrayEquals(dz0, dz, what + ": dz modified");
        assertArrayEquals(w0, w, what + ": weights modified");
        int c = p.c(), k = p.k(), h = p.h(), wd = p.w(), oh = p.outH(), ow = p.outW(), rk = p.r();
        for (int n = 0; n < p.n(); n++) {
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < wd; j++) {
                        double sum = 0;
                        for (int kk = 0; kk < k; kk++) {
                            for (int r = 0; r < rk; r++) {
                                int o = i + p.padTop() - r;
                                if (o < 0 || o >= oh) continue;
                                for (int s2 = 0; s2 < rk; s2++) {
                                    int q = j + p.padLeft() - s2;
                                    if (q < 0 || q >= ow) continue;
                                    sum += (double) dz[dzOff + ((n * k + kk) * oh + o) * ow + q] * w[wOff + ((kk * c + ch) * rk + r) * rk + s2];
                                }
                            }
                        }
                        int at = ((n * c + ch) * h + i) * wd + j;
                        double got = dx[dxOff + at], err = Math.abs(got - sum);
                        if (!(err <= ABS_TOL + REL_TOL * Math.abs(sum))) {
                            fail(what + ": dx[" + at + "] expected (float64) " + sum + " got " + got + " (|err| " + err + ")");
                        }
                        if (!(Math.abs(got - dxs[at]) <= ABS_TOL + REL_TOL * Math.abs(dxs[at]))) {
                            fail(what + ": dx[" + at + "] scalar kernel " + dxs[at] + " got " + got);
                        }
                    }
                }
            }
        }
    }

    /** One configuration at random offsets: against float64 and the scalar kernel, guards intact, inputs unchanged. */
    private static void check(String ctx, ConvParams p, Epilogue act, boolean withBias, Random rnd) {
        String what = ctx + " " + p + " act " + act + " bias " + withBias;
        float wScale = (float) Math.sqrt(6.0 / (p.r() * p.r() * p.c()));   // He-uniform, as a trained layer's scale
        int xOff = rnd.nextInt(5), wOff = rnd.nextInt(5), bOff = rnd.nextInt(5), yOff = rnd.nextInt(5);
        float[] x = data(rnd, xOff, p.inputSize(), 1f), w = data(rnd, wOff, p.weightSize(), wScale);
        float[] b = withBias ? data(rnd, bOff, p.k(), 0.5f) : null;
        float[] x0 = x.clone(), w0 = w.clone();

        double[] ref = reference(p, x, xOff, w, wOff, b, bOff);
        float[] ys = new float[p.outputSize()];
        SCALAR.fwd(p, x, xOff, w, wOff, b, bOff, act, ys, 0);
        for (int m : p.r() == 3 ? new int[]{4, 2} : new int[]{2}) {   // every variant, whichever outputTile(p) picks
            float[] u = WinogradConv.transformWeights(p, w, wOff, m);
            float[] y = guarded(yOff + p.outputSize() + 7);
            try {
                WinogradConv.fwdWithTile(p, x, xOff, u, b, bOff, act, y, yOff, m);
                checkGuards("y", y, yOff, p.outputSize());
                assertArrayEquals(x0, x, "input x modified");
                assertArrayEquals(w0, w, "weights modified");
                for (int i = 0; i < ref.length; i++) {
                    double expect = act.apply((float) ref[i]);
                    double err = Math.abs(y[yOff + i] - expect);
                    if (!(err <= ABS_TOL + REL_TOL * Math.abs(expect))) {
                        fail("y[" + i + "] expected (float64) " + expect + " got " + y[yOff + i] + " (|err| " + err + ")");
                    }
                }
                for (int i = 0; i < ys.length; i++) {
                    double err = Math.abs(y[yOff + i] - ys[i]);
                    if (!(err <= ABS_TOL + REL_TOL * Math.abs(ys[i]))) {
                        fail("y[" + i + "] scalar kernel " + ys[i] + " got " + y[yOff + i] + " (|err| " + err + ")");
                    }
                }
            } catch (AssertionError e) {
                throw new AssertionError(what + " F(" + m + "x" + m + "," + p.r() + "x" + p.r() + "): " + e.getMessage(), e);
            }
        }
    }

    // ------------------------------------------------------------------------------- the target shapes

    /**
     * r18_l1, r18_l2, r18_l3, vgg_b (issue 6): Winograd and the direct simd kernel against float64, same data
     * (x uniform [-1, 1), He-uniform weights, bias uniform [-0.5, 0.5)), no activation; prints the errors.
     */
    @Test
    void targetShapesWithinToleranceOfFloat64() {
        String[] names = {"r18_l1", "r18_l2", "r18_l3", "vgg_b", "lenet_c2"};
        ConvParams[] shapes = {ConvParams.of(1, 64, 56, 56, 64, 3, 3, 1, 1), ConvParams.of(1, 128, 28, 28, 128, 3, 3, 1, 1),
                ConvParams.of(1, 256, 14, 14, 256, 3, 3, 1, 1), ConvParams.of(1, 64, 112, 112, 128, 3, 3, 1, 1),
                ConvParams.of(8, 32, 14, 14, 64, 5, 5, 1, 2)};
        ConvKernels direct = Kernels.simd().conv();
        Random rnd = new Random(SEED ^ 0x7a7);
        StringBuilder report = new StringBuilder("Winograd and direct vs float64 (seed " + SEED + ", lanes "
                + FloatVector.SPECIES_PREFERRED.length() + "):\n");
        for (int s = 0; s < shapes.length; s++) {
            ConvParams p = shapes[s];
            float[] x = data(rnd, 0, p.inputSize(), 1f);
            float[] w = data(rnd, 0, p.weightSize(), (float) Math.sqrt(6.0 / (p.r() * p.r() * p.c())));
            float[] b = data(rnd, 0, p.k(), 0.5f);
            double[] ref = reference(p, x, 0, w, 0, b, 0);
            float[] yd = new float[p.outputSize()];
            // the direct kernel's layout: packed for the same channels at stride 2, which Winograd does not take
            PackedConvWeights directPack = direct.pack(new ConvParams(p.n(), p.c(), p.h(), p.w(), p.k(), p.r(), p.s(), 2, 2,
                    p.padTop(), p.padLeft(), p.padBottom(), p.padRight(), 1, 1, 1), w, 0);
            assertEquals(PackedConvWeights.DIRECT, directPack.algorithm());
            direct.fwd(p, x, 0, directPack, b, 0, Epilogue.NONE, yd, 0);
            double[] ed = errors(ref, yd);
            report.append(String.format(Locale.ROOT, "  %-7s max|ref| %.3f  direct simd: max abs %.2e, max abs/max|ref| %.2e,"
                    + " max rel (|ref|>0.01) %.2e, of tol %.3f%n", names[s], ed[4], ed[0], ed[1], ed[2], ed[3]));
            for (int m : p.r() == 3 ? new int[]{4, 2} : new int[]{2}) {
                float[] yw = new float[p.outputSize()];
                WinogradConv.fwdWithTile(p, x, 0, WinogradConv.transformWeights(p, w, 0, m), b, 0, Epilogue.NONE, yw, 0, m);
                double[] ew = errors(ref, yw), wd = errors(toDouble(yd), yw);
                report.append(String.format(Locale.ROOT, "          F(%dx%d,%dx%d)%s: max abs %.2e, max abs/max|ref| %.2e,"
                                + " max rel (|ref|>0.01) %.2e, of tol %.3f | vs direct: max abs %.2e, of tol %.3f%n",
                        m, m, p.r(), p.s(), WinogradConv.outputTile(p) == m ? " (chosen)" : "", ew[0], ew[1], ew[2], ew[3], wd[0], wd[3]));
                assertTrue(ew[3] <= 1, names[s] + " F(" + m + "x" + m + "): error beyond 1e-4 + 1e-3|ref|: " + Arrays.toString(ew));
                assertTrue(wd[3] <= 1, names[s] + " F(" + m + "x" + m + "): beyond 1e-4 + 1e-3|direct| of the direct kernel: " + Arrays.toString(wd));
            }
        }
        System.out.print(report);
    }

    /** {max abs, max abs / max|ref|, max rel over |ref| > 0.01, max err / (1e-4 + 1e-3|ref|), max|ref|}. */
    private static double[] errors(double[] ref, float[] got) {
        double maxAbs = 0, maxRef = 0, maxRel = 0, ofTol = 0;
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs(got[i] - ref[i]);
            maxAbs = Math.max(maxAbs, err);
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
            if (Math.abs(ref[i]) > 0.01) maxRel = Math.max(maxRel, err / Math.abs(ref[i]));
            ofTol = Math.max(ofTol, err / (ABS_TOL + REL_TOL * Math.abs(ref[i])));
        }
        return new double[]{maxAbs, maxAbs / maxRef, maxRel, ofTol, maxRef};
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    // ------------------------------------------------------------------------------------ special values

    @Test
    void nanPropagatesThroughTheEpilogue() {
        ConvParams p = ConvParams.of(1, 5, 9, 10, 11, 3, 3, 1, 1);
        Random rnd = new Random(SEED + 11);
        float[] x = data(rnd, 0, p.inputSize(), 1f), w = data(rnd, 0, p.weightSize(), 0.3f), b = data(rnd, 0, p.k(), 0.5f);
        x[2 * 90 + 4 * 10 + 5] = Float.NaN;   // channel 2, row 4, column 5
        b[3] = Float.NaN;
        float[] u = WinogradConv.transformWeights(p, w, 0);
        for (Epilogue act : List.of(Epilogue.NONE, Epilogue.RELU, Epilogue.leakyRelu(0.1f), Epilogue.SIGMOID, Epilogue.clip(-0.3f, 0.4f))) {
            float[] y = new float[p.outputSize()], ys = new float[p.outputSize()];
            WinogradConv.fwd(p, x, 0, u, b, 0, act, y, 0);
            SCALAR.fwd(p, x, 0, w, 0, b, 0, act, ys, 0);
            for (int i = 0; i < ys.length; i++) {
                // every output the scalar kernel makes NaN is NaN here (Winograd spreads a NaN over its tiles' outputs)
                if (Float.isNaN(ys[i])) assertTrue(Float.isNaN(y[i]), act + ": y[" + i + "] should be NaN, got " + y[i]);
            }
            for (int i = 3 * 90; i < 4 * 90; i++) assertTrue(Float.isNaN(y[i]), act + ": NaN bias must give NaN at " + i);
        }
    }

    @Test
    void variantFromChannelsOnly() {
        assertEquals(4, WinogradConv.outputTile(ConvParams.of(1, 64, 56, 56, 64, 3, 3, 1, 1)));
        assertEquals(4, WinogradConv.outputTile(ConvParams.of(1, 128, 28, 28, 128, 3, 3, 1, 1)));
        assertEquals(4, WinogradConv.outputTile(ConvParams.of(1, 64, 112, 112, 128, 3, 3, 1, 1)));
        assertEquals(2, WinogradConv.outputTile(ConvParams.of(1, 256, 14, 14, 256, 3, 3, 1, 1)));
        assertEquals(2, WinogradConv.outputTile(ConvParams.of(8, 256, 3, 3, 256, 3, 3, 1, 0)));
        ConvParams p = ConvParams.of(1, 256, 14, 14, 256, 3, 3, 1, 1);
        assertEquals(16 * 256 * 256, WinogradConv.transformedLength(p));
    }

    @Test
    void preferredOnTheTargetShapesOnly() {
        assertTrue(WinogradConv.enabled(), "-D" + WinogradConv.PROPERTY + " is not false in the tests");
        for (ConvParams p : List.of(ConvParams.of(1, 64, 56, 56, 64, 3, 3, 1, 1), ConvParams.of(1, 128, 28, 28, 128, 3, 3, 1, 1),
                ConvParams.of(1, 256, 14, 14, 256, 3, 3, 1, 1), ConvParams.of(1, 64, 112, 112, 128, 3, 3, 1, 1),
                ConvParams.of(8, 64, 56, 56, 64, 3, 3, 1, 1), ConvParams.of(4, 512, 7, 7, 512, 3, 3, 1, 1),
                ConvParams.of(64, 32, 14, 14, 64, 5, 5, 1, 2), ConvParams.of(1, 64, 56, 56, 64, 5, 5, 1, 2))) {
            assertTrue(WinogradConv.preferred(p), p.toString());
        }
        // ResNet-18's 512-channel 7x7 layer at batch 1: faster than the direct kernel at 16 lanes (Zen 4), slower on AVX2 (Zen 2)
        assertEquals(jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length() >= 16,
                WinogradConv.preferred(ConvParams.of(1, 512, 7, 7, 512, 3, 3, 1, 1)), "r18_l4");
        for (ConvParams p : List.of(ConvParams.of(1, 3, 224, 224, 64, 3, 3, 1, 1),
                ConvParams.of(1, 64, 1, 1, 64, 3, 3, 1, 1), ConvParams.of(1, 64, 56, 56, 64, 3, 3, 2, 1),
                ConvParams.of(1, 64, 56, 56, 64, 7, 7, 1, 3), ConvParams.of(64, 1, 28, 28, 32, 5, 5, 1, 2))) {
            assertFalse(WinogradConv.preferred(p), p.toString());
        }
    }

    // ----------------------------------------------------------------------------------------- bad input

    @Test
    void rejectsShapesItDoesNotApplyTo() {
        ConvParams[] bad = {
                ConvParams.of(1, 4, 8, 8, 4, 7, 7, 1, 3),
                new ConvParams(1, 4, 8, 8, 4, 3, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1),
                ConvParams.of(1, 4, 8, 8, 4, 3, 3, 2, 1),
                new ConvParams(1, 4, 8, 8, 4, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, 1),
                new ConvParams(1, 4, 8, 8, 4, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),
                new ConvParams(1, 4, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2)};
        String[] reason = {"kernel", "kernel", "stride", "stride", "dilation", "groups"};
        for (int i = 0; i < bad.length; i++) {
            ConvParams p = bad[i];
            assertFalse(WinogradConv.applies(p), p.toString());
            float[] x = new float[p.inputSize()], y = guarded(p.outputSize()), w = new float[p.weightSize()];
            float[] u = new float[36 * 64 * 4];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WinogradConv.fwd(p, x, 0, u, null, 0, Epilogue.NONE, y, 0));
            assertTrue(e.getMessage().startsWith("params") && e.getMessage().contains(reason[i]), e.getMessage());
            checkGuards("y", y, 0, 0);
            e = assertThrows(IllegalArgumentException.class, () -> WinogradConv.transformWeights(p, w, 0));
            assertTrue(e.getMessage().startsWith("params") && e.getMessage().contains(reason[i]), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> WinogradConv.transformedLength(p));
            assertTrue(e.getMessage().startsWith("params"), e.getMessage());
        }
        assertFalse(WinogradConv.applies(null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WinogradConv.fwd(null, new float[1], 0, new float[1], null, 0, Epilogue.NONE, new float[1], 0));
        assertTrue(e.getMessage().startsWith("params"), e.getMessage());
        assertTrue(WinogradConv.applies(ConvParams.of(3, 7, 5, 9, 2, 3, 3, 1, 0)));
        assertTrue(WinogradConv.applies(new ConvParams(1, 1, 2, 2, 1, 3, 3, 1, 1, 2, 0, 0, 1, 1, 1, 1)));
    }

    @Test
    void rejectsBadArraysBeforeWriting() {
        ConvParams p = ConvParams.of(2, 5, 7, 6, 9, 3, 3, 1, 1);
        float[] x = new float[p.inputSize()], w = new float[p.weightSize()];
        float[] u = WinogradConv.transformWeights(p, w, 0);
        assertEquals(WinogradConv.transformedLength(p), u.length);
        float[] y = guarded(p.outputSize());
        assertBad("x", () -> WinogradConv.fwd(p, new float[p.inputSize() - 1], 0, u, null, 0, Epilogue.NONE, y, 0));
        assertBad("x", () -> WinogradConv.fwd(p, x, 1, u, null, 0, Epilogue.NONE, y, 0));
        assertBad("x", () -> WinogradConv.fwd(p, null, 0, u, null, 0, Epilogue.NONE, y, 0));
        assertBad("u", () -> WinogradConv.fwd(p, x, 0, Arrays.copyOf(u, u.length - 1), null, 0, Epilogue.NONE, y, 0));
        assertBad("u", () -> WinogradConv.fwd(p, x, 0, null, null, 0, Epilogue.NONE, y, 0));
        assertBad("bias", () -> WinogradConv.fwd(p, x, 0, u, new float[p.k()], 1, Epilogue.NONE, y, 0));
        assertBad("act", () -> WinogradConv.fwd(p, x, 0, u, null, 0, null, y, 0));
        assertBad("y", () -> WinogradConv.fwd(p, x, 0, u, null, 0, Epilogue.NONE, new float[p.outputSize() - 1], 0));
        assertBad("y", () -> WinogradConv.fwd(p, x, 0, u, null, 0, Epilogue.NONE, y, -1));
        checkGuards("y", y, 0, 0);
        assertBad("w", () -> WinogradConv.transformWeights(p, new float[p.weightSize() - 1], 0));
        assertBad("w", () -> WinogradConv.transformWeights(p, null, 0));
        assertBad("dst", () -> WinogradConv.transformWeightsInto(p, w, 0, new float[u.length - 1]));
    }

    private static void assertBad(String argument, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(argument), "message should name " + argument + ": " + e.getMessage());
    }

    @Test
    void transformIntoMatchesTransformAndZeroesThePadding() {
        ConvParams p = ConvParams.of(1, 3, 8, 8, 5, 3, 3, 1, 1);
        Random rnd = new Random(SEED + 5);
        float[] w = data(rnd, 2, p.weightSize(), 1f);
        float[] u = WinogradConv.transformWeights(p, w, 2);
        float[] dst = new float[u.length + 3];
        Arrays.fill(dst, Float.NaN);
        WinogradConv.transformWeightsInto(p, w, 2, dst);
        assertArrayEquals(u, Arrays.copyOf(dst, u.length));
        assertTrue(Float.isNaN(dst[u.length]), "wrote past transformedLength");
    }

    // -------------------------------------------------------------------------------------- concurrency

    @Test
    void threadsCallingAtOnceGetIdenticalResults() throws Exception {
        Random rnd = new Random(SEED + 7);
        ConvParams[] shapes = {ConvParams.of(2, 24, 15, 13, 40, 3, 3, 1, 1), ConvParams.of(1, 16, 20, 20, 17, 3, 3, 1, 2),
                ConvParams.of(3, 9, 6, 6, 12, 3, 3, 1, 0)};
        float[][] xs = new float[shapes.length][], us = new float[shapes.length][], ref = new float[shapes.length][];
        for (int i = 0; i < shapes.length; i++) {
            ConvParams p = shapes[i];
            xs[i] = data(rnd, 0, p.inputSize(), 1f);
            us[i] = WinogradConv.transformWeights(p, data(rnd, 0, p.weightSize(), 0.2f), 0);
            ref[i] = new float[p.outputSize()];
            WinogradConv.fwd(p, xs[i], 0, us[i], null, 0, Epilogue.RELU, ref[i], 0);
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int first = t;
                futures.add(pool.submit(() -> {
                    for (int rep = 0; rep < 30; rep++) {
                        int i = (first + rep) % shapes.length;
                        float[] y = new float[shapes[i].outputSize()];
                        WinogradConv.fwd(shapes[i], xs[i], 0, us[i], null, 0, Epilogue.RELU, y, 0);
                        assertArrayEquals(ref[i], y, "fwd " + shapes[i] + " differs under concurrency");
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) f.get();
        } finally {
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------------------------------------ helpers

    /** Pre-activation output in float64: y = xcorr(x, w) + b, the definition of ConvParams. */
    static double[] reference(ConvParams p, float[] x, int xOff, float[] w, int wOff, float[] b, int bOff) {
        int oh = p.outH(), ow = p.outW(), h = p.h(), wd = p.w(), c = p.c(), k = p.k(), rk = p.r();
        double[] y = new double[p.outputSize()];
        double[] row = new double[ow];
        for (int n = 0; n < p.n(); n++) {
            for (int kk = 0; kk < k; kk++) {
                int yb = (n * k + kk) * oh * ow;
                for (int i = 0; i < oh; i++) {
                    Arrays.fill(row, b == null ? 0 : b[bOff + kk]);
                    for (int cc = 0; cc < c; cc++) {
                        for (int r = 0; r < rk; r++) {
                            int ih = i + r - p.padTop();
                            if (ih < 0 || ih >= h) continue;
                            int xr = xOff + ((n * c + cc) * h + ih) * wd;
                            for (int s = 0; s < rk; s++) {
                                double wv = w[wOff + ((kk * c + cc) * rk + r) * rk + s];
                                int j0 = Math.max(0, p.padLeft() - s), j1 = Math.min(ow, wd + p.padLeft() - s);
                                for (int j = j0; j < j1; j++) row[j] += wv * x[xr + j + s - p.padLeft()];
                            }
                        }
                    }
                    System.arraycopy(row, 0, y, yb + i * ow, ow);
                }
            }
        }
        return y;
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

    /** {@code off} NaNs (a kernel reading before its range would poison its result), {@code len} values in [-scale, scale), 3 NaNs. */
    private static float[] data(Random rnd, int off, int len, float scale) {
        float[] a = new float[off + len + 3];
        Arrays.fill(a, Float.NaN);
        for (int i = 0; i < len; i++) a[off + i] = (rnd.nextFloat() * 2 - 1) * scale;
        return a;
    }

    private static float[] guarded(int n) {
        float[] a = new float[n + 7];
        Arrays.fill(a, GUARD);
        return a;
    }

    private static void checkGuards(String what, float[] a, int off, int n) {
        for (int i = 0; i < a.length; i++) {
            if (i >= off && i < off + n) continue;
            assertEquals(GUARD, a[i], what + ": wrote outside its range at index " + i + " (range " + off + ".." + (off + n) + ")");
        }
    }
}
