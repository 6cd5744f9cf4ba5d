package io.github.vcnn.kernels;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The aliasing rule is about memory, not arrays: disjoint ranges of one array are fine for every variant and give the
 * same result as separate arrays (the overlapping cases are rejected, see BadInputTest).
 */
class AliasingTest {

    private static float[] data(int n, int salt) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = ((i * 31 + salt) % 17 - 8) * 0.125f;
        return a;
    }

    @TestFactory
    Stream<DynamicTest> disjointRangesOfOneArrayAreAccepted() {
        return Kernels.available().stream().map(k -> DynamicTest.dynamicTest(k.name(), () -> {
            ConvParams p = ConvParams.of(2, 3, 6, 5, 4, 3, 3, 1, 1);
            float[] x = data(p.inputSize(), 1), w = data(p.weightSize(), 2), b = data(p.k(), 3);
            PackedConvWeights packed = k.conv().pack(p, w, 0);
            float[] y = new float[p.outputSize()];
            k.conv().fwd(p, x, 0, packed, b, 0, Epilogue.RELU, y, 0);
            // x, bias and y in one array: [y][x][bias]
            float[] one = new float[p.outputSize() + p.inputSize() + p.k()];
            System.arraycopy(x, 0, one, p.outputSize(), x.length);
            System.arraycopy(b, 0, one, p.outputSize() + x.length, b.length);
            k.conv().fwd(p, one, p.outputSize(), packed, one, p.outputSize() + x.length, Epilogue.RELU, one, 0);
            assertArrayEquals(y, Arrays.copyOf(one, y.length), k.name() + " conv fwd");

            PoolParams q = PoolParams.of(2, 3, 6, 6, 2, 2, 0);
            float[] px = data(q.inputSize(), 4), py = new float[q.outputSize()];
            k.pool().avgFwd(q, px, 0, py, 0);
            float[] pone = new float[q.inputSize() + q.outputSize()];
            System.arraycopy(px, 0, pone, 0, px.length);
            k.pool().avgFwd(q, pone, 0, pone, q.inputSize());
            assertArrayEquals(py, Arrays.copyOfRange(pone, q.inputSize(), pone.length), k.name() + " avg pool");

            DenseParams d = new DenseParams(3, 5, 4);
            float[] dx = data(d.inputSize(), 5), dw = data(d.weightSize(), 6), dy = new float[d.outputSize()];
            k.dense().fwd(d, dx, 0, dw, 0, null, 0, Epilogue.NONE, dy, 0);
            float[] done = new float[d.inputSize() + d.weightSize() + d.outputSize()];
            System.arraycopy(dx, 0, done, 0, dx.length);
            System.arraycopy(dw, 0, done, dx.length, dw.length);
            k.dense().fwd(d, done, 0, done, dx.length, null, 0, Epilogue.NONE, done, dx.length + dw.length);
            assertArrayEquals(dy, Arrays.copyOfRange(done, dx.length + dw.length, done.length), k.name() + " dense fwd");
        }));
    }
}
