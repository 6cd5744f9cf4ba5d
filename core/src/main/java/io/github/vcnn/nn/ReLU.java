package io.github.vcnn.nn;

import io.github.vcnn.kernels.Epilogue;

/** {@code max(0, x)}. */
public final class ReLU extends ActivationLayer {
    public ReLU() {
        super(Epilogue.RELU);
    }

    @Override
    public String type() {
        return "ReLU";
    }
}
