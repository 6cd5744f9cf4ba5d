package io.github.vcnn.kernels.simd;

import io.github.vcnn.kernels.ElementwiseChecks;
import io.github.vcnn.kernels.ElementwiseKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Elementwise arithmetic, one vector at a time; the tail (under one vector) is scalar, so nothing is allocated per call. */
final class SimdElementwise implements ElementwiseKernels {
    private static final VectorSpecies<Float> F = SimdMath.F;
    private static final int VL = SimdMath.VL;
    /** Lanes sum this many values each in float before the partial sum moves to double. */
    private static final int CHUNK = 64 * VL;

    @Override
    public void add(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int len, boolean relu) {
        ElementwiseChecks.binary("add", a, aOff, b, bOff, y, yOff, len);
        int i = 0;
        if (relu) {
            FloatVector zero = FloatVector.zero(F);
            for (int bound = F.loopBound(len); i < bound; i += VL) {
                FloatVector s = FloatVector.fromArray(F, a, aOff + i).add(FloatVector.fromArray(F, b, bOff + i));
                s.blend(zero, s.compare(VectorOperators.LE, zero)).intoArray(y, yOff + i); // NaN stays NaN
            }
            for (; i < len; i++) y[yOff + i] = Math.max(a[aOff + i] + b[bOff + i], 0f);
        } else {
            for (int bound = F.loopBound(len); i < bound; i += VL) {
                FloatVector.fromArray(F, a, aOff + i).add(FloatVector.fromArray(F, b, bOff + i)).intoArray(y, yOff + i);
            }
            for (; i < len; i++) y[yOff + i] = a[aOff + i] + b[bOff + i];
        }
    }

    @Override
    public void axpy(int len, float alpha, float[] x, int xOff, float[] y, int yOff) {
        ElementwiseChecks.scaled("axpy", len, alpha, x, xOff, y, yOff);
        FloatVector av = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector.fromArray(F, x, xOff + i).fma(av, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < len; i++) y[yOff + i] = Math.fma(x[xOff + i], alpha, y[yOff + i]);
    }

    @Override
    public void mul(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int len) {
        ElementwiseChecks.binary("mul", a, aOff, b, bOff, y, yOff, len);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector.fromArray(F, a, aOff + i).mul(FloatVector.fromArray(F, b, bOff + i)).intoArray(y, yOff + i);
        }
        for (; i < len; i++) y[yOff + i] = a[aOff + i] * b[bOff + i];
    }

    /**
     * Below this length {@link #scale} is a scalar loop (the same products, bit for bit). A training step calls scale on
     * a slice's few logits (the loss gradient's batch share), a handful of times per step: such a method stays in C1 for
     * minutes, and C1 boxes every vector (28 KB per LeNet step), while C2 turns the scalar loop into vectors anyway.
     */
    static final int SCALAR_BELOW = 1024;

    @Override
    public void scale(int len, float alpha, float[] x, int xOff, float[] y, int yOff) {
        ElementwiseChecks.scaled("scale", len, alpha, x, xOff, y, yOff);
        int i = 0;
        if (len < SCALAR_BELOW) {
            for (; i < len; i++) y[yOff + i] = alpha * x[xOff + i];
            return;
        }
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector.fromArray(F, x, xOff + i).mul(alpha).intoArray(y, yOff + i);
        }
        for (; i < len; i++) y[yOff + i] = alpha * x[xOff + i];
    }

    @Override
    public double sumOfSquares(int len, float[] x, int xOff) {
        ElementwiseChecks.sumOfSquares(len, x, xOff);
        return sumOfSquares(x, xOff, len);
    }

    /** y[i] += x[i] (the dense layer's bias on one row of its output). */
    static void addInPlace(float[] x, int xOff, float[] y, int yOff, int len) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector.fromArray(F, y, yOff + i).add(FloatVector.fromArray(F, x, xOff + i)).intoArray(y, yOff + i);
        }
        for (; i < len; i++) y[yOff + i] += x[xOff + i];
    }

    /** sum x^2: float lanes over chunks of {@link #CHUNK}, each chunk's total added in double. */
    static double sumOfSquares(float[] x, int xOff, int len) {
        double total = 0;
        int i = 0;
        int bound = F.loopBound(len);
        while (i < bound) {
            int end = Math.min(bound, i + CHUNK);
            FloatVector acc0 = FloatVector.zero(F);
            FloatVector acc1 = FloatVector.zero(F);
            for (; i + VL < end; i += 2 * VL) {
                FloatVector v0 = FloatVector.fromArray(F, x, xOff + i);
                FloatVector v1 = FloatVector.fromArray(F, x, xOff + i + VL);
                acc0 = v0.fma(v0, acc0);
                acc1 = v1.fma(v1, acc1);
            }
            for (; i < end; i += VL) {
                FloatVector v = FloatVector.fromArray(F, x, xOff + i);
                acc0 = v.fma(v, acc0);
            }
            total += SimdMath.sum(acc0.add(acc1));
        }
        for (; i < len; i++) {
            double v = x[xOff + i];
            total += v * v;
        }
        return total;
    }
}
