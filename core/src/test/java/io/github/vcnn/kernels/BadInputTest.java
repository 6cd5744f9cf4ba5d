package io.github.vcnn.kernels;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every public entry point of every available variant, fed bad input: null and short arrays, negative offsets and sizes,
 * mismatched packed weights, NaN and infinite hyper-parameters, labels and argmax indices out of range. Each must throw
 * an {@link IllegalArgumentException} whose message names the argument (before the shape description), never an
 * ArrayIndexOutOfBounds or NullPointerException, and must leave every output untouched (no partial write).
 */
class BadInputTest {
    /** In the kernels' package, the test can build a pack of a variant that does not exist, to hand it to each variant. */
    private static final PackAccess KEY = PackAccess.grant();

    /** A call to make, and the arrays it must not modify. */
    private record Attempt(Executable call, Object... outputs) {
    }

    /**
     * One bad call: a description, a regex for the argument the message must name (as a whole word, before the first
     * ':', '(' or '['), and the call built for a variant.
     */
    private record Bad(String what, String argument, Function<KernelProvider, Attempt> attempt) {
    }

    // small valid shapes every bad call starts from
    private static final ConvParams CONV = ConvParams.of(2, 3, 5, 5, 4, 3, 3, 1, 1);
    private static final ConvParams CONV_OTHER_K = ConvParams.of(2, 3, 5, 5, 8, 3, 3, 1, 1);
    private static final PoolParams POOL = PoolParams.of(1, 2, 6, 6, 2, 2, 0);
    private static final DenseParams DENSE = new DenseParams(2, 5, 3);
    private static final DenseParams DENSE_OTHER_IN = new DenseParams(2, 6, 3), DENSE_OTHER_OUT = new DenseParams(2, 5, 4);
    private static final int ROWS = 4, COLS = 5, LEN = 10;

    private static float[] f(long n) {
        float[] a = new float[(int) n];
        for (int i = 0; i < a.length; i++) a[i] = (i % 7 - 3) * 0.25f;
        return a;
    }

    private static float[] shortOf(long n) {
        return f(n - 1);
    }

    private static final float NAN = Float.NaN;

