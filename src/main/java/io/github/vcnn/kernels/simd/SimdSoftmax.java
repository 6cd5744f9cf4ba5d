package io.github.vcnn.kernels.simd;

import io.github.vcnn.kernels.Checks;
import io.github.vcnn.kernels.SoftmaxKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row softmax / log-softmax, fused softmax + cross-entropy, and MSE. Each row: a vector max, then
 * e^(x - max) with the vector exp (summed in float lanes, total in double), then one scaling pass.
 */
final class SimdSoftmax implements SoftmaxKernels {
    private static final VectorSpecies<Float> F = SimdMath.F;
    private static final int VL = SimdMath.VL;

    @Override
    public void softmax(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
        String shape = checkRows("softmax", rows, cols);
        Checks.array("x", x, xOff, (long) rows * cols, shape);
        Checks.array("y", y, yOff, (long) rows * cols, shape);
        for (int r = 0; r < rows; r++) {
            int xr = xOff + r * cols, yr = yOff + r * cols;
            float max = rowMax(x, xr, cols);
            double sum = expShifted(x, xr, y, yr, cols, max);
            scaleRow(y, yr, cols, (float) (1.0 / sum));
        }
    }

    @Override
    public void logSoftmax(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
        String shape = checkRows("logSoftmax", rows, cols);
        Checks.array("x", x, xOff, (long) rows * cols, shape);
        Checks.array("y", y, yOff, (long) rows * cols, shape);
        for (int r = 0; r < rows; r++) {
            int xr = xOff + r * cols, yr = yOff + r * cols;
            float max = rowMax(x, xr, cols);
            double sum = sumExpShifted(x, xr, cols, max);
            // log_softmax = x - (max + log sum e^(x - max))
            float shift = (float) (max + Math.log(sum));
            int i = 0;
            for (int bound = F.loopBound(cols); i < bound; i += VL) {
                FloatVector.fromArray(F, x, xr + i).sub(shift).intoArray(y, yr + i);
            }
            if (i < cols) {
                VectorMask<Float> m = F.indexInRange(i, cols);
                FloatVector.fromArray(F, x, xr + i, m).sub(shift).intoArray(y, yr + i, m);
            }
        }
    }

    @Override
    public float crossEntropy(int rows, int cols, float[] logits, int logitsOff, int[] labels, int labelsOff,
                              float[] probs, int probsOff, float[] dlogits, int dlogitsOff) {
        String shape = checkRows("crossEntropy", rows, cols);
        long size = (long) rows * cols;
        Checks.array("logits", logits, logitsOff, size, shape);
        Checks.array("labels", labels, labelsOff, rows, shape);
        Checks.optionalArray("probs", probs, probsOff, size, shape);
        Checks.optionalArray("dlogits", dlogits, dlogitsOff, size, shape);
        for (int r = 0; r < rows; r++) {
            int label = labels[labelsOff + r];
            if (label < 0 || label >= cols) {
                throw new IllegalArgumentException("labels[" + r + "] = " + label + " is outside [0, " + cols + "): " + shape);
            }
        }
        double loss = 0;
        float invRows = 1f / rows;
        for (int r = 0; r < rows; r++) {
            int xr = logitsOff + r * cols;
            int label = labels[labelsOff + r];
            float max = rowMax(logits, xr, cols);
            double sum;
            if (probs != null || dlogits != null) {
                // e^(x - max) goes to whichever output exists, then both are finished from it
                float[] out = probs != null ? probs : dlogits;
                int outOff = (probs != null ? probsOff : dlogitsOff) + r * cols;
                sum = expShifted(logits, xr, out, outOff, cols, max);
                float inv = (float) (1.0 / sum);
                if (probs != null) scaleRow(probs, outOff, cols, inv);
                if (dlogits != null) {
                    int dr = dlogitsOff + r * cols;
                    // dlogits = (p - onehot) / rows, with p = e * inv (or the probs just written)
                    float factor = probs != null ? invRows : inv * invRows;
                    int i = 0;
                    for (int bound = F.loopBound(cols); i < bound; i += VL) {
                        FloatVector.fromArray(F, out, outOff + i).mul(factor).intoArray(dlogits, dr + i);
                    }
                    if (i < cols) {
                        VectorMask<Float> m = F.indexInRange(i, cols);
                        FloatVector.fromArray(F, out, outOff + i, m).mul(factor).intoArray(dlogits, dr + i, m);
                    }
                    dlogits[dr + label] -= invRows;
                }
            } else {
                sum = sumExpShifted(logits, xr, cols, max);
            }
            // -log softmax[label] = log sum e^(x - max) - (x[label] - max)
            loss += Math.log(sum) - ((double) logits[xr + label] - max);
        }
        return (float) (loss / rows);
    }

