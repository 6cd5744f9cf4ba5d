package io.github.vcnn.nn;

import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.KernelProvider;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A layer of a {@link Sequential} model: a function of a batch of NCHW (or flat) samples, with
 * optional {@link Parameter}s. Shapes are per sample, without the batch dimension: {@code [C, H, W]} or {@code [features]}.
 *
 * <p>A layer object belongs to at most one model. Its parameters are created at construction and
 * initialised by the model ({@link Sequential#initialize(long)}).
 */
public abstract class Layer {
    private boolean trainable = true;
    Sequential owner;

    /** The PyTorch-like class name, also used in the saved architecture ("Conv2d", "ReLU", ...). */
    public abstract String type();

    /** The output shape for a sample of shape {@code in}; IllegalArgumentException naming the layer and both shapes if it does not fit. */
    public abstract int[] outputShape(int[] in);

    /** The learnable tensors, in state_dict order (weight, then bias). Empty for parameter-free layers. */
    public List<Parameter> parameters() {
        return List.of();
    }

    /** Frozen layers ({@code false}) keep their parameters: no gradient is computed for them and optimizers skip them. */
    public Layer trainable(boolean trainable) {
        this.trainable = trainable;
        return this;
    }

    public boolean isTrainable() {
        return trainable;
    }

    /** Number of learnable values. */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : parameters()) n += p.size();
        return n;
    }

    /** The architecture entry: {@code type} plus the constructor arguments. */
    abstract Map<String, Object> config();

    /** Short description for {@link Sequential#summary()}. */
    abstract String describe();

    /** For activation layers: the epilogue a preceding Conv2d/Linear can fuse; null for other layers. */
    Epilogue asEpilogue() {
        return null;
    }

    /** True for layers whose kernels take a fused activation epilogue (Conv2d, Linear). */
    boolean acceptsEpilogue() {
        return false;
    }

    /**
     * Sets the parameters to their initial values.
     *
     * @param next the activation that follows (null if none): He init before ReLU-like activations, Xavier otherwise
     */
    void initialize(SplittableRandom random, Layer next) {
    }

    /** Called before each forward pass on the model's thread: re-pack weights if they changed. */
    void prepare(KernelProvider kernels) {
    }

    void parametersChanged() {
    }

    /** A step computing this layer (with {@code fused} applied to its output) for {@code batch} samples of shape {@code in}. */
    abstract Step step(KernelProvider kernels, int[] in, int batch, Epilogue fused, int layerIndex, long seed);

    static int size(int[] shape) {
        return io.github.vcnn.kernels.Checks.elementCount("shape", shape);
    }

    IllegalArgumentException shapeError(int[] in, String expected) {
        return new IllegalArgumentException(describe() + " expects input " + expected + ", got " + Arrays.toString(in));
    }

    /** He (Kaiming) normal for ReLU-like successors, Xavier (Glorot) uniform otherwise; PyTorch's fan definitions. */
    static void initWeights(float[] w, int fanIn, int fanOut, SplittableRandom random, Layer next) {
        Epilogue act = next == null ? null : next.asEpilogue();
        if (act != null && (act.kind() == io.github.vcnn.kernels.Activation.RELU || act.kind() == io.github.vcnn.kernels.Activation.LEAKY_RELU)) {
            double a = act.kind() == io.github.vcnn.kernels.Activation.LEAKY_RELU ? act.alpha() : 0.0;
            double std = Math.sqrt(2.0 / ((1 + a * a) * fanIn));
            for (int i = 0; i < w.length; i++) w[i] = (float) (gaussian(random) * std);
        } else {
            double limit = Math.sqrt(6.0 / (fanIn + fanOut));
            for (int i = 0; i < w.length; i++) w[i] = (float) ((2 * random.nextDouble() - 1) * limit);
        }
    }

    /** Box-Muller from SplittableRandom (reproducible across JDKs, unlike Random.nextGaussian's caching). */
    private static double gaussian(SplittableRandom random) {
        double u1 = random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }
}
