package io.github.vcnn.train;

import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.nn.Parameter;

/**
 * Stochastic gradient descent with PyTorch's {@code torch.optim.SGD} semantics: optional momentum (with dampening),
 * Nesterov momentum, and weight decay as L2 ({@code g + lambda W}).
 */
public final class SGD extends Optimizer {
    private float momentum;
    private float dampening;
    private boolean nesterov;

    public SGD(double lr) {
        super(lr);
    }

    /** Momentum in [0, 1). */
    public SGD momentum(double momentum) {
        if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        this.momentum = (float) momentum;
        checkNesterov();
        return this;
    }

    public SGD dampening(double dampening) {
        if (!(dampening >= 0 && dampening <= 1)) throw new IllegalArgumentException("dampening must be in [0, 1], got " + dampening);
        this.dampening = (float) dampening;
        checkNesterov();
        return this;
    }

    /** Nesterov momentum (needs momentum &gt; 0 and no dampening, as PyTorch). */
    public SGD nesterov(boolean nesterov) {
        this.nesterov = nesterov;
        checkNesterov();
        return this;
    }

    private void checkNesterov() {
        if (nesterov && (momentum == 0f || dampening != 0f)) {
            throw new IllegalArgumentException("Nesterov momentum requires momentum > 0 and dampening 0 (momentum " + momentum
                    + ", dampening " + dampening + ")");
        }
    }

    @Override
    public SGD weightDecay(double lambda) {
        super.weightDecay(lambda);
        return this;
    }

    @Override
    protected int buffers() {
        return 1;
    }

    @Override
    protected void update(KernelProvider k, Parameter p, State s, float wd, int from, int to) {
        k.optimizer().sgd(to - from, p.data(), from, p.grad(), from, s.a, from, learningRate(), momentum, dampening, wd, nesterov,
                s.steps == 1);
    }
}