    private static List<Bad> cases() {
        List<Bad> bad = new ArrayList<>();
        int cx = CONV.inputSize(), cw = CONV.weightSize(), cy = CONV.outputSize(), ck = CONV.k();

        // ------------------------------------------------------------ conv
        bad.add(new Bad("conv pack null params", "params", k -> new Attempt(() -> k.conv().pack(null, f(cw), 0))));
        bad.add(new Bad("conv pack null w", "w", k -> new Attempt(() -> k.conv().pack(CONV, null, 0))));
        bad.add(new Bad("conv pack short w", "w", k -> new Attempt(() -> k.conv().pack(CONV, shortOf(cw), 0))));
        bad.add(new Bad("conv pack w offset past the data", "w", k -> new Attempt(() -> k.conv().pack(CONV, f(cw), 1))));
        bad.add(new Bad("conv pack negative w offset", "w", k -> new Attempt(() -> k.conv().pack(CONV, f(cw), -1))));
        bad.add(new Bad("conv fwd null params", "params", k -> {
            float[] y = f(cy);
            return new Attempt(() -> k.conv().fwd(null, f(cx), 0, k.conv().pack(CONV, f(cw), 0), f(ck), 0, Epilogue.RELU, y, 0), y);
        }));
        bad.add(new Bad("conv fwd null x", "x", k -> convFwd(k, null, 0, null, f(ck), Epilogue.RELU, f(cy))));
        bad.add(new Bad("conv fwd short x", "x", k -> convFwd(k, shortOf(cx), 0, null, f(ck), Epilogue.RELU, f(cy))));
        bad.add(new Bad("conv fwd negative x offset", "x", k -> convFwd(k, f(cx), -1, null, f(ck), Epilogue.RELU, f(cy))));
        bad.add(new Bad("conv fwd null packed weights", "w|weights|packed", k -> {
            float[] y = f(cy);
            return new Attempt(() -> k.conv().fwd(CONV, f(cx), 0, (PackedConvWeights) null, f(ck), 0, Epilogue.RELU, y, 0), y);
        }));
        bad.add(new Bad("conv fwd weights packed for another K", "w|weights|packed", k -> convFwd(k, f(cx), 0, k.conv().pack(CONV_OTHER_K, f(CONV_OTHER_K.weightSize()), 0), f(ck), Epilogue.RELU, f(cy))));
        bad.add(new Bad("conv fwd weights packed by another variant", "w|weights|packed", k -> convFwd(k, f(cx), 0,
                new PackedConvWeights(KEY, k.name() + "-not", CONV, f(cw), 1), f(ck), Epilogue.RELU, f(cy))));
        bad.add(new Bad("conv fwd short bias", "bias", k -> convFwd(k, f(cx), 0, null, shortOf(ck), Epilogue.RELU, f(cy))));
        bad.add(new Bad("conv fwd null epilogue", "act|epilogue", k -> convFwd(k, f(cx), 0, null, f(ck), null, f(cy))));
        bad.add(new Bad("conv fwd null y", "y", k -> convFwd(k, f(cx), 0, null, f(ck), Epilogue.RELU, null)));
        bad.add(new Bad("conv fwd short y", "y", k -> convFwd(k, f(cx), 0, null, f(ck), Epilogue.RELU, shortOf(cy))));
        bad.add(new Bad("conv fwd (unpacked) short w", "w", k -> {
            float[] y = f(cy);
            return new Attempt(() -> k.conv().fwd(CONV, f(cx), 0, shortOf(cw), 0, f(ck), 0, Epilogue.NONE, y, 0), y);
        }));
        bad.add(new Bad("conv fwd (unpacked) short y", "y", k -> {
            float[] y = shortOf(cy);
            return new Attempt(() -> k.conv().fwd(CONV, f(cx), 0, f(cw), 0, null, 0, Epilogue.NONE, y, 0), y);
        }));
        bad.add(new Bad("conv bwdData null params", "params", k -> convBwdData(k, null, f(cy), f(cw), f(cx))));
        bad.add(new Bad("conv bwdData short dz", "dz", k -> convBwdData(k, CONV, shortOf(cy), f(cw), f(cx))));
        bad.add(new Bad("conv bwdData null dz", "dz", k -> convBwdData(k, CONV, null, f(cw), f(cx))));
        bad.add(new Bad("conv bwdData short w", "w", k -> convBwdData(k, CONV, f(cy), shortOf(cw), f(cx))));
        bad.add(new Bad("conv bwdData short dx", "dx", k -> convBwdData(k, CONV, f(cy), f(cw), shortOf(cx))));
        bad.add(new Bad("conv bwdWeights null params", "params", k -> convBwdWeights(k, null, f(cx), f(cy), f(cw), f(ck))));
        bad.add(new Bad("conv bwdWeights short x", "x", k -> convBwdWeights(k, CONV, shortOf(cx), f(cy), f(cw), f(ck))));
        bad.add(new Bad("conv bwdWeights short dz", "dz", k -> convBwdWeights(k, CONV, f(cx), shortOf(cy), f(cw), f(ck))));
        bad.add(new Bad("conv bwdWeights null dw", "dw", k -> convBwdWeights(k, CONV, f(cx), f(cy), null, f(ck))));
        bad.add(new Bad("conv bwdWeights short dw", "dw", k -> convBwdWeights(k, CONV, f(cx), f(cy), shortOf(cw), f(ck))));
        bad.add(new Bad("conv bwdWeights short db", "db", k -> convBwdWeights(k, CONV, f(cx), f(cy), f(cw), shortOf(ck))));

        // ------------------------------------------------------------ pooling
        int px = POOL.inputSize(), py = POOL.outputSize(), hw = POOL.h() * POOL.w();
        bad.add(new Bad("maxFwd null params", "params", k -> maxFwd(k, null, f(px), f(py), new int[py])));
        bad.add(new Bad("maxFwd null x", "x", k -> maxFwd(k, POOL, null, f(py), new int[py])));
        bad.add(new Bad("maxFwd short x", "x", k -> maxFwd(k, POOL, shortOf(px), f(py), new int[py])));
        bad.add(new Bad("maxFwd short y", "y", k -> maxFwd(k, POOL, f(px), shortOf(py), new int[py])));
        bad.add(new Bad("maxFwd short argmax", "argmax", k -> maxFwd(k, POOL, f(px), f(py), new int[py - 1])));
        bad.add(new Bad("maxBwd short dy", "dy", k -> maxBwd(k, POOL, shortOf(py), new int[py], f(px))));
        bad.add(new Bad("maxBwd null argmax", "argmax", k -> maxBwd(k, POOL, f(py), null, f(px))));
        bad.add(new Bad("maxBwd short argmax", "argmax", k -> maxBwd(k, POOL, f(py), new int[py - 1], f(px))));
        bad.add(new Bad("maxBwd argmax past the plane", "argmax", k -> {
            int[] arg = new int[py];
            arg[py - 1] = hw;
            return maxBwd(k, POOL, f(py), arg, f(px));
        }));
        bad.add(new Bad("maxBwd negative argmax", "argmax", k -> {
            int[] arg = new int[py];
            arg[py / 2] = -1;
            return maxBwd(k, POOL, f(py), arg, f(px));
        }));
        bad.add(new Bad("maxBwd short dx", "dx", k -> maxBwd(k, POOL, f(py), new int[py], shortOf(px))));
        bad.add(new Bad("avgFwd null params", "params", k -> {
            float[] y = f(py);
            return new Attempt(() -> k.pool().avgFwd(null, f(px), 0, y, 0), y);
        }));
        bad.add(new Bad("avgFwd short x", "x", k -> {
            float[] y = f(py);
            return new Attempt(() -> k.pool().avgFwd(POOL, shortOf(px), 0, y, 0), y);
        }));
        bad.add(new Bad("avgFwd short y", "y", k -> new Attempt(() -> k.pool().avgFwd(POOL, f(px), 0, shortOf(py), 0))));
        bad.add(new Bad("avgBwd short dy", "dy", k -> {
            float[] dx = f(px);
            return new Attempt(() -> k.pool().avgBwd(POOL, shortOf(py), 0, dx, 0), dx);
        }));
        bad.add(new Bad("avgBwd null dx", "dx", k -> new Attempt(() -> k.pool().avgBwd(POOL, f(py), 0, null, 0))));
        bad.add(new Bad("avgBwd short dx", "dx", k -> new Attempt(() -> k.pool().avgBwd(POOL, f(py), 0, shortOf(px), 0))));
        for (String op : List.of("globalAvgFwd", "globalMaxFwd")) {
            bad.add(new Bad(op + " negative n", "n", k -> global(k, op, -1, 2, 9, f(18), f(2))));
            bad.add(new Bad(op + " zero c", "c", k -> global(k, op, 1, 0, 9, f(18), f(2))));
            bad.add(new Bad(op + " negative hw", "hw", k -> global(k, op, 1, 2, -9, f(18), f(2))));
            bad.add(new Bad(op + " short x", "x", k -> global(k, op, 1, 2, 9, shortOf(18), f(2))));
            bad.add(new Bad(op + " null y", "y", k -> global(k, op, 1, 2, 9, f(18), null)));
            bad.add(new Bad(op + " short y", "y", k -> global(k, op, 1, 2, 9, f(18), shortOf(2))));
        }
        bad.add(new Bad("globalAvgBwd negative hw", "hw", k -> global(k, "globalAvgBwd", 1, 2, -9, f(2), f(18))));
        bad.add(new Bad("globalAvgBwd short dy", "dy", k -> global(k, "globalAvgBwd", 1, 2, 9, shortOf(2), f(18))));
        bad.add(new Bad("globalAvgBwd short dx", "dx", k -> global(k, "globalAvgBwd", 1, 2, 9, f(2), shortOf(18))));

        // ------------------------------------------------------------ activations
        bad.add(new Bad("activation fwd null epilogue", "act|epilogue", k -> {
            float[] y = f(LEN);
            return new Attempt(() -> k.activation().fwd(null, f(LEN), 0, y, 0, LEN), y);
        }));
        bad.add(new Bad("activation fwd negative len", "len", k -> {
            float[] y = f(LEN);
            return new Attempt(() -> k.activation().fwd(Epilogue.RELU, f(LEN), 0, y, 0, -1), y);
        }));
        bad.add(new Bad("activation fwd null x", "x", k -> new Attempt(() -> k.activation().fwd(Epilogue.RELU, null, 0, f(LEN), 0, LEN))));
        bad.add(new Bad("activation fwd short x", "x", k -> {
            float[] y = f(LEN);
            return new Attempt(() -> k.activation().fwd(Epilogue.SIGMOID, shortOf(LEN), 0, y, 0, LEN), y);
        }));
        bad.add(new Bad("activation fwd short y", "y", k -> new Attempt(() -> k.activation().fwd(Epilogue.RELU, f(LEN), 0, f(LEN), 1, LEN))));
        bad.add(new Bad("activation fwdInPlace short x", "x", k -> {
            float[] x = f(LEN);
            return new Attempt(() -> k.activation().fwdInPlace(Epilogue.RELU, x, 1, LEN), x);
        }));
        bad.add(new Bad("activation fwdInPlace null x", "x", k -> new Attempt(() -> k.activation().fwdInPlace(Epilogue.RELU, null, 0, LEN))));
        bad.add(new Bad("activation bwd null epilogue", "act|epilogue", k -> actBwd(k, null, f(LEN), f(LEN), f(LEN), LEN)));
        bad.add(new Bad("activation bwd negative len", "len", k -> actBwd(k, Epilogue.RELU, f(LEN), f(LEN), f(LEN), -3)));
        bad.add(new Bad("activation bwd short y", "y", k -> actBwd(k, Epilogue.RELU, shortOf(LEN), f(LEN), f(LEN), LEN)));
        bad.add(new Bad("activation bwd short dy", "dy", k -> actBwd(k, Epilogue.RELU, f(LEN), shortOf(LEN), f(LEN), LEN)));
        bad.add(new Bad("activation bwd null dx", "dx", k -> actBwd(k, Epilogue.RELU, f(LEN), f(LEN), null, LEN)));
        bad.add(new Bad("activation bwd short dx", "dx", k -> actBwd(k, Epilogue.RELU, f(LEN), f(LEN), shortOf(LEN), LEN)));

        // ------------------------------------------------------------ dense and sgemm
        int dx = DENSE.batch() * DENSE.in(), dw = DENSE.out() * DENSE.in(), dy = DENSE.batch() * DENSE.out();
        bad.add(new Bad("dense fwd null params", "params", k -> denseFwd(k, null, f(dx), f(dw), f(3), Epilogue.NONE, f(dy))));
        bad.add(new Bad("dense fwd short x", "x", k -> denseFwd(k, DENSE, shortOf(dx), f(dw), f(3), Epilogue.NONE, f(dy))));
        bad.add(new Bad("dense fwd null w", "w", k -> denseFwd(k, DENSE, f(dx), null, f(3), Epilogue.NONE, f(dy))));
        bad.add(new Bad("dense fwd short w", "w", k -> denseFwd(k, DENSE, f(dx), shortOf(dw), f(3), Epilogue.NONE, f(dy))));
        bad.add(new Bad("dense fwd short bias", "bias", k -> denseFwd(k, DENSE, f(dx), f(dw), shortOf(3), Epilogue.NONE, f(dy))));
        bad.add(new Bad("dense fwd null epilogue", "act|epilogue", k -> denseFwd(k, DENSE, f(dx), f(dw), f(3), null, f(dy))));
        bad.add(new Bad("dense fwd short y", "y", k -> denseFwd(k, DENSE, f(dx), f(dw), f(3), Epilogue.RELU, shortOf(dy))));
        bad.add(new Bad("dense pack null params", "params", k -> new Attempt(() -> k.dense().pack(null, f(dw), 0))));
        bad.add(new Bad("dense pack null w", "w", k -> new Attempt(() -> k.dense().pack(DENSE, null, 0))));
        bad.add(new Bad("dense pack short w", "w", k -> new Attempt(() -> k.dense().pack(DENSE, shortOf(dw), 0))));
        bad.add(new Bad("dense pack w offset past the data", "w", k -> new Attempt(() -> k.dense().pack(DENSE, f(dw), 1))));
        bad.add(new Bad("dense pack negative w offset", "w", k -> new Attempt(() -> k.dense().pack(DENSE, f(dw), -1))));
        bad.add(new Bad("dense fwd (packed) null params", "params", k -> {
            float[] y = f(dy);
            return new Attempt(() -> k.dense().fwd(null, f(dx), 0, k.dense().pack(DENSE, f(dw), 0), f(3), 0, Epilogue.RELU, y, 0), y);
        }));
        bad.add(new Bad("dense fwd (packed) short x", "x", k -> densePackedFwd(k, shortOf(dx), null, f(3), Epilogue.RELU, f(dy))));
        bad.add(new Bad("dense fwd null packed weights", "w|weights|packed", k -> {
            float[] y = f(dy);
            return new Attempt(() -> k.dense().fwd(DENSE, f(dx), 0, (PackedDenseWeights) null, f(3), 0, Epilogue.RELU, y, 0), y);
        }));
        bad.add(new Bad("dense fwd weights packed for another in", "w|weights|packed", k -> densePackedFwd(k, f(dx),
                k.dense().pack(DENSE_OTHER_IN, f(DENSE_OTHER_IN.out() * DENSE_OTHER_IN.in()), 0), f(3), Epilogue.RELU, f(dy))));
        bad.add(new Bad("dense fwd weights packed for another out", "w|weights|packed", k -> densePackedFwd(k, f(dx),
                k.dense().pack(DENSE_OTHER_OUT, f(DENSE_OTHER_OUT.out() * DENSE_OTHER_OUT.in()), 0), f(3), Epilogue.RELU, f(dy))));
        bad.add(new Bad("dense fwd weights packed by another variant", "w|weights|packed", k -> densePackedFwd(k, f(dx),
                new PackedDenseWeights(KEY, k.name() + "-not", DENSE, "[out][in]", 1, f(dw)), f(3), Epilogue.RELU, f(dy))));
        bad.add(new Bad("dense fwd (packed) short bias", "bias", k -> densePackedFwd(k, f(dx), null, shortOf(3), Epilogue.RELU, f(dy))));
        bad.add(new Bad("dense fwd (packed) null epilogue", "act|epilogue", k -> densePackedFwd(k, f(dx), null, f(3), null, f(dy))));
        bad.add(new Bad("dense fwd (packed) short y", "y", k -> densePackedFwd(k, f(dx), null, f(3), Epilogue.RELU, shortOf(dy))));
        bad.add(new Bad("dense bwdData short dz", "dz", k -> denseBwdData(k, DENSE, shortOf(dy), f(dw), f(dx))));
        bad.add(new Bad("dense bwdData short w", "w", k -> denseBwdData(k, DENSE, f(dy), shortOf(dw), f(dx))));
        bad.add(new Bad("dense bwdData short dx", "dx", k -> denseBwdData(k, DENSE, f(dy), f(dw), shortOf(dx))));
        bad.add(new Bad("dense bwdData null params", "params", k -> denseBwdData(k, null, f(dy), f(dw), f(dx))));
        bad.add(new Bad("dense bwdWeights short x", "x", k -> denseBwdWeights(k, DENSE, shortOf(dx), f(dy), f(dw), f(3))));
        bad.add(new Bad("dense bwdWeights short dz", "dz", k -> denseBwdWeights(k, DENSE, f(dx), shortOf(dy), f(dw), f(3))));
        bad.add(new Bad("dense bwdWeights short dw", "dw", k -> denseBwdWeights(k, DENSE, f(dx), f(dy), shortOf(dw), f(3))));
        bad.add(new Bad("dense bwdWeights short db", "db", k -> denseBwdWeights(k, DENSE, f(dx), f(dy), f(dw), shortOf(3))));
        // sgemm: C[3x4] = A[3x5] * B[5x4]
        bad.add(new Bad("sgemm negative m", "m", k -> sgemm(k, false, false, -3, 4, 5, 1f, f(15), 5, f(20), 4, 0f, f(12), 4)));
        bad.add(new Bad("sgemm negative n", "n", k -> sgemm(k, false, false, 3, -4, 5, 1f, f(15), 5, f(20), 4, 0f, f(12), 4)));
        bad.add(new Bad("sgemm negative k", "k", k -> sgemm(k, false, false, 3, 4, -5, 1f, f(15), 5, f(20), 4, 0f, f(12), 4)));
        bad.add(new Bad("sgemm NaN alpha", "alpha", k -> sgemm(k, false, false, 3, 4, 5, NAN, f(15), 5, f(20), 4, 0f, f(12), 4)));
        bad.add(new Bad("sgemm infinite alpha", "alpha", k -> sgemm(k, false, false, 3, 4, 5, Float.POSITIVE_INFINITY, f(15), 5, f(20), 4, 0f, f(12), 4)));
        bad.add(new Bad("sgemm NaN beta", "beta", k -> sgemm(k, false, false, 3, 4, 5, 1f, f(15), 5, f(20), 4, NAN, f(12), 4)));
        bad.add(new Bad("sgemm null a", "a", k -> sgemm(k, false, false, 3, 4, 5, 1f, null, 5, f(20), 4, 0f, f(12), 4)));
        bad.add(new Bad("sgemm short a", "a", k -> sgemm(k, false, false, 3, 4, 5, 1f, shortOf(15), 5, f(20), 4, 0f, f(12), 4)));
        bad.add(new Bad("sgemm short a^T", "a", k -> sgemm(k, true, false, 3, 4, 5, 1f, shortOf(15), 3, f(20), 4, 0f, f(12), 4)));
        bad.add(new Bad("sgemm lda too small", "lda", k -> sgemm(k, false, false, 3, 4, 5, 1f, f(15), 4, f(20), 4, 0f, f(12), 4)));
        bad.add(new Bad("sgemm short b", "b", k -> sgemm(k, false, false, 3, 4, 5, 1f, f(15), 5, shortOf(20), 4, 0f, f(12), 4)));
        bad.add(new Bad("sgemm short b^T", "b", k -> sgemm(k, false, true, 3, 4, 5, 1f, f(15), 5, shortOf(20), 5, 0f, f(12), 4)));
        bad.add(new Bad("sgemm ldb too small", "ldb", k -> sgemm(k, false, true, 3, 4, 5, 1f, f(15), 5, f(20), 4, 0f, f(12), 4)));
        bad.add(new Bad("sgemm null c", "c", k -> sgemm(k, false, false, 3, 4, 5, 1f, f(15), 5, f(20), 4, 0f, null, 4)));
        bad.add(new Bad("sgemm short c", "c", k -> sgemm(k, false, false, 3, 4, 5, 1f, f(15), 5, f(20), 4, 1f, shortOf(12), 4)));
        bad.add(new Bad("sgemm short c for ldc", "c", k -> sgemm(k, false, false, 3, 4, 5, 1f, f(15), 5, f(20), 4, 1f, f(12), 5)));
        bad.add(new Bad("sgemm ldc too small", "ldc", k -> sgemm(k, false, false, 3, 4, 5, 1f, f(15), 5, f(20), 4, 1f, f(12), 3)));

        // ------------------------------------------------------------ softmax and losses
        int sl = ROWS * COLS;
        for (String op : List.of("softmax", "logSoftmax")) {
            bad.add(new Bad(op + " negative rows", "rows", k -> softmax(k, op, -1, COLS, f(sl), f(sl))));
            bad.add(new Bad(op + " negative cols", "cols", k -> softmax(k, op, ROWS, -5, f(sl), f(sl))));
            bad.add(new Bad(op + " null x", "x", k -> softmax(k, op, ROWS, COLS, null, f(sl))));
            bad.add(new Bad(op + " short x", "x", k -> softmax(k, op, ROWS, COLS, shortOf(sl), f(sl))));
            bad.add(new Bad(op + " short y", "y", k -> softmax(k, op, ROWS, COLS, f(sl), shortOf(sl))));
        }
        bad.add(new Bad("crossEntropy negative rows", "rows", k -> ce(k, -ROWS, f(sl), labels(), f(sl), f(sl))));
        bad.add(new Bad("crossEntropy short logits", "logits", k -> ce(k, ROWS, shortOf(sl), labels(), f(sl), f(sl))));
        bad.add(new Bad("crossEntropy null labels", "labels", k -> ce(k, ROWS, f(sl), null, f(sl), f(sl))));
        bad.add(new Bad("crossEntropy short labels", "labels", k -> ce(k, ROWS, f(sl), new int[ROWS - 1], f(sl), f(sl))));
        bad.add(new Bad("crossEntropy short probs", "probs", k -> ce(k, ROWS, f(sl), labels(), shortOf(sl), f(sl))));
        bad.add(new Bad("crossEntropy short dlogits", "dlogits", k -> ce(k, ROWS, f(sl), labels(), f(sl), shortOf(sl))));
        bad.add(new Bad("crossEntropy label == cols in row 2", "row\\s*2|\\[2\\]", k -> {
            int[] labels = labels();
            labels[2] = COLS;
            return ce(k, ROWS, f(sl), labels, f(sl), f(sl));
        }));
        bad.add(new Bad("crossEntropy negative label in row 3", "row\\s*3|\\[3\\]", k -> {
            int[] labels = labels();
            labels[3] = -1;
            return ce(k, ROWS, f(sl), labels, f(sl), f(sl));
        }));
        bad.add(new Bad("mse negative len", "len", k -> mse(k, -1, f(LEN), f(LEN), f(LEN))));
        bad.add(new Bad("mse null pred", "pred", k -> mse(k, LEN, null, f(LEN), f(LEN))));
        bad.add(new Bad("mse short pred", "pred", k -> mse(k, LEN, shortOf(LEN), f(LEN), f(LEN))));
        bad.add(new Bad("mse short target", "target", k -> mse(k, LEN, f(LEN), shortOf(LEN), f(LEN))));
        bad.add(new Bad("mse short dpred", "dpred", k -> mse(k, LEN, f(LEN), f(LEN), shortOf(LEN))));

        // ------------------------------------------------------------ elementwise
        bad.add(new Bad("add negative len", "len", k -> add(k, f(LEN), f(LEN), f(LEN), -1)));
        bad.add(new Bad("add null a", "a", k -> add(k, null, f(LEN), f(LEN), LEN)));
        bad.add(new Bad("add short a", "a", k -> add(k, shortOf(LEN), f(LEN), f(LEN), LEN)));
        bad.add(new Bad("add short b", "b", k -> add(k, f(LEN), shortOf(LEN), f(LEN), LEN)));
        bad.add(new Bad("add short y", "y", k -> add(k, f(LEN), f(LEN), shortOf(LEN), LEN)));
        bad.add(new Bad("mul short a", "a", k -> mul(k, shortOf(LEN), f(LEN), f(LEN), LEN)));
        bad.add(new Bad("mul short b", "b", k -> mul(k, f(LEN), shortOf(LEN), f(LEN), LEN)));
        bad.add(new Bad("mul null y", "y", k -> mul(k, f(LEN), f(LEN), null, LEN)));
        bad.add(new Bad("mul negative len", "len", k -> mul(k, f(LEN), f(LEN), f(LEN), -2)));
        bad.add(new Bad("axpy NaN alpha", "alpha", k -> axpy(k, LEN, NAN, f(LEN), f(LEN))));
        bad.add(new Bad("axpy negative len", "len", k -> axpy(k, -1, 1f, f(LEN), f(LEN))));
        bad.add(new Bad("axpy short x", "x", k -> axpy(k, LEN, 1f, shortOf(LEN), f(LEN))));
        bad.add(new Bad("axpy short y", "y", k -> axpy(k, LEN, 1f, f(LEN), shortOf(LEN))));
        bad.add(new Bad("scale NaN alpha", "alpha", k -> scale(k, LEN, NAN, f(LEN), f(LEN))));
        bad.add(new Bad("scale negative len", "len", k -> scale(k, -1, 2f, f(LEN), f(LEN))));
        bad.add(new Bad("scale short x", "x", k -> scale(k, LEN, 2f, shortOf(LEN), f(LEN))));
        bad.add(new Bad("scale short y", "y", k -> scale(k, LEN, 2f, f(LEN), shortOf(LEN))));
        bad.add(new Bad("sumOfSquares negative len", "len", k -> new Attempt(() -> k.elementwise().sumOfSquares(-1, f(LEN), 0))));
        bad.add(new Bad("sumOfSquares null x", "x", k -> new Attempt(() -> k.elementwise().sumOfSquares(LEN, null, 0))));
        bad.add(new Bad("sumOfSquares short x", "x", k -> new Attempt(() -> k.elementwise().sumOfSquares(LEN, f(LEN), 1))));

        // ------------------------------------------------------------ optimizers
        bad.add(new Bad("sgd negative len", "len", k -> sgd(k, -1, f(LEN), f(LEN), f(LEN), 0.1f, 0.9f, 0f, 0f)));
        bad.add(new Bad("sgd null p", "p", k -> sgd(k, LEN, null, f(LEN), f(LEN), 0.1f, 0.9f, 0f, 0f)));
        bad.add(new Bad("sgd short p", "p", k -> sgd(k, LEN, shortOf(LEN), f(LEN), f(LEN), 0.1f, 0.9f, 0f, 0f)));
        bad.add(new Bad("sgd short g", "g", k -> sgd(k, LEN, f(LEN), shortOf(LEN), f(LEN), 0.1f, 0.9f, 0f, 0f)));
        bad.add(new Bad("sgd momentum without buffer", "buf|buffer", k -> sgd(k, LEN, f(LEN), f(LEN), null, 0.1f, 0.9f, 0f, 0f)));
        bad.add(new Bad("sgd short momentum buffer", "buf|buffer", k -> sgd(k, LEN, f(LEN), f(LEN), shortOf(LEN), 0.1f, 0.9f, 0f, 0f)));
        bad.add(new Bad("sgd NaN lr", "lr|learning.?rate", k -> sgd(k, LEN, f(LEN), f(LEN), f(LEN), NAN, 0.9f, 0f, 0f)));
        bad.add(new Bad("sgd infinite lr", "lr|learning.?rate", k -> sgd(k, LEN, f(LEN), f(LEN), f(LEN), Float.POSITIVE_INFINITY, 0.9f, 0f, 0f)));
        bad.add(new Bad("sgd NaN momentum", "momentum", k -> sgd(k, LEN, f(LEN), f(LEN), f(LEN), 0.1f, NAN, 0f, 0f)));
        bad.add(new Bad("sgd NaN dampening", "dampening", k -> sgd(k, LEN, f(LEN), f(LEN), f(LEN), 0.1f, 0.9f, NAN, 0f)));
        bad.add(new Bad("sgd NaN weight decay", "weight.?decay|wd", k -> sgd(k, LEN, f(LEN), f(LEN), f(LEN), 0.1f, 0.9f, 0f, NAN)));
        bad.add(new Bad("adam negative len", "len", k -> adam(k, -1, f(LEN), f(LEN), f(LEN), f(LEN), 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1)));
        bad.add(new Bad("adam short p", "p", k -> adam(k, LEN, shortOf(LEN), f(LEN), f(LEN), f(LEN), 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1)));
        bad.add(new Bad("adam null g", "g", k -> adam(k, LEN, f(LEN), null, f(LEN), f(LEN), 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1)));
        bad.add(new Bad("adam short g", "g", k -> adam(k, LEN, f(LEN), shortOf(LEN), f(LEN), f(LEN), 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1)));
        bad.add(new Bad("adam short m", "m", k -> adam(k, LEN, f(LEN), f(LEN), shortOf(LEN), f(LEN), 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1)));
        bad.add(new Bad("adam null v", "v", k -> adam(k, LEN, f(LEN), f(LEN), f(LEN), null, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1)));
        bad.add(new Bad("adam short v", "v", k -> adam(k, LEN, f(LEN), f(LEN), f(LEN), shortOf(LEN), 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1)));
        bad.add(new Bad("adam NaN lr", "lr|learning.?rate", k -> adam(k, LEN, f(LEN), f(LEN), f(LEN), f(LEN), NAN, 0.9f, 0.999f, 1e-8f, 0f, 1)));
        bad.add(new Bad("adam NaN beta1", "beta1", k -> adam(k, LEN, f(LEN), f(LEN), f(LEN), f(LEN), 1e-3f, NAN, 0.999f, 1e-8f, 0f, 1)));
        bad.add(new Bad("adam NaN beta2", "beta2", k -> adam(k, LEN, f(LEN), f(LEN), f(LEN), f(LEN), 1e-3f, 0.9f, NAN, 1e-8f, 0f, 1)));
        bad.add(new Bad("adam beta1 = 1", "beta1", k -> adam(k, LEN, f(LEN), f(LEN), f(LEN), f(LEN), 1e-3f, 1f, 0.999f, 1e-8f, 0f, 1)));
        bad.add(new Bad("adam NaN eps", "eps|epsilon", k -> adam(k, LEN, f(LEN), f(LEN), f(LEN), f(LEN), 1e-3f, 0.9f, 0.999f, NAN, 0f, 1)));
        bad.add(new Bad("adam NaN weight decay", "weight.?decay|wd", k -> adam(k, LEN, f(LEN), f(LEN), f(LEN), f(LEN), 1e-3f, 0.9f, 0.999f, 1e-8f, NAN, 1)));
        bad.add(new Bad("adam step 0", "step", k -> adam(k, LEN, f(LEN), f(LEN), f(LEN), f(LEN), 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 0)));
        // ------------------------------------------------------------ aliasing: an output overlapping an input (the same for every variant)
        int cm = Math.max(cx, Math.max(cy, cw));
        bad.add(new Bad("conv fwd y overlaps x (in place)", "y", k -> {
            float[] a = f(cm);
            return convFwd(k, a, 0, null, f(ck), Epilogue.RELU, a);
        }));
        bad.add(new Bad("conv fwd y overlaps x (shifted range)", "y", k -> {
            float[] a = f(cm + 7);
            PackedConvWeights w = k.conv().pack(CONV, f(cw), 0);
            return new Attempt(() -> k.conv().fwd(CONV, a, 7, w, f(ck), 0, Epilogue.RELU, a, 0), a);
        }));
        bad.add(new Bad("conv fwd y overlaps bias", "y", k -> {
            float[] a = f(cy);
            return convFwd(k, f(cx), 0, null, a, Epilogue.RELU, a);
        }));
        bad.add(new Bad("conv bwdData dx overlaps dz", "dx", k -> {
            float[] a = f(cm);
            return convBwdData(k, CONV, a, f(cw), a);
        }));
        bad.add(new Bad("conv bwdData dx overlaps w", "dx", k -> {
            float[] a = f(cm);
            return convBwdData(k, CONV, f(cy), a, a);
        }));
        bad.add(new Bad("conv bwdWeights dw overlaps x", "dw", k -> {
            float[] a = f(cm);
            return convBwdWeights(k, CONV, a, f(cy), a, f(ck));
        }));
        bad.add(new Bad("conv bwdWeights dw overlaps dz", "dw", k -> {
            float[] a = f(cm);
            return convBwdWeights(k, CONV, f(cx), a, a, f(ck));
        }));
        bad.add(new Bad("conv bwdWeights db overlaps dw", "db", k -> {
            float[] a = f(cw);
            return convBwdWeights(k, CONV, f(cx), f(cy), a, a);
        }));
        int pm = Math.max(POOL.inputSize(), POOL.outputSize());
        bad.add(new Bad("pool maxFwd y overlaps x", "y", k -> {
            float[] a = f(pm);
            return maxFwd(k, POOL, a, a, new int[POOL.outputSize()]);
        }));
        bad.add(new Bad("pool avgFwd y overlaps x", "y", k -> {
            float[] a = f(pm);
            return new Attempt(() -> k.pool().avgFwd(POOL, a, 0, a, 0), a);
        }));
        bad.add(new Bad("pool maxBwd dx overlaps dy", "dx", k -> {
            float[] a = f(pm);
            return maxBwd(k, POOL, a, new int[POOL.outputSize()], a);
        }));
        bad.add(new Bad("pool avgBwd dx overlaps dy", "dx", k -> {
            float[] a = f(pm);
            return new Attempt(() -> k.pool().avgBwd(POOL, a, 0, a, 0), a);
        }));
        bad.add(new Bad("globalAvgFwd y overlaps x", "y", k -> {
            float[] a = f(2 * 3 * 4);
            return global(k, "globalAvgFwd", 2, 3, 4, a, a);
        }));
        bad.add(new Bad("globalAvgBwd dx overlaps dy", "dx", k -> {
            float[] a = f(2 * 3 * 4);
            return global(k, "globalAvgBwd", 2, 3, 4, a, a);
        }));
        int dxn = DENSE.inputSize(), dwn = DENSE.weightSize(), dyn = DENSE.outputSize(), dm = Math.max(dxn, Math.max(dwn, dyn));
        bad.add(new Bad("dense fwd y overlaps x", "y", k -> {
            float[] a = f(dm);
            return denseFwd(k, DENSE, a, f(dwn), f(3), Epilogue.NONE, a);
        }));
        bad.add(new Bad("dense fwd y overlaps w", "y", k -> {
            float[] a = f(dm);
            return denseFwd(k, DENSE, f(dxn), a, f(3), Epilogue.NONE, a);
        }));
        bad.add(new Bad("dense fwd (packed) y overlaps x", "y", k -> {
            float[] a = f(dm);
            return densePackedFwd(k, a, null, f(3), Epilogue.RELU, a);
        }));
        bad.add(new Bad("dense bwdData dx overlaps dz", "dx", k -> {
            float[] a = f(dm);
            return denseBwdData(k, DENSE, a, f(dwn), a);
        }));
        bad.add(new Bad("dense bwdWeights dw overlaps x", "dw", k -> {
            float[] a = f(dm);
            return denseBwdWeights(k, DENSE, a, f(dyn), a, f(3));
        }));
        bad.add(new Bad("dense bwdWeights db overlaps dz", "db", k -> {
            float[] a = f(dm);
            return denseBwdWeights(k, DENSE, f(dxn), a, f(dwn), a);
        }));
        bad.add(new Bad("sgemm c overlaps a", "c", k -> {
            float[] a = f(ROWS * COLS);
            return sgemm(k, false, false, ROWS, COLS, COLS, 1f, a, COLS, f(COLS * COLS), COLS, 0f, a, COLS);
        }));
        bad.add(new Bad("sgemm c overlaps b", "c", k -> {
            float[] a = f(COLS * COLS);
            return sgemm(k, false, true, COLS, COLS, COLS, 1f, f(COLS * COLS), COLS, a, COLS, 1f, a, COLS);
        }));
        return bad;
    }

