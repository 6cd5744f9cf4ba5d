package io.github.vcnn.kernels.simd;

import io.github.vcnn.kernels.SoftmaxChecks;
import io.github.vcnn.kernels.SoftmaxKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row softmax / log-softmax, fused softmax + cross-entropy, and MSE. Each row: a vector max, then
 * e^(x - max) with the vector exp (summed in float lanes, total in double), then one scaling pass.
 * Row tails shorter than a vector are scalar (a masked tail at an array's end allocates its mask).
 */
final class SimdSoftmax implements SoftmaxKernels {
    private static final VectorSpecies<Float> F = SimdMath.F;
    private static final int VL = SimdMath.VL;

    @Override
    public void softmax(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
        SoftmaxChecks.rows(rows, cols, x, xOff, y, yOff);
        for (int r = 0; r < rows; r++) {
            int xr = xOff + r * cols, yr = yOff + r * cols;
            float max = rowMax(x, xr, cols);
            double sum = expShifted(x, xr, y, yr, cols, max);
            scaleRow(y, yr, cols, (float) (1.0 / sum));
        }
    }

    @Override
    public void logSoftmax(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
        SoftmaxChecks.rows(rows, cols, x, xOff, y, yOff);
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
            for (; i < cols; i++) y[yr + i] = x[xr + i] - shift;
        }
    }

    @Override
    public float crossEntropy(int rows, int cols, float[] logits, int logitsOff, int[] labels, int labelsOff,
                              float[] probs, int probsOff, float[] dlogits, int dlogitsOff) {
        SoftmaxChecks.crossEntropy(rows, cols, logits, logitsOff, labels, labelsOff, probs, probsOff, dlogits, dlogitsOff);
        double loss = 0;
        float invRows = 1f / rows;
        for (int r = 0; r < rows; r++) {
            int xr = logitsOff + r * cols;
            int label = labels[labelsOff + r];
            float target = logits[xr + label]; // read before probs/dlogits are written (they may alias the logits)
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
                    // scalar (the same products as vectors): this method runs a few times per training step, so it stays
                    // in C1 for minutes, and C1 boxes every vector op written here (the helpers above reach C2 sooner)
                    for (int i = 0; i < cols; i++) dlogits[dr + i] = out[outOff + i] * factor;
                    dlogits[dr + label] -= invRows;
                }
            } else {
                sum = sumExpShifted(logits, xr, cols, max);
            }
            // -log softmax[label] = log sum e^(x - max) - (x[label] - max)
            loss += Math.log(sum) - ((double) target - max);
        }
        return (float) (loss / rows);
    }

    @Override
    public float mse(int len, float[] pred, int predOff, float[] target, int targetOff, float[] dpred, int dpredOff) {
        SoftmaxChecks.mse(len, pred, predOff, target, targetOff, dpred, dpredOff);
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
        total += SimdMath.sum(acc);
        for (; i < len; i++) {
            float d = pred[predOff + i] - target[targetOff + i];
            total += (double) d * d;
            if (dpred != null) dpred[dpredOff + i] = d * gradScale;
        }
        return (float) (total / len);
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
        double sum = SimdMath.sum(acc);
        for (; i < len; i++) {
            float e = (float) Math.exp(x[xOff + i] - max);
            out[outOff + i] = e;
            sum += e;
        }
        return sum;
    }

    private static double sumExpShifted(float[] x, int xOff, int len, float max) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            acc = acc.add(SimdMath.exp(FloatVector.fromArray(F, x, xOff + i).sub(max)));
        }
        double sum = SimdMath.sum(acc);
        for (; i < len; i++) sum += (float) Math.exp(x[xOff + i] - max);
        return sum;
    }

    private static void scaleRow(float[] y, int off, int len, float s) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += VL) {
            FloatVector.fromArray(F, y, off + i).mul(s).intoArray(y, off + i);
        }
        for (; i < len; i++) y[off + i] *= s;
    }
}
