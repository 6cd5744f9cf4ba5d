package io.github.vcnn.nn;

import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.KernelProvider;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Inverted dropout (PyTorch's {@code nn.Dropout}): in training each value is kept with probability
 * {@code 1-p} and scaled by {@code 1/(1-p)}, or set to zero; in evaluation the layer is the identity.
 *
 * <p>The spec (section 9.2) describes the classic form instead: an unscaled Bernoulli(1-p) mask in training and
 * weights scaled by {@code (1-p)} at test time. The two are the same model in expectation: the classic network's
 * training activations are {@code (1-p)} times the inverted ones on average, and its test-time {@code (1-p)W}
 * undoes exactly that factor, so {@code E[inverted(x)] = x = E[classic(x)] / (1-p)}; inverted dropout just moves
 * the factor into training so that inference needs no rescaling.
 *
 * <p>Masks are reproducible: each mask bit is a hash of (model seed, layer index, training step, sample index
 * within the batch, element index), so the same seed gives the same masks whatever the thread count.
 */
public final class Dropout extends Layer {
    private final float p;

    /** @param p probability of dropping a value, in {@code [0, 1)} */
    public Dropout(double p) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        this.p = (float) p;
    }

    public float p() {
        return p;
    }

    @Override
    public String type() {
        return "Dropout";
    }

    @Override
    public int[] outputShape(int[] in) {
        return in.clone();
    }

    @Override
    Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("type", type());
        c.put("p", (double) p);
        return c;
    }

    @Override
    String describe() {
        return "Dropout(" + p + ")";
    }

    /** The mask value (0 or 1/(1-p)) of one element; a SplitMix64-style hash, so no RNG state is shared between threads. */
    static float maskValue(long seed, int layerIndex, long stepIndex, long element, float p) {
        long z = seed ^ (layerIndex * 0x9E3779B97F4A7C15L) ^ (stepIndex * 0xC2B2AE3D27D4EB4FL);
        z += element * 0xD6E8FEB86659FD93L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        float u = (z >>> 40) * 0x1.0p-24f; // uniform in [0, 1)
        return u >= p ? 1f / (1f - p) : 0f;
    }

    @Override
    Step step(KernelProvider kernels, int[] in, int batch, Epilogue fused, int layerIndex, long seed) {
        int sampleSize = size(in);
        int len = batch * sampleSize;
        return new Step() {
            private final float[] y = new float[len];
            private final float[] mask = new float[len];
            private boolean masked;

            @Override
            void forward(float[] x, int xOff, boolean training, long stepIndex, int sampleBase) {
                masked = training && p > 0f;
                if (!masked) {
                    out = x;
                    outOff = xOff;
                    return;
                }
                long first = (long) sampleBase * sampleSize;
                for (int i = 0; i < len; i++) mask[i] = maskValue(seed, layerIndex, stepIndex, first + i, p);
                kernels.elementwise().mul(x, xOff, mask, 0, y, 0, len);
                out = y;
                outOff = 0;
            }

            @Override
            float[] backward(float[] dy, boolean needDx, float[][] weightGrads) {
                if (!needDx) return null;
                if (masked) kernels.elementwise().mul(dy, 0, mask, 0, dy, 0, len);
                return dy;
            }
        };
    }
}
