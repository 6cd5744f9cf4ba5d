package io.github.vcnn.train;

import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.nn.Parameter;

/**
 * Adam (spec 8.2, with bias correction; PyTorch's {@code torch.optim.Adam}): weight decay is L2, added to the
 * gradient before the moments. {@link AdamW} is the decoupled variant.
 */
public class Adam extends Optimizer {
    private float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
    private final boolean decoupled;

    public Adam(double lr) {
        this(lr, false);
    }

    Adam(double lr, boolean decoupled) {
        super(lr);
        this.decoupled = decoupled;
    }

    /** Moment decay rates, each in [0, 1) (defaults 0.9, 0.999). */
    public Adam betas(double beta1, double beta2) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        this.beta1 = (float) beta1;
        this.beta2 = (float) beta2;
        return this;
    }

    /** Denominator term (default 1e-8), finite and &gt; 0. */
    public Adam eps(double eps) {
        io.github.vcnn.kernels.Checks.finitePositive("eps", eps);
        this.eps = (float) eps;
        return this;
    }

    @Override
    public Adam weightDecay(double lambda) {
        super.weightDecay(lambda);
        return this;
    }

    @Override
    protected int buffers() {
        return 2;
    }

    @Override
    protected void update(KernelProvider k, Parameter p, State s, float wd, int from, int to) {
        k.optimizer().adam(to - from, p.data(), from, p.grad(), from, s.a, from, s.b, from, learningRate(), beta1, beta2, eps, wd, decoupled,
                s.steps);
    }
}
