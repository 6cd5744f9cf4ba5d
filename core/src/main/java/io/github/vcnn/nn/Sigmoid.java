package io.github.vcnn.nn;

import io.github.vcnn.kernels.Epilogue;

/** {@code 1 / (1 + e^-x)}. */
public final class Sigmoid extends ActivationLayer {
    public Sigmoid() {
        super(Epilogue.SIGMOID);
    }

    @Override
    public String type() {
        return "Sigmoid";
    }
}