    // ---------------------------------------------------------------- call builders (outputs watched for partial writes)

    private static Attempt convFwd(KernelProvider k, float[] x, int xOff, PackedConvWeights packed, float[] bias, Epilogue act, float[] y) {
        PackedConvWeights w = packed != null ? packed : k.conv().pack(CONV, f(CONV.weightSize()), 0);
        return new Attempt(() -> k.conv().fwd(CONV, x, xOff, w, bias, 0, act, y, 0), y);
    }

    private static Attempt convBwdData(KernelProvider k, ConvParams p, float[] dz, float[] w, float[] dx) {
        return new Attempt(() -> k.conv().bwdData(p, dz, 0, w, 0, dx, 0), dx);
    }

    private static Attempt convBwdWeights(KernelProvider k, ConvParams p, float[] x, float[] dz, float[] dw, float[] db) {
        return new Attempt(() -> k.conv().bwdWeights(p, x, 0, dz, 0, dw, 0, db, 0), dw, db);
    }

    private static Attempt maxFwd(KernelProvider k, PoolParams p, float[] x, float[] y, int[] argmax) {
        return new Attempt(() -> k.pool().maxFwd(p, x, 0, y, 0, argmax, 0), y, argmax);
    }

    private static Attempt maxBwd(KernelProvider k, PoolParams p, float[] dy, int[] argmax, float[] dx) {
        return new Attempt(() -> k.pool().maxBwd(p, dy, 0, argmax, 0, dx, 0), dx);
    }

