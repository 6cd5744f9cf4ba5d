package io.github.vcnn.kernels.auto;

import io.github.vcnn.kernels.OptimizerChecks;
import io.github.vcnn.kernels.OptimizerKernels;

/**
 * SGD and Adam/AdamW updates (PyTorch semantics) as float loops SuperWord vectorizes, sqrt included.
 * Same-offset operands (the usual case: p, g, m, v laid out alike) run in place; otherwise the
 * state is staged through per-thread L1-sized rows and copied back.
 */
public final class AutoOptimizer implements OptimizerKernels {
    private static final int CHUNK = AutoActivation.CHUNK;
    private static final ThreadLocal<float[][]> STAGE = ThreadLocal.withInitial(() -> new float[4][CHUNK]);

    AutoOptimizer() {
    }

    @Override
    public void sgd(int len, float[] p, int pOff, float[] g, int gOff, float[] buf, int bufOff,
                    float lr, float momentum, float dampening, float weightDecay, boolean nesterov, boolean firstStep) {
        OptimizerChecks.sgd(len, p, pOff, g, gOff, buf, bufOff, lr, momentum, dampening, weightDecay, nesterov);
        boolean useBuf = momentum != 0f;
        if (pOff == gOff && (!useBuf || bufOff == pOff)) {
            sgdSame(p, g, useBuf ? buf : null, pOff, len, lr, momentum, dampening, weightDecay, nesterov, firstStep);
            return;
        }
        float[][] st = STAGE.get();
        for (int start = 0; start < len; start += CHUNK) {
            int n = Math.min(CHUNK, len - start);
            System.arraycopy(p, pOff + start, st[0], 0, n);
            System.arraycopy(g, gOff + start, st[1], 0, n);
            if (useBuf) System.arraycopy(buf, bufOff + start, st[2], 0, n);
            sgdSame(st[0], st[1], useBuf ? st[2] : null, 0, n, lr, momentum, dampening, weightDecay, nesterov, firstStep);
            System.arraycopy(st[0], 0, p, pOff + start, n);
            if (useBuf) System.arraycopy(st[2], 0, buf, bufOff + start, n);
        }
    }

    /** One SGD step with p, g, buf indexed alike ({@code buf == null}: no momentum). */
    private static void sgdSame(float[] p, float[] g, float[] buf, int o, int len, float lr, float momentum, float dampening,
                                float weightDecay, boolean nesterov, boolean firstStep) {
        if (buf == null) {
            for (int i = 0; i < len; i++) p[o + i] = p[o + i] - lr * (g[o + i] + weightDecay * p[o + i]);
            return;
        }
        float keep = 1f - dampening;
        for (int i = 0; i < len; i++) {
            float d = g[o + i] + weightDecay * p[o + i];                       // L2: g' = g + wd * p
            float b = firstStep ? d : momentum * buf[o + i] + keep * d;      // loop-invariant branch: unswitched
            buf[o + i] = b;
            float step = nesterov ? d + momentum * b : b;
            p[o + i] = p[o + i] - lr * step;
        }
    }

    @Override
    public void adam(int len, float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff,
                     float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled, int step) {
        OptimizerChecks.adam(len, p, pOff, g, gOff, m, mOff, v, vOff, lr, beta1, beta2, eps, weightDecay, decoupled, step);
        // bias corrections in double once per call; the loop is float (as PyTorch's float32 tensors)
        double bc1 = 1.0 - Math.pow(beta1, step);
        double bc2 = 1.0 - Math.pow(beta2, step);
        float stepSize = (float) (lr / bc1);
        float invSqrtBc2 = (float) (1.0 / Math.sqrt(bc2));
        float decay = decoupled ? (float) (1.0 - (double) lr * weightDecay) : 1f;
        float l2 = decoupled ? 0f : weightDecay;
        if (pOff == gOff && gOff == mOff && mOff == vOff) {
            adamSame(p, g, m, v, pOff, len, beta1, beta2, eps, stepSize, invSqrtBc2, decay, l2);
            return;
        }
        float[][] st = STAGE.get();
        for (int start = 0; start < len; start += CHUNK) {
            int n = Math.min(CHUNK, len - start);
            System.arraycopy(p, pOff + start, st[0], 0, n);
            System.arraycopy(g, gOff + start, st[1], 0, n);
            System.arraycopy(m, mOff + start, st[2], 0, n);
            System.arraycopy(v, vOff + start, st[3], 0, n);
            adamSame(st[0], st[1], st[2], st[3], 0, n, beta1, beta2, eps, stepSize, invSqrtBc2, decay, l2);
            System.arraycopy(st[0], 0, p, pOff + start, n);
            System.arraycopy(st[2], 0, m, mOff + start, n);
            System.arraycopy(st[3], 0, v, vOff + start, n);
        }
    }

    /**
     * {@code p *= decay (AdamW); g' = g + l2*p (Adam); m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2;
     * p -= stepSize * m / (sqrt(v) * invSqrtBc2 + eps)}, all arrays indexed alike.
     */
    private static void adamSame(float[] p, float[] g, float[] m, float[] v, int o, int len, float beta1, float beta2,
                                 float eps, float stepSize, float invSqrtBc2, float decay, float l2) {
        float c1 = 1f - beta1, c2 = 1f - beta2;
        for (int i = 0; i < len; i++) {
            float param = p[o + i] * decay;
            float grad = g[o + i] + l2 * param;
            float mi = beta1 * m[o + i] + c1 * grad;
            float vi = beta2 * v[o + i] + c2 * grad * grad;
            m[o + i] = mi;
            v[o + i] = vi;
            float denom = (float) Math.sqrt(vi) * invSqrtBc2 + eps;
            p[o + i] = param - stepSize * mi / denom;
        }
    }

}
