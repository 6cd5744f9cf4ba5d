package io.github.vcnn.kernels.scalar;

import io.github.vcnn.kernels.OptimizerChecks;
import io.github.vcnn.kernels.OptimizerKernels;

/** Reference parameter updates, line by line as torch.optim.SGD / Adam / AdamW (PyTorch 1.13, single-tensor path). */
public final class ScalarOptimizer implements OptimizerKernels {

    ScalarOptimizer() {
    }

    @Override
    public void sgd(int len, float[] p, int pOff, float[] g, int gOff, float[] buf, int bufOff,
                    float lr, float momentum, float dampening, float weightDecay, boolean nesterov, boolean firstStep) {
        OptimizerChecks.sgd(len, p, pOff, g, gOff, buf, bufOff, lr, momentum, dampening, weightDecay, nesterov);
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

    @Override
    public void adam(int len, float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff,
                     float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled, int step) {
        OptimizerChecks.adam(len, p, pOff, g, gOff, m, mOff, v, vOff, lr, beta1, beta2, eps, weightDecay, decoupled, step);
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

}