    @Override
    public float mse(int len, float[] pred, int predOff, float[] target, int targetOff, float[] dpred, int dpredOff) {
        Checks.positive("len", len, "mse over " + len + " values");
        String shape = "mse over " + len + " values";
        Checks.array("pred", pred, predOff, len, shape);
        Checks.array("target", target, targetOff, len, shape);
        Checks.optionalArray("dpred", dpred, dpredOff, len, shape);
        float gradScale = 2f / len;
        double total = 0;
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        int sinceFlush = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector d = FloatVector.fromArray(F, pred, predOff + i).sub(FloatVector.fromArray(F, target, targetOff + i));
            acc = d.fma(d, acc);
            if (dpred != null) d.mul(gradScale).intoArray(dpred, dpredOff + i);
            if (++sinceFlush == 64) { // keep float partial sums short; the total is in double
                total += SimdMath.sum(acc);
                acc = FloatVector.zero(F);
                sinceFlush = 0;
            }
        }
        if (i < len) {
            VectorMask<Float> m = F.indexInRange(i, len);
            FloatVector d = FloatVector.fromArray(F, pred, predOff + i, m).sub(FloatVector.fromArray(F, target, targetOff + i, m));
            acc = d.fma(d, acc);
            if (dpred != null) d.mul(gradScale).intoArray(dpred, dpredOff + i, m);
        }
        total += SimdMath.sum(acc);
        return (float) (total / len);
    }

    private static String checkRows(String op, int rows, int cols) {
        String shape = op + "[" + rows + " x " + cols + "]";
        Checks.positive("rows", rows, shape);
        Checks.positive("cols", cols, shape);
        return shape;
    }

    private static float rowMax(float[] x, int off, int len) {
        FloatVector mx = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            mx = mx.max(FloatVector.fromArray(F, x, off + i));
        }
        float max = mx.reduceLanes(VectorOperators.MAX);
        for (; i < len; i++) max = Math.max(max, x[off + i]);
        return max;
    }

    /** out = e^(x - max) for the row; returns the row's sum. */
    private static double expShifted(float[] x, int xOff, float[] out, int outOff, int len, float max) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector e = SimdMath.exp(FloatVector.fromArray(F, x, xOff + i).sub(max));
            e.intoArray(out, outOff + i);
            acc = acc.add(e);
        }
        if (i < len) {
            VectorMask<Float> m = F.indexInRange(i, len);
            FloatVector e = SimdMath.exp(FloatVector.fromArray(F, x, xOff + i, m).sub(max));
            e.intoArray(out, outOff + i, m);
            acc = acc.add(e, m);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static double sumExpShifted(float[] x, int xOff, int len, float max) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            acc = acc.add(SimdMath.exp(FloatVector.fromArray(F, x, xOff + i).sub(max)));
        }
        if (i < len) {
            VectorMask<Float> m = F.indexInRange(i, len);
            acc = acc.add(SimdMath.exp(FloatVector.fromArray(F, x, xOff + i, m).sub(max)), m);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static void scaleRow(float[] y, int off, int len, float s) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector.fromArray(F, y, off + i).mul(s).intoArray(y, off + i);
        }
        if (i < len) {
            VectorMask<Float> m = F.indexInRange(i, len);
            FloatVector.fromArray(F, y, off + i, m).mul(s).intoArray(y, off + i, m);
        }
    }
}
