package io.github.vcnn.kernels.auto;

import io.github.vcnn.kernels.ActivationChecks;
import io.github.vcnn.kernels.ActivationKernels;
import io.github.vcnn.kernels.Epilogue;

/**
 * Activations as loops SuperWord vectorizes: the in-place forms index one array with one
 * expression ({@code y[o + i]}), the only shape JDK 25 vectorizes when offsets are arbitrary.
 * Out-of-place forward copies first ({@link System#arraycopy}, overlap-safe) then works in place;
 * the backward stages its operands through per-thread chunks when the three offsets differ.
 * ReLU/LeakyReLU/clip are branch-free ({@code Math.max/min}); sigmoid calls {@code Math.exp} (scalar).
 */
public final class AutoActivation implements ActivationKernels {
    /** Chunk of the staged paths: three rows of it stay in L1. */
    static final int CHUNK = 2048;

    private static final ThreadLocal<float[][]> STAGE = ThreadLocal.withInitial(() -> new float[3][CHUNK]);

    AutoActivation() {
    }

    @Override
    public void fwd(Epilogue act, float[] x, int xOff, float[] y, int yOff, int len) {
        ActivationChecks.fwd(act, x, xOff, y, yOff, len);
        if (x != y || xOff != yOff) System.arraycopy(x, xOff, y, yOff, len);
        applyInPlace(act, y, yOff, len);
    }

    /** {@code y[o + i] = act(y[o + i])} for {@code i < len}; no checks (callers validated). */
    static void applyInPlace(Epilogue act, float[] y, int o, int len) {
        switch (act.kind()) {
            case NONE -> {
            }
            case RELU -> {
                for (int i = 0; i < len; i++) y[o + i] = Math.max(y[o + i], 0f);
            }
            case LEAKY_RELU -> {
                float alpha = act.alpha();
                // max(v,0) + alpha*min(v,0) == (v > 0 ? v : alpha*v), without a branch
                for (int i = 0; i < len; i++) {
                    float v = y[o + i];
                    y[o + i] = Math.max(v, 0f) + alpha * Math.min(v, 0f);
                }
            }
            case SIGMOID -> {
                for (int i = 0; i < len; i++) y[o + i] = (float) (1.0 / (1.0 + Math.exp(-y[o + i])));
            }
            case CLIP -> {
                float lo = act.min(), hi = act.max();
                for (int i = 0; i < len; i++) y[o + i] = Math.min(Math.max(y[o + i], lo), hi);
            }
        }
    }

    @Override
    public void bwd(Epilogue act, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int len) {
        ActivationChecks.bwd(act, y, yOff, dy, dyOff, dx, dxOff, len);
        if (yOff == dyOff && dyOff == dxOff) {
            bwdSameOffset(act, y, dy, dx, yOff, len);
            return;
        }
        // stage y and dy into rows indexed from 0, compute into the dy row, copy out
        float[][] st = STAGE.get();
        float[] ys = st[0], dys = st[1];
        for (int start = 0; start < len; start += CHUNK) {
            int n = Math.min(CHUNK, len - start);
            System.arraycopy(y, yOff + start, ys, 0, n);
            System.arraycopy(dy, dyOff + start, dys, 0, n);
            bwdSameOffset(act, ys, dys, dys, 0, n);
            System.arraycopy(dys, 0, dx, dxOff + start, n);
        }
    }

    /** {@code dx[o+i] = dy[o+i] * act'(y[o+i])}, one index expression for all three arrays. */
    private static void bwdSameOffset(Epilogue act, float[] y, float[] dy, float[] dx, int o, int len) {
        switch (act.kind()) {
            case NONE -> {
                if (dx != dy) System.arraycopy(dy, o, dx, o, len);
            }
            case RELU -> {
                for (int i = 0; i < len; i++) dx[o + i] = y[o + i] > 0f ? dy[o + i] : 0f;
            }
            case LEAKY_RELU -> {
                float alpha = act.alpha();
                for (int i = 0; i < len; i++) dx[o + i] = y[o + i] > 0f ? dy[o + i] : alpha * dy[o + i];
            }
            case SIGMOID -> {
                for (int i = 0; i < len; i++) {
                    float v = y[o + i];
                    dx[o + i] = dy[o + i] * v * (1f - v);
                }
            }
            case CLIP -> {
                float lo = act.min(), hi = act.max();
                for (int i = 0; i < len; i++) {
                    float v = y[o + i];
                    dx[o + i] = v > lo && v < hi ? dy[o + i] : 0f;
                }
            }
        }
    }
}
