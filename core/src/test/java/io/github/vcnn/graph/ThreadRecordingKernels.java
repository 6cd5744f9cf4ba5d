package io.github.vcnn.graph;

import io.github.vcnn.kernels.ActivationKernels;
import io.github.vcnn.kernels.ConvKernels;
import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.DenseKernels;
import io.github.vcnn.kernels.ElementwiseKernels;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.OptimizerKernels;
import io.github.vcnn.kernels.PackedConvWeights;
import io.github.vcnn.kernels.PoolKernels;
import io.github.vcnn.kernels.SoftmaxKernels;

import java.util.concurrent.atomic.AtomicInteger;

/** A kernel set that counts convolutions run on virtual threads (where per-thread kernel scratch would multiply). */
final class ThreadRecordingKernels implements KernelProvider {
    final KernelProvider inner;
    final AtomicInteger onVirtual = new AtomicInteger(), onPlatform = new AtomicInteger();

    ThreadRecordingKernels(KernelProvider inner) {
        this.inner = inner;
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
                return c.pack(p, w, wOff);
            }

            @Override
            public void fwd(ConvParams p, float[] x, int xOff, PackedConvWeights w, float[] bias, int biasOff, Epilogue act, float[] y, int yOff) {
                (Thread.currentThread().isVirtual() ? onVirtual : onPlatform).incrementAndGet();
                c.fwd(p, x, xOff, w, bias, biasOff, act, y, yOff);
            }

            @Override
            public void bwdData(ConvParams p, float[] dz, int dzOff, float[] w, int wOff, float[] dx, int dxOff) {
                c.bwdData(p, dz, dzOff, w, wOff, dx, dxOff);
            }

            @Override
            public void bwdWeights(ConvParams p, float[] x, int xOff, float[] dz, int dzOff, float[] dw, int dwOff, float[] db, int dbOff) {
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
        return inner.activation();
    }

    @Override
    public DenseKernels dense() {
        return inner.dense();
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