    private static Attempt global(KernelProvider k, String op, int n, int c, int hw, float[] in, float[] out) {
        return new Attempt(switch (op) {
            case "globalAvgFwd" -> () -> k.pool().globalAvgFwd(n, c, hw, in, 0, out, 0);
            case "globalMaxFwd" -> () -> k.pool().globalMaxFwd(n, c, hw, in, 0, out, 0);
            default -> () -> k.pool().globalAvgBwd(n, c, hw, in, 0, out, 0);
        }, out);
    }

    private static Attempt actBwd(KernelProvider k, Epilogue act, float[] y, float[] dy, float[] dx, int len) {
        return new Attempt(() -> k.activation().bwd(act, y, 0, dy, 0, dx, 0, len), dx);
    }

    private static Attempt denseFwd(KernelProvider k, DenseParams p, float[] x, float[] w, float[] b, Epilogue act, float[] y) {
        return new Attempt(() -> k.dense().fwd(p, x, 0, w, 0, b, 0, act, y, 0), y);
    }

    /** A packed-weights dense forward on {@code DENSE}; {@code packed} null means valid weights packed by {@code k}. */
    private static Attempt densePackedFwd(KernelProvider k, float[] x, PackedDenseWeights packed, float[] b, Epilogue act, float[] y) {
        PackedDenseWeights w = packed != null ? packed : k.dense().pack(DENSE, f((long) DENSE.out() * DENSE.in()), 0);
        return new Attempt(() -> k.dense().fwd(DENSE, x, 0, w, b, 0, act, y, 0), y);
    }

