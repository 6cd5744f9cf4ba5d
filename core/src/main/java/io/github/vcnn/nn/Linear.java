package io.github.vcnn.nn;

import io.github.vcnn.kernels.DenseParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.PackedDenseWeights;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Fully connected layer (PyTorch's {@code nn.Linear}): {@code y = x W^T + b}, weight {@code [out][in]}, bias {@code [out]}.
 * The kernels' packed weight layout is built once after each change of the weights (lazily, before the next
 * forward pass), not on every call; the backward pass reads the plain weights.
 */
public final class Linear extends Layer {
    private final int inFeatures, outFeatures;
    private final Parameter weight;
    private final Parameter bias;
    private final List<Parameter> parameters;
    private final RepackedWeights<PackedDenseWeights> packed = new RepackedWeights<>(new RepackedWeights.Packer<>() {
        @Override
        public PackedDenseWeights pack(KernelProvider kernels) {
            return kernels.dense().pack(new DenseParams(1, inFeatures, outFeatures), weight.data(), 0);
        }

        @Override
        public void repack(KernelProvider kernels, PackedDenseWeights into) {
            kernels.dense().repack(into.params(), weight.data(), 0, into);
        }

        @Override
        public String variant(PackedDenseWeights p) {
            return p.variant();
        }
    });

    public Linear(int in, int out) {
        this(in, out, true);
    }

    public Linear(int in, int out, boolean bias) {
        new DenseParams(1, in, out); // validates the sizes
        this.inFeatures = in;
        this.outFeatures = out;
        this.weight = new Parameter(this, "weight", new int[]{out, in}, false);
        this.bias = bias ? new Parameter(this, "bias", new int[]{out}, true) : null;
        this.parameters = bias ? List.of(weight, this.bias) : List.of(weight);
    }

    public Parameter weight() {
        return weight;
    }

    /** The bias, or null when built without one. */
    public Parameter bias() {
        return bias;
    }

    public int in() {
        return inFeatures;
    }

    public int out() {
        return outFeatures;
    }

    @Override
    public String type() {
        return "Linear";
    }

    @Override
    public List<Parameter> parameters() {
        return parameters;
    }

    @Override
    public int[] outputShape(int[] shape) {
        if (shape.length != 1 || shape[0] != inFeatures) {
            String hint = shape.length > 1 ? " (add a Flatten before it: " + size(shape) + " features)" : "";
            throw new IllegalArgumentException(describe() + " expects input [" + inFeatures + "], got " + Arrays.toString(shape) + hint);
        }
        return new int[]{outFeatures};
    }

    @Override
    boolean acceptsEpilogue() {
        return true;
    }

    @Override
    void initialize(SplittableRandom random, Layer next) {
        initWeights(weight.data(), inFeatures, outFeatures, random, next);
        if (bias != null) Arrays.fill(bias.data(), 0f);
        parametersChanged();
    }

    @Override
    void parametersChanged() {
        packed.invalidate();
    }

    @Override
    void prepare(KernelProvider kernels) {
        packed.refresh(kernels);
    }

    @Override
    Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("type", type());
        c.put("in_features", inFeatures);
        c.put("out_features", outFeatures);
        c.put("bias", bias != null);
        return c;
    }

    @Override
    String describe() {
        return "Linear(" + inFeatures + "->" + outFeatures + (bias == null ? ", no bias" : "") + ")";
    }

    @Override
    Step step(KernelProvider kernels, int[] inShape, int batch, Epilogue fused, int layerIndex, long seed) {
        DenseParams p = new DenseParams(batch, inFeatures, outFeatures);
        return new Step() {
            private final float[] y = new float[batch * outFeatures];
            private final float[] dx = new float[batch * inFeatures];
            private float[] x;
            private int xOff;

            {
                this.out = y;
            }

            @Override
            void forward(float[] x, int xOff, boolean training, long stepIndex, int sampleBase) {
                this.x = x;
                this.xOff = xOff;
                kernels.dense().fwd(p, x, xOff, packed.get(), bias == null ? null : bias.data(), 0, fused, y, 0);
            }

            @Override
            float[] backward(float[] dy, boolean needDx, float[][] weightGrads) {
                if (!fused.isIdentity()) kernels.activation().bwd(fused, y, 0, dy, 0, dy, 0, y.length);
                if (weightGrads != null) {
                    kernels.dense().bwdWeights(p, x, xOff, dy, 0, weightGrads[0], 0, bias == null ? null : weightGrads[1], 0);
                }
                if (!needDx) return null;
                kernels.dense().bwdData(p, dy, 0, weight.data(), 0, dx, 0);
                return dx;
            }
        };
    }
}
