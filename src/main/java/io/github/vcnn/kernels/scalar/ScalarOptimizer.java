package io.github.vcnn.kernels.scalar;

import io.github.vcnn.kernels.Checks;
import io.github.vcnn.kernels.OptimizerKernels;

/** Reference parameter updates, line by line as torch.optim.SGD / Adam / AdamW (PyTorch 1.13, single-tensor path). */
public final class ScalarOptimizer implements OptimizerKernels {

    ScalarOptimizer() {
    }

    @Override
    public void sgd(int len, float[] p, int pOff, float[] g, int gOff, float[] buf, int bufOff,
                    float lr, float momentum, float dampening, float weightDecay, boolean nesterov, boolean firstStep) {
        checkSgd(len, p, pOff, g, gOff, buf, bufOff, lr, momentum, dampening, weightDecay, nesterov);
        for (int i = 0; i < len; i++) {
            double d = (double) g[gOff + i] + (double) weightDecay * p[pOff + i]; // L2: g' = g + wd * p
            if (momentum != 0f) {
                double b = firstStep ? d : (double) momentum * buf[bufOff + i] + (1.0 - dampening) * d;
                buf[bufOff + i] = (float) b;
                d = nesterov ? d + (double) momentum * buf[bufOff + i] : buf[bufOff + i];
            }
            p[pOff + i] = (float) (p[pOff + i] - (double) lr * d);
        }
    }

    /** The argument rules of {@link #sgd}, checked before anything is written. */
    static void checkSgd(int len, float[] p, int pOff, float[] g, int gOff, float[] buf, int bufOff,
                         float lr, float momentum, float dampening, float weightDecay, boolean nesterov) {
        Checks.length("len", len);
        String shape = "sgd over " + len + " parameters";
        Checks.array("p", p, pOff, len, shape);
        Checks.array("g", g, gOff, len, shape);
        Checks.finiteNonNegative("lr", lr);
        Checks.finiteNonNegative("momentum", momentum);
        Checks.finite("dampening", dampening);
        Checks.finiteNonNegative("weightDecay", weightDecay);
        if (momentum != 0f) Checks.array("buf (momentum buffer)", buf, bufOff, len, shape);
        if (nesterov && (momentum <= 0f || dampening != 0f)) {
            throw new IllegalArgumentException("nesterov needs momentum > 0 and dampening == 0, got momentum=" + momentum
                    + " dampening=" + dampening);
        }
    }

    @Override
    public void adam(int len, float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff,
                     float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled, int step) {
        Checks.length("len", len);
        String shape = (decoupled ? "adamw" : "adam") + " over " + len + " parameters";
        Checks.array("p", p, pOff, len, shape);
        Checks.array("g", g, gOff, len, shape);
        Checks.array("m (first moment)", m, mOff, len, shape);
        Checks.array("v (second moment)", v, vOff, len, shape);
        Checks.finiteNonNegative("lr", lr);
        beta("beta1", beta1);
        beta("beta2", beta2);
        Checks.finiteNonNegative("eps", eps);
        Checks.finiteNonNegative("weightDecay", weightDecay);
        Checks.positive("step", step, shape + " (steps count from 1)");
        double biasCorrection1 = 1.0 - Math.pow(beta1, step);
        double biasCorrection2 = 1.0 - Math.pow(beta2, step);
        double stepSize = lr / biasCorrection1;
        double sqrtBiasCorrection2 = Math.sqrt(biasCorrection2);
        for (int i = 0; i < len; i++) {
            double param = p[pOff + i];
            double grad = g[gOff + i];
            if (decoupled) param *= 1.0 - (double) lr * weightDecay; // AdamW: decay the weights, not the gradient
            else grad += (double) weightDecay * param;                // Adam: L2 added to the gradient
            double mi = (double) beta1 * m[mOff + i] + (1.0 - beta1) * grad;
            double vi = (double) beta2 * v[vOff + i] + (1.0 - beta2) * grad * grad;
            m[mOff + i] = (float) mi;
            v[vOff + i] = (float) vi;
            // p -= lr * (m / bc1) / (sqrt(v / bc2) + eps)
            double denom = Math.sqrt(vi) / sqrtBiasCorrection2 + eps;
            p[pOff + i] = (float) (param - stepSize * mi / denom);
        }
    }

    private static void beta(String name, float beta) {
        if (!(beta >= 0f && beta < 1f)) throw new IllegalArgumentException(name + " must be in [0, 1), got " + beta);
    }
}
