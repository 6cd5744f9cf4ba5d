package io.github.vcnn.kernels.simd;

import io.github.vcnn.kernels.ActivationChecks;
import io.github.vcnn.kernels.ActivationKernels;
import io.github.vcnn.kernels.Epilogue;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * ReLU, LeakyReLU, Sigmoid and clip on flat runs, one vector at a time with a masked tail.
 * Memory-bound except sigmoid; each activation has its own loop so the hot loop holds no switch.
 */
final class SimdActivation implements ActivationKernels {
    private static final VectorSpecies<Float> F = SimdMath.F;
    private static final int VL = SimdMath.VL;

    @Override
    public void fwd(Epilogue act, float[] x, int xOff, float[] y, int yOff, int len) {
        ActivationChecks.fwd(act, x, xOff, y, yOff, len);
        apply(act, x, xOff, y, yOff, len);
    }

    /** The forward without checks (also the dense layer's epilogue); y may be x at the same offset. */
    static void apply(Epilogue act, float[] x, int xOff, float[] y, int yOff, int len) {
        switch (act.kind()) {
            case NONE -> {
                if (x != y || xOff != yOff) System.arraycopy(x, xOff, y, yOff, len);
            }
            case RELU -> relu(x, xOff, y, yOff, len);
            case LEAKY_RELU -> leakyRelu(act.alpha(), x, xOff, y, yOff, len);
            case SIGMOID -> sigmoid(x, xOff, y, yOff, len);
            case CLIP -> clip(act.min(), act.max(), x, xOff, y, yOff, len);
        }
    }

    @Override
    public void bwd(Epilogue act, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int len) {
        ActivationChecks.bwd(act, y, yOff, dy, dyOff, dx, dxOff, len);
        switch (act.kind()) {
            case NONE -> {
                if (dy != dx || dyOff != dxOff) System.arraycopy(dy, dyOff, dx, dxOff, len);
            }
            case RELU -> reluBwd(y, yOff, dy, dyOff, dx, dxOff, len);
            case LEAKY_RELU -> leakyReluBwd(act.alpha(), y, yOff, dy, dyOff, dx, dxOff, len);
            case SIGMOID -> sigmoidBwd(y, yOff, dy, dyOff, dx, dxOff, len);
            case CLIP -> clipBwd(act.min(), act.max(), y, yOff, dy, dyOff, dx, dxOff, len);
        }
    }

    // One loop per activation, vectors over the full vectors and the scalar reference (Epilogue) on the tail:
    // masked tails at the end of an array allocate a mask per call, and no vector crosses a call
    // (C2 boxes a vector passed to a method it does not inline).

    private static void reluBwd(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int len) {
        FloatVector zero = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector yv = FloatVector.fromArray(F, y, yOff + i);
            FloatVector g = FloatVector.fromArray(F, dy, dyOff + i);
            zero.blend(g, yv.compare(VectorOperators.GT, zero)).intoArray(dx, dxOff + i);
        }
        for (; i < len; i++) dx[dxOff + i] = y[yOff + i] > 0f ? dy[dyOff + i] : 0f;
    }

    private static void leakyReluBwd(float alpha, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int len) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector yv = FloatVector.fromArray(F, y, yOff + i);
            FloatVector g = FloatVector.fromArray(F, dy, dyOff + i);
            g.mul(alpha).blend(g, yv.compare(VectorOperators.GT, 0f)).intoArray(dx, dxOff + i);
        }
        for (; i < len; i++) dx[dxOff + i] = y[yOff + i] > 0f ? dy[dyOff + i] : alpha * dy[dyOff + i];
    }

    private static void sigmoidBwd(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int len) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector yv = FloatVector.fromArray(F, y, yOff + i);
            FloatVector g = FloatVector.fromArray(F, dy, dyOff + i);
            g.mul(yv).mul(one.sub(yv)).intoArray(dx, dxOff + i);
        }
        for (; i < len; i++) dx[dxOff + i] = dy[dyOff + i] * y[yOff + i] * (1f - y[yOff + i]);
    }

    private static void clipBwd(float lo, float hi, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int len) {
        FloatVector zero = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector yv = FloatVector.fromArray(F, y, yOff + i);
            FloatVector g = FloatVector.fromArray(F, dy, dyOff + i);
            VectorMask<Float> inside = yv.compare(VectorOperators.GT, lo).and(yv.compare(VectorOperators.LT, hi));
            zero.blend(g, inside).intoArray(dx, dxOff + i);
        }
        for (; i < len; i++) dx[dxOff + i] = (y[yOff + i] > lo && y[yOff + i] < hi) ? dy[dyOff + i] : 0f;
    }

    // y = max(x, 0): zero where x <= 0; NaN compares false and stays NaN (PyTorch, Math.max)
    static void relu(float[] x, int xOff, float[] y, int yOff, int len) {
        FloatVector zero = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            v.blend(zero, v.compare(VectorOperators.LE, zero)).intoArray(y, yOff + i);
        }
        for (; i < len; i++) y[yOff + i] = Math.max(x[xOff + i], 0f);
    }

    private static void leakyRelu(float alpha, float[] x, int xOff, float[] y, int yOff, int len) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            v.mul(alpha).blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(y, yOff + i);
        }
        for (; i < len; i++) y[yOff + i] = x[xOff + i] > 0f ? x[xOff + i] : alpha * x[xOff + i];
    }

    private static void sigmoid(float[] x, int xOff, float[] y, int yOff, int len) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            SimdMath.sigmoid(FloatVector.fromArray(F, x, xOff + i)).intoArray(y, yOff + i);
        }
        for (; i < len; i++) y[yOff + i] = (float) (1.0 / (1.0 + Math.exp(-x[xOff + i])));
    }

    private static void clip(float lo, float hi, float[] x, int xOff, float[] y, int yOff, int len) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector.fromArray(F, x, xOff + i).max(lo).min(hi).intoArray(y, yOff + i);
        }
        for (; i < len; i++) y[yOff + i] = Math.min(Math.max(x[xOff + i], lo), hi);
    }
}
