package io.github.vcnn.train;

/**
 * AdamW (PyTorch's {@code torch.optim.AdamW}): Adam with decoupled weight decay, {@code W *= 1 - lr*lambda} before
 * each update instead of an L2 term in the gradient. PyTorch's default lambda 0.01.
 */
public final class AdamW extends Adam {
    public AdamW(double lr) {
        super(lr, true);
        weightDecay(0.01);
    }
}
