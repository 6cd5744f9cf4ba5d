package io.github.vcnn.kernels;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * In-place re-packing ({@link ConvKernels#repack}, {@link DenseKernels#repack}) in every variant: the packed array after
 * a repack equals a fresh {@code pack} of the new weights, bit for bit, padding included, and it is the same array.
 */
class RepackTest {
    /** The test sits in the kernels' package, so it may read the packed arrays as the kernels do. */
    private static final PackAccess KEY = PackAccess.grant();

    /** Groups, depthwise, output-channel tails of every vector width, 1x1, rectangular kernels, the LeNet layers. */
    private static final List<ConvParams> CONVS = List.of(
            ConvParams.of(1, 1, 28, 28, 32, 5, 5, 1, 2),
            ConvParams.of(2, 32, 14, 14, 64, 5, 5, 1, 2),
            ConvParams.of(1, 3, 9, 9, 5, 3, 3, 1, 1),
            ConvParams.of(1, 7, 6, 6, 13, 1, 1, 2, 0),
            ConvParams.of(1, 17, 8, 8, 33, 3, 3, 1, 1),
            new ConvParams(1, 8, 7, 7, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8),      // depthwise
            new ConvParams(1, 12, 7, 9, 18, 2, 3, 1, 2, 0, 1, 1, 0, 1, 2, 3),    // groups 3, 2x3, asymmetric, dilation
            new ConvParams(2, 8, 4, 4, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1));   // auto's channel-rows path (K/G >= 64, tiny plane)

    private static final List<DenseParams> DENSES = List.of(
            new DenseParams(1, 3136, 128), new DenseParams(4, 128, 10), new DenseParams(3, 1, 1), new DenseParams(2, 37, 45));

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    @Test
    void convRepackEqualsAFreshPackInEveryVariant() {
        for (KernelProvider k : Kernels.available()) {
            for (ConvParams p : CONVS) {
                int off = 3;
                float[] w1 = random(off + p.weightSize(), 1), w2 = random(off + p.weightSize(), 2);
                PackedConvWeights packed = k.conv().pack(p, w1, off);
                float[] array = packed.data(KEY);
                float[] fresh = k.conv().pack(p, w2, off).data(KEY);
                assertFalse(Arrays.equals(array, fresh), k.name() + " " + p + ": the two weight sets must pack differently");
                Arrays.fill(array, Float.NaN); // whatever the array held: padding must come out as a fresh pack has it
                k.conv().repack(p, w2, off, packed);
                assertSame(array, packed.data(KEY), k.name() + ": repack writes the same array");
                assertArrayEquals(fresh, packed.data(KEY), k.name() + " " + p);
                assertEquals(k.name(), packed.variant());
            }
        }
    }

    /** The repacked weights compute what freshly packed ones compute (auto keeps derived weight rows per packed object). */
    @Test
    void forwardAfterRepackEqualsForwardWithFreshWeights() {
        for (KernelProvider k : Kernels.available()) {
            for (ConvParams p : CONVS) {
                float[] x = random(p.inputSize(), 3), b = random(p.k(), 4);
                float[] w1 = random(p.weightSize(), 1), w2 = random(p.weightSize(), 2);
                PackedConvWeights packed = k.conv().pack(p, w1, 0);
                float[] y1 = new float[p.outputSize()], y2 = new float[p.outputSize()], expected = new float[p.outputSize()];
                k.conv().fwd(p, x, 0, packed, b, 0, Epilogue.NONE, y1, 0); // makes whatever the variant derives from packed
                k.conv().repack(p, w2, 0, packed);
                k.conv().fwd(p, x, 0, packed, b, 0, Epilogue.NONE, y2, 0);
                k.conv().fwd(p, x, 0, k.conv().pack(p, w2, 0), b, 0, Epilogue.NONE, expected, 0);
                assertFalse(Arrays.equals(y1, expected), k.name() + " " + p);
                assertArrayEquals(expected, y2, k.name() + " " + p);
            }
        }
    }

    @Test
    void denseRepackEqualsAFreshPackInEveryVariant() {
        for (KernelProvider k : Kernels.available()) {
            for (DenseParams p : DENSES) {
                int n = p.in() * p.out(), off = 5;
                float[] w1 = random(off + n, 1), w2 = random(off + n, 2);
                PackedDenseWeights packed = k.dense().pack(p, w1, off);
                float[] array = packed.data(KEY);
                float[] fresh = k.dense().pack(p, w2, off).data(KEY);
                assertFalse(Arrays.equals(array, fresh), k.name() + " " + p);
                Arrays.fill(array, Float.NaN);
                k.dense().repack(p, w2, off, packed);
                assertSame(array, packed.data(KEY));
                assertArrayEquals(fresh, packed.data(KEY), k.name() + " " + p);
                // and it computes what fresh weights compute
                float[] x = random(p.batch() * p.in(), 7), y = new float[p.batch() * p.out()], expected = new float[y.length];
                k.dense().fwd(p, x, 0, packed, null, 0, Epilogue.NONE, y, 0);
                k.dense().fwd(p, x, 0, k.dense().pack(p, w2, off), null, 0, Epilogue.NONE, expected, 0);
                assertArrayEquals(expected, y, k.name() + " " + p);
            }
        }
    }

    @Test
    void repackRejectsWeightsOfAnotherVariantOrShape() {
        List<KernelProvider> all = Kernels.available();
        ConvParams p = CONVS.get(2), other = ConvParams.of(1, 3, 9, 9, 6, 3, 3, 1, 1);
        DenseParams d = DENSES.get(3), otherD = new DenseParams(2, 37, 44);
        for (KernelProvider k : all) {
            float[] w = random(p.weightSize(), 1), wd = random(d.in() * d.out(), 1);
            PackedConvWeights mine = k.conv().pack(p, w, 0);
            PackedDenseWeights mineD = k.dense().pack(d, wd, 0);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> k.conv().repack(other, random(other.weightSize(), 1), 0, mine));
            assertTrue(e.getMessage().contains("do not fit"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> k.conv().repack(p, new float[p.weightSize() - 1], 0, mine));
            assertThrows(IllegalArgumentException.class, () -> k.conv().repack(p, w, 0, null));
            assertThrows(IllegalArgumentException.class, () -> k.dense().repack(otherD, random(37 * 44, 1), 0, mineD));
            assertThrows(IllegalArgumentException.class, () -> k.dense().repack(d, wd, 1, mineD));
            for (KernelProvider j : all) {
                if (j == k) continue;
                e = assertThrows(IllegalArgumentException.class, () -> j.conv().repack(p, w, 0, mine));
                assertTrue(e.getMessage().contains("'" + k.name() + "'"), e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> j.dense().repack(d, wd, 0, mineD));
            }
            // a packed object of the right variant and sizes but a foreign length (another vector width) cannot even be built
            e = assertThrows(IllegalArgumentException.class,
                    () -> new PackedConvWeights(KEY, k.name(), p, new float[mine.size() + 1], mine.block(), mine.algorithm()));
            assertTrue(e.getMessage().startsWith("data "), e.getMessage());
        }
    }

    /** The interface's fallback for other implementations: pack and copy, with the same checks. */
    @Test
    void defaultRepackCopiesAFreshPack() {
        ConvKernels inner = Kernels.auto().conv();
        ConvKernels plain = new ConvKernels() {
            @Override
            public PackedConvWeights pack(ConvParams p, float[] w, int wOff) {
                return inner.pack(p, w, wOff);
            }

            @Override
            public void fwd(ConvParams p, float[] x, int xOff, PackedConvWeights w, float[] bias, int biasOff, Epilogue act, float[] y, int yOff) {
                inner.fwd(p, x, xOff, w, bias, biasOff, act, y, yOff);
            }

            @Override
            public void bwdData(ConvParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff) {
                inner.bwdData(p, dz, dzOff, w, wOff, dx, dxOff);
            }

            @Override
            public void bwdWeights(ConvParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff, float[] db, int dbOff) {
                inner.bwdWeights(p, x, xOff, dz, dzOff, dw, dwOff, db, dbOff);
            }
        };
        ConvParams p = CONVS.get(4);
        float[] w2 = random(p.weightSize(), 2);
        PackedConvWeights packed = plain.pack(p, random(p.weightSize(), 1), 0);
        float[] array = packed.data(KEY);
        plain.repack(p, w2, 0, packed);
        assertSame(array, packed.data(KEY));
        assertArrayEquals(w2, packed.data(KEY));
        assertThrows(IllegalArgumentException.class, () -> plain.repack(p, w2, 0, Kernels.scalar().conv().pack(p, w2, 0)));
    }
}