    private static Attempt denseBwdData(KernelProvider k, DenseParams p, float[] dz, float[] w, float[] dx) {
        return new Attempt(() -> k.dense().bwdData(p, dz, 0, w, 0, dx, 0), dx);
    }

    private static Attempt denseBwdWeights(KernelProvider k, DenseParams p, float[] x, float[] dz, float[] dw, float[] db) {
        return new Attempt(() -> k.dense().bwdWeights(p, x, 0, dz, 0, dw, 0, db, 0), dw, db);
    }

    private static Attempt sgemm(KernelProvider k, boolean ta, boolean tb, int m, int n, int kk, float alpha,
                                 float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc) {
        return new Attempt(() -> k.dense().sgemm(ta, tb, m, n, kk, alpha, a, 0, lda, b, 0, ldb, beta, c, 0, ldc), c);
    }

    private static Attempt softmax(KernelProvider k, String op, int rows, int cols, float[] x, float[] y) {
        return new Attempt(op.equals("softmax") ? () -> k.softmax().softmax(rows, cols, x, 0, y, 0)
                : () -> k.softmax().logSoftmax(rows, cols, x, 0, y, 0), y);
    }

    private static int[] labels() {
        int[] labels = new int[ROWS];
        for (int r = 0; r < ROWS; r++) labels[r] = r % COLS;
        return labels;
    }

