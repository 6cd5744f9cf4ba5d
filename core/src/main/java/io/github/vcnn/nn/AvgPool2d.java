package io.github.vcnn.nn;

import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.PoolParams;

import java.util.Map;

/** Average pooling (PyTorch's {@code nn.AvgPool2d}); {@code countIncludePad} as PyTorch (default true). */
public final class AvgPool2d extends Pool2d {
    private final boolean countIncludePad;

    /** Window {@code k x k}, stride {@code k}, no padding. */
    public AvgPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    public AvgPool2d(int kernel, int stride, int padding) {
        this(kernel, kernel, stride, stride, padding, padding, false, true);
    }

    public AvgPool2d(int kh, int kw, int strideH, int strideW, int padH, int padW, boolean ceilMode, boolean countIncludePad) {
        super(kh, kw, strideH, strideW, padH, padW, ceilMode);
        this.countIncludePad = countIncludePad;
    }

    @Override
    public String type() {
        return "AvgPool2d";
    }

    @Override
    boolean countIncludePad() {
        return countIncludePad;
    }

    @Override
    Map<String, Object> config() {
        Map<String, Object> c = super.config();
        c.put("count_include_pad", countIncludePad);
        return c;
    }

    @Override
    Step step(KernelProvider kernels, int[] in, int batch, Epilogue fused, int layerIndex, long seed) {
        PoolParams p = params(batch, in[0], in[1], in[2]);
        return new Step() {
            private final float[] y = new float[p.outputSize()];
            private final float[] dx = new float[p.inputSize()];

            {
                this.out = y;
            }

            @Override
            void forward(float[] x, int xOff, boolean training, long stepIndex, int sampleBase) {
                kernels.pool().avgFwd(p, x, xOff, y, 0);
            }

            @Override
            float[] backward(float[] dy, boolean needDx, float[][] weightGrads) {
                if (!needDx) return null;
                kernels.pool().avgBwd(p, dy, 0, dx, 0);
                return dx;
            }
        };
    }
}
