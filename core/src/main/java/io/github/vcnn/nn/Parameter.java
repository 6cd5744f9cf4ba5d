package io.github.vcnn.nn;

import java.util.Arrays;

/**
 * One learnable tensor of a layer (a weight or a bias) with its gradient of the same size.
 * Both arrays are owned by the layer for the model's lifetime; the optimizer updates {@link #data()}
 * in place and {@link Sequential} overwrites {@link #grad()} on every training step.
 *
 * <p>Whoever writes {@link #data()} directly must call {@link #changed()} afterwards, so that layers which
 * keep a packed copy of their weights for the kernels re-pack it before the next forward pass.
 */
public final class Parameter {
    private final Layer owner;
    private final String name;
    private final int[] shape;
    private final float[] data;
    private final float[] grad;
    private final boolean bias;

    Parameter(Layer owner, String name, int[] shape, boolean bias) {
        this.owner = owner;
        this.name = name;
        this.shape = shape.clone();
        int size = io.github.vcnn.kernels.Checks.elementCount(name, shape);
        this.data = new float[size];
        this.grad = new float[size];
        this.bias = bias;
    }

    /** "weight" or "bias" (the PyTorch state_dict suffix). */
    public String name() {
        return name;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int size() {
        return data.length;
    }

    /** The values, row-major in {@link #shape()}. Call {@link #changed()} after writing them. */
    public float[] data() {
        return data;
    }

    /** The gradient of the last training step (overwritten each step; untouched while the layer is frozen). */
    public float[] grad() {
        return grad;
    }

    /** True for biases, which L2 / weight decay leaves alone by default. */
    public boolean isBias() {
        return bias;
    }

    public Layer owner() {
        return owner;
    }

    /** Tells the owning layer its values changed (re-pack kernel weights before the next forward). */
    public void changed() {
        owner.parametersChanged();
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