    private static Attempt ce(KernelProvider k, int rows, float[] logits, int[] labels, float[] probs, float[] dlogits) {
        return new Attempt(() -> k.softmax().crossEntropy(rows, COLS, logits, 0, labels, 0, probs, 0, dlogits, 0), probs, dlogits);
    }

    private static Attempt mse(KernelProvider k, int len, float[] pred, float[] target, float[] dpred) {
        return new Attempt(() -> k.softmax().mse(len, pred, 0, target, 0, dpred, 0), dpred);
    }

    private static Attempt add(KernelProvider k, float[] a, float[] b, float[] y, int len) {
        return new Attempt(() -> k.elementwise().add(a, 0, b, 0, y, 0, len, true), y);
    }

    private static Attempt mul(KernelProvider k, float[] a, float[] b, float[] y, int len) {
        return new Attempt(() -> k.elementwise().mul(a, 0, b, 0, y, 0, len), y);
    }

    private static Attempt axpy(KernelProvider k, int len, float alpha, float[] x, float[] y) {
        return new Attempt(() -> k.elementwise().axpy(len, alpha, x, 0, y, 0), y);
    }

    private static Attempt scale(KernelProvider k, int len, float alpha, float[] x, float[] y) {
        return new Attempt(() -> k.elementwise().scale(len, alpha, x, 0, y, 0), y);
    }

