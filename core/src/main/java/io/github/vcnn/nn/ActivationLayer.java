package io.github.vcnn.nn;

import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.KernelProvider;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An elementwise activation. Directly after a {@link Conv2d} or {@link Linear} in a {@link Sequential}
 * it is fused into that layer's kernel epilogue (no separate pass over memory); elsewhere it runs on its own.
 */
public abstract sealed class ActivationLayer extends Layer permits ReLU, LeakyReLU, Sigmoid {
    private final Epilogue epilogue;

    ActivationLayer(Epilogue epilogue) {
        this.epilogue = epilogue;
    }

    @Override
    public int[] outputShape(int[] in) {
        return in.clone();
    }

    @Override
    Epilogue asEpilogue() {
        return epilogue;
    }

    @Override
    Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("type", type());
        return c;
    }

    @Override
    String describe() {
        return type() + "()";
    }

    @Override
    Step step(KernelProvider kernels, int[] in, int batch, Epilogue fused, int layerIndex, long seed) {
        int len = batch * size(in);
        return new Step() {
            private final float[] y = new float[len];

            {
                this.out = y;
            }

            @Override
            void forward(float[] x, int xOff, boolean training, long stepIndex, int sampleBase) {
                kernels.activation().fwd(epilogue, x, xOff, y, 0, len);
            }

            @Override
            float[] backward(float[] dy, boolean needDx, float[][] weightGrads) {
                if (!needDx) return null;
                kernels.activation().bwd(epilogue, y, 0, dy, 0, dy, 0, len); // in place: dy is scratch
                return dy;
            }
        };
    }
}
