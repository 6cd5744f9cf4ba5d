package io.github.vcnn.nn;

import io.github.vcnn.kernels.*;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wraps a kernel set and counts the conv/dense backward, activation and weight-packing calls, to prove what a step
 * does not compute.
 */
final class CountingKernels implements KernelProvider {
    final KernelProvider inner;
    final AtomicInteger convBwdData = new AtomicInteger(), convBwdWeights = new AtomicInteger();
    final AtomicInteger denseBwdData = new AtomicInteger(), denseBwdWeights = new AtomicInteger();
    final AtomicInteger activationFwd = new AtomicInteger(), packs = new AtomicInteger();
    final AtomicInteger densePacks = new AtomicInteger();
    /** In-place re-packs (conv, dense). */
    final AtomicInteger repacks = new AtomicInteger(), denseRepacks = new AtomicInteger();

    CountingKernels(KernelProvider inner) {
        this.inner = inner;
    }

    void reset() {
        for (AtomicInteger a : new AtomicInteger[]{convBwdData, convBwdWeights, denseBwdData, denseBwdWeights, activationFwd, packs, densePacks,
                repacks, denseRepacks}) a.set(0);
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public ConvKernels conv() {
        ConvKernels c = inner.conv();
        return new ConvKernels() {
            @Override
            public PackedConvWeights pack(ConvParams p, float[] w, int wOff) {
                packs.incrementAndGet();
                return c.pack(p, w, wOff);
            }

            @Override
            public void repack(ConvParams p, float[] w, int wOff, PackedConvWeights into) {
                repacks.incrementAndGet();
                c.repack(p, w, wOff, into);
            }

            @Override
            public void fwd(ConvParams p, float[] x, int xOff, PackedConvWeights w, float[] bias, int biasOff, Epilogue act, float[] y, int yOff) {
                c.fwd(p, x, xOff, w, bias, biasOff, act, y, yOff);
            }

            @Override
            public void bwdData(ConvParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff) {
                convBwdData.incrementAndGet();
                c.bwdData(p, dz, dzOff, w, wOff, dx, dxOff);
            }

            @Override
            public void bwdWeights(ConvParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff, float[] db, int dbOff) {
                convBwdWeights.incrementAndGet();
                c.bwdWeights(p, x, xOff, dz, dzOff, dw, dwOff, db, dbOff);
            }
        };
    }

    @Override
    public PoolKernels pool() {
        return inner.pool();
    }

    @Override
    public ActivationKernels activation() {
        ActivationKernels a = inner.activation();
        return new ActivationKernels() {
            @Override
            public void fwd(Epilogue act, float[] x, int xOff, float[] y, int yOff, int len) {
                activationFwd.incrementAndGet();
                a.fwd(act, x, xOff, y, yOff, len);
            }

            @Override
            public void bwd(Epilogue act, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int len) {
                a.bwd(act, y, yOff, dy, dyOff, dx, dxOff, len);
            }
        };
    }

    @Override
    public DenseKernels dense() {
        DenseKernels d = inner.dense();
        return new DenseKernels() {
            @Override
            public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff,
                              int ldb, float beta, float[] c, int cOff, int ldc) {
                d.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            }

            @Override
            public PackedDenseWeights pack(DenseParams p, float[] w, int wOff) {
                densePacks.incrementAndGet();
                return d.pack(p, w, wOff);
            }

            @Override
            public void repack(DenseParams p, float[] w, int wOff, PackedDenseWeights into) {
                denseRepacks.incrementAndGet();
                d.repack(p, w, wOff, into);
            }

            @Override
            public void fwd(DenseParams p, float[] x, int xOff, PackedDenseWeights w, float[] bias, int biasOff, Epilogue act, float[] y, int yOff) {
                d.fwd(p, x, xOff, w, bias, biasOff, act, y, yOff);
            }

            @Override
            public void bwdData(DenseParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff) {
                denseBwdData.incrementAndGet();
                d.bwdData(p, dz, dzOff, w, wOff, dx, dxOff);
            }

            @Override
            public void bwdWeights(DenseParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff, float[] db, int dbOff) {
                denseBwdWeights.incrementAndGet();
                d.bwdWeights(p, x, xOff, dz, dzOff, dw, dwOff, db, dbOff);
            }
        };
    }

    @Override
    public SoftmaxKernels softmax() {
        return inner.softmax();
    }

    @Override
    public ElementwiseKernels elementwise() {
        return inner.elementwise();
    }

    @Override
    public OptimizerKernels optimizer() {
        return inner.optimizer();
    }
}