    private static Attempt sgd(KernelProvider k, int len, float[] p, float[] g, float[] buf, float lr, float momentum, float dampening, float wd) {
        return new Attempt(() -> k.optimizer().sgd(len, p, 0, g, 0, buf, 0, lr, momentum, dampening, wd, false, false), p, buf);
    }

    private static Attempt adam(KernelProvider k, int len, float[] p, float[] g, float[] m, float[] v,
                                float lr, float beta1, float beta2, float eps, float wd, int step) {
        return new Attempt(() -> k.optimizer().adam(len, p, 0, g, 0, m, 0, v, 0, lr, beta1, beta2, eps, wd, false, step), p, m, v);
    }

    // ---------------------------------------------------------------- the checks

    @TestFactory
    Stream<DynamicTest> everyEntryPointRejectsBadInput() {
        List<Bad> bad = cases();
        return Kernels.available().stream().flatMap(k -> bad.stream()
                .map(b -> DynamicTest.dynamicTest(k.name() + ": " + b.what(), () -> expectRejected(k, b))));
    }

    private static void expectRejected(KernelProvider k, Bad b) {
        Attempt attempt = b.attempt().apply(k);
        Object[] before = Arrays.stream(attempt.outputs()).map(BadInputTest::copy).toArray();
        Throwable thrown = null;
        try {
            attempt.call().execute();
        } catch (Throwable t) {
            thrown = t;
        }
        String where = k.name() + " " + b.what();
        if (thrown == null) fail(where + ": accepted");
        if (!(thrown instanceof IllegalArgumentException)) {
            throw new AssertionError(where + ": threw " + thrown + " instead of IllegalArgumentException", thrown);
        }
        assertNames(where, b.argument(), thrown.getMessage());
        for (int i = 0; i < before.length; i++) {
            Object now = attempt.outputs()[i];
            if (now instanceof float[] fa) assertArrayEquals((float[]) before[i], fa, where + ": output " + i + " written before the throw");
            if (now instanceof int[] ia) assertArrayEquals((int[]) before[i], ia, where + ": output " + i + " written before the throw");
        }
    }

