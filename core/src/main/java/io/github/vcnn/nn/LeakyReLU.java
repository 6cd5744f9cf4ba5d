package io.github.vcnn.nn;

import io.github.vcnn.kernels.Epilogue;

import java.util.Map;

/** {@code x if x > 0 else alpha x}; alpha must be finite and &gt; 0 (PyTorch's default 0.01). */
public final class LeakyReLU extends ActivationLayer {
    private final float alpha;

    public LeakyReLU() {
        this(0.01f);
    }

    public LeakyReLU(float alpha) {
        super(Epilogue.leakyRelu(alpha));
        this.alpha = alpha;
    }

    public float alpha() {
        return alpha;
    }

    @Override
    public String type() {
        return "LeakyReLU";
    }

    @Override
    Map<String, Object> config() {
        Map<String, Object> c = super.config();
        c.put("negative_slope", (double) alpha);
        return c;
    }

    @Override
    String describe() {
        return "LeakyReLU(" + alpha + ")";
    }
}
