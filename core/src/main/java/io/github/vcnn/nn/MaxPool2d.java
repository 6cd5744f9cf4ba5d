package io.github.vcnn.nn;

import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.PoolParams;

/** Max pooling (PyTorch's {@code nn.MaxPool2d}); padding counts as -infinity; the backward pass routes through the recorded argmax. */
public final class MaxPool2d extends Pool2d {

    /** Window {@code k x k}, stride {@code k}, no padding. */
    public MaxPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    public MaxPool2d(int kernel, int stride, int padding) {
        this(kernel, kernel, stride, stride, padding, padding, false);
    }

    public MaxPool2d(int kh, int kw, int strideH, int strideW, int padH, int padW, boolean ceilMode) {
        super(kh, kw, strideH, strideW, padH, padW, ceilMode);
    }

    @Override
    public String type() {
        return "MaxPool2d";
    }

    @Override
    boolean countIncludePad() {
        return false;
    }

    @Override
    Step step(KernelProvider kernels, int[] in, int batch, Epilogue fused, int layerIndex, long seed) {
        PoolParams p = params(batch, in[0], in[1], in[2]);
        return new Step() {
            private final float[] y = new float[p.outputSize()];
            private final int[] argmax = new int[p.outputSize()];
            private final float[] dx = new float[p.inputSize()];

            {
                this.out = y;
            }

            @Override
            void forward(float[] x, int xOff, boolean training, long stepIndex, int sampleBase) {
                // argmax always: a training step may run in eval mode (no dropout) and still needs the backward pass.
                kernels.pool().maxFwd(p, x, xOff, y, 0, argmax, 0);
            }

            @Override
            float[] backward(float[] dy, boolean needDx, float[][] weightGrads) {
                if (!needDx) return null;
                kernels.pool().maxBwd(p, dy, 0, argmax, 0, dx, 0);
                return dx;
            }
        };
    }
}