    private static Object copy(Object o) {
        if (o instanceof float[] fa) return fa.clone();
        if (o instanceof int[] ia) return ia.clone();
        return o;
    }

    /** The message names the argument as a whole word before its first ':', '(' or '[' (where the shape description starts). */
    static void assertNames(String where, String argumentRegex, String message) {
        assertTrue(message != null && !message.isBlank(), where + ": no message");
        int cut = message.length();
        for (char ch : new char[]{':', '(', '['}) {
            int at = message.indexOf(ch);
            if (at >= 0) cut = Math.min(cut, at);
        }
        String head = message.substring(0, Math.max(cut, Math.min(message.length(), 12)));
        boolean ok;
        if (argumentRegex.contains("row")) { // a label out of range: the row may be named anywhere ("row 2", "labels[2]")
            ok = Pattern.compile(argumentRegex, Pattern.CASE_INSENSITIVE).matcher(message).find();
        } else {
            ok = Pattern.compile("(?<![\\w.])(" + argumentRegex + ")(?!\\w)", Pattern.CASE_INSENSITIVE).matcher(head).find();
        }
        assertTrue(ok, where + ": the message should name '" + argumentRegex + "' first: \"" + message + "\"");
    }

    // ---------------------------------------------------------------- parameter records, epilogues, variant names (shared by all variants)

    @Test
    void parameterRecordsEpilogueAndVariantNamesRejectBadValues() {
        record Case(String argument, Executable make) {
        }
        List<Case> cases = List.of(
                new Case("N", () -> ConvParams.of(0, 3, 5, 5, 4, 3, 3, 1, 1)),
                new Case("C", () -> ConvParams.of(1, -3, 5, 5, 4, 3, 3, 1, 1)),
                new Case("H", () -> ConvParams.of(1, 3, 0, 5, 4, 3, 3, 1, 1)),
                new Case("K", () -> ConvParams.of(1, 3, 5, 5, 0, 3, 3, 1, 1)),
                new Case("R", () -> ConvParams.of(1, 3, 5, 5, 4, 0, 3, 1, 1)),
                new Case("strideH", () -> ConvParams.of(1, 3, 5, 5, 4, 3, 3, 0, 1)),
                new Case("padTop", () -> ConvParams.of(1, 3, 5, 5, 4, 3, 3, 1, -1)),
                new Case("dilationW", () -> new ConvParams(1, 3, 5, 5, 4, 3, 3, 1, 1, 0, 0, 0, 0, 1, 0, 1)),
                new Case("groups", () -> new ConvParams(1, 3, 5, 5, 4, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 2)),
                new Case("kernel", () -> ConvParams.of(1, 3, 2, 2, 4, 5, 5, 1, 0)),
                new Case("N", () -> PoolParams.of(0, 2, 6, 6, 2, 2, 0)),
                new Case("kernel height", () -> PoolParams.of(1, 2, 6, 6, 0, 2, 0)),
                new Case("strideW", () -> new PoolParams(1, 2, 6, 6, 2, 2, 2, -2, 0, 0, 0, 0, false, false)),
                new Case("padding", () -> PoolParams.of(1, 2, 6, 6, 2, 2, 2)),
                new Case("window", () -> PoolParams.of(1, 2, 2, 2, 3, 1, 0)),
                new Case("batch", () -> new DenseParams(0, 5, 3)),
                new Case("in", () -> new DenseParams(2, -5, 3)),
                new Case("out", () -> new DenseParams(2, 5, 0)),
                new Case("alpha", () -> Epilogue.leakyRelu(Float.NaN)),
                new Case("alpha", () -> Epilogue.leakyRelu(-0.1f)),
                new Case("min", () -> Epilogue.clip(Float.NaN, 1f)),
                new Case("min", () -> Epilogue.clip(2f, 1f)),
                new Case("variant", () -> Kernels.byName("vector")),
                // sizes computed in long: what does not fit a Java array is refused by the record, before any allocation
                new Case("input", () -> ConvParams.of(65536, 65536, 65536, 65536, 1, 1, 1, 1, 0)),
                new Case("weights", () -> ConvParams.of(1, 65536, 1, 1, 65536, 1, 1, 1, 0)),
                new Case("output", () -> ConvParams.of(1, 1, 1, 1 << 20, 4096, 1, 1, 1, 0)),
                new Case("output", () -> new ConvParams(1, 1, 1, 1, 1, 1, 1, 1, 1, 1 << 30, 1 << 30, 1 << 30, 1 << 30, 1, 1, 1)),
                new Case("input", () -> PoolParams.of(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, 1, 1, 0)),
                // the input is one float, the window and its padding make the output 2^30 x 2^30 (overflowed int before)
                new Case("output", () -> new PoolParams(1, 1, 1, 1, 1 << 30, 1 << 30, 1, 1, (1 << 30) - 1, (1 << 30) - 1,
                        (1 << 30) - 1, (1 << 30) - 1, true, false)),
                new Case("input", () -> new DenseParams(1 << 16, 1 << 16, 1)),
                new Case("weights", () -> new DenseParams(1, 1 << 16, 1 << 16)),
                new Case("output", () -> new DenseParams(1 << 16, 1, 1 << 16)),
                new Case("name", () -> Kernels.byName(null)));
        for (Case c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c.make(), c.argument());
            assertTrue(e.getMessage().toLowerCase(Locale.ROOT).contains(c.argument().toLowerCase(Locale.ROOT)),
                    "message should name " + c.argument() + ": " + e.getMessage());
        }
    }
}
