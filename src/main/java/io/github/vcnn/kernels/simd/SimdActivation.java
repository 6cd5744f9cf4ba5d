package io.github.vcnn.kernels.simd;

import io.github.vcnn.kernels.ActivationKernels;
import io.github.vcnn.kernels.Checks;
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
        Checks.notNull("act", act);
        Checks.length("len", len);
        String shape = "activation " + act + " over " + len + " values";
        Checks.array("x", x, xOff, len, shape);
        Checks.array("y", y, yOff, len, shape);
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
        Checks.notNull("act", act);
        Checks.length("len", len);
        String shape = "activation backward " + act + " over " + len + " values";
        Checks.array("y", y, yOff, len, shape);
        Checks.array("dy", dy, dyOff, len, shape);
        Checks.array("dx", dx, dxOff, len, shape);
        if (act.isIdentity()) {
            if (dy != dx || dyOff != dxOff) System.arraycopy(dy, dyOff, dx, dxOff, len);
            return;
        }
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector yv = FloatVector.fromArray(F, y, yOff + i);
            FloatVector g = FloatVector.fromArray(F, dy, dyOff + i);
            SimdMath.activateBwd(act, yv, g).intoArray(dx, dxOff + i);
        }
        if (i < len) {
            VectorMask<Float> m = F.indexInRange(i, len);
            FloatVector yv = FloatVector.fromArray(F, y, yOff + i, m);
            FloatVector g = FloatVector.fromArray(F, dy, dyOff + i, m);
            SimdMath.activateBwd(act, yv, g).intoArray(dx, dxOff + i, m);
        }
    }

    // y = x > 0 ? x : 0 (a NaN input gives 0, as the scalar reference)
    static void relu(float[] x, int xOff, float[] y, int yOff, int len) {
        FloatVector zero = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            zero.blend(v, v.compare(VectorOperators.GT, zero)).intoArray(y, yOff + i);
        }
        if (i < len) {
            VectorMask<Float> m = F.indexInRange(i, len);
            FloatVector v = FloatVector.fromArray(F, x, xOff + i, m);
            zero.blend(v, v.compare(VectorOperators.GT, zero)).intoArray(y, yOff + i, m);
        }
    }

    private static void leakyRelu(float alpha, float[] x, int xOff, float[] y, int yOff, int len) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            v.mul(alpha).blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(y, yOff + i);
        }
        if (i < len) {
            VectorMask<Float> m = F.indexInRange(i, len);
            FloatVector v = FloatVector.fromArray(F, x, xOff + i, m);
            v.mul(alpha).blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(y, yOff + i, m);
        }
    }

    private static void sigmoid(float[] x, int xOff, float[] y, int yOff, int len) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            SimdMath.sigmoid(FloatVector.fromArray(F, x, xOff + i)).intoArray(y, yOff + i);
        }
        if (i < len) {
            VectorMask<Float> m = F.indexInRange(i, len);
            SimdMath.sigmoid(FloatVector.fromArray(F, x, xOff + i, m)).intoArray(y, yOff + i, m);
        }
    }

    private static void clip(float lo, float hi, float[] x, int xOff, float[] y, int yOff, int len) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector.fromArray(F, x, xOff + i).max(lo).min(hi).intoArray(y, yOff + i);
        }
        if (i < len) {
            VectorMask<Float> m = F.indexInRange(i, len);
            FloatVector.fromArray(F, x, xOff + i, m).max(lo).min(hi).intoArray(y, yOff + i, m);
        }
    }
}
