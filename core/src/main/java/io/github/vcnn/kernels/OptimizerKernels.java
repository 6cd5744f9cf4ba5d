package io.github.vcnn.kernels;

/** Vectorized parameter updates with PyTorch's semantics. Stateless; state arrays belong to the caller. */
public interface OptimizerKernels {

    /**
     * One SGD step (torch.optim.SGD): {@code g' = g + wd*p}; with momentum {@code buf = firstStep ? g' : momentum*buf + (1-dampening)*g'},
     * {@code d = nesterov ? g' + momentum*buf : buf}; without momentum {@code d = g'}; {@code p -= lr*d}.
     *
     * @param buf momentum buffer {@code [len]} (ignored, may be null, when momentum == 0)
     */
    void sgd(int len, float[] p, int pOff, float[] g, int gOff, float[] buf, int bufOff,
             float lr, float momentum, float dampening, float weightDecay, boolean nesterov, boolean firstStep);

    /**
     * One Adam step (spec 8.2 with bias correction; torch.optim.Adam/AdamW), {@code step} counted from 1.
     * {@code decoupled=false}: L2, {@code g += wd*p} (Adam's weight_decay); {@code decoupled=true}: AdamW,
     * {@code p *= 1 - lr*wd} before the update.
     * {@code m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; p -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)}.
     */
    void adam(int len, float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff,
              float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled, int step);
}
