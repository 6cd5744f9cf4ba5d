package io.github.vcnn.nn;

import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.KernelProvider;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code [C, H, W] -> [C*H*W]}: NCHW is already flat per sample, so this only renames the shape (no copy). */
public final class Flatten extends Layer {

    @Override
    public String type() {
        return "Flatten";
    }

    @Override
    public int[] outputShape(int[] in) {
        return new int[]{size(in)};
    }

    @Override
    Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("type", type());
        return c;
    }

    @Override
    String describe() {
        return "Flatten()";
    }

    @Override
    Step step(KernelProvider kernels, int[] in, int batch, Epilogue fused, int layerIndex, long seed) {
        return new Step() {
            @Override
            void forward(float[] x, int xOff, boolean training, long stepIndex, int sampleBase) {
                out = x;
                outOff = xOff;
            }

            @Override
            float[] backward(float[] dy, boolean needDx, float[][] weightGrads) {
                return needDx ? dy : null;
            }
        };
    }
}
