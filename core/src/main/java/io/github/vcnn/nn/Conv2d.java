package io.github.vcnn.nn;

import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.Epilogue;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.PackedConvWeights;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * 2-D convolution (PyTorch's {@code nn.Conv2d}): weight {@code [out][in/groups][kh][kw]}, optional bias {@code [out]}.
 * The kernels' packed weight layout is built once after each change of the weights (lazily, before the next
 * forward pass), not on every call; the backward pass reads the plain weights.
 */
public final class Conv2d extends Layer {
    private final int inChannels, outChannels, kh, kw, strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW, groups;
    private final Parameter weight;
    private final Parameter bias;
    private final List<Parameter> parameters;
    private final RepackedWeights<PackedConvWeights> packed = new RepackedWeights<>(new RepackedWeights.Packer<>() {
        @Override
        public PackedConvWeights pack(KernelProvider kernels) {
            return kernels.conv().pack(packingParams(), weight.data(), 0);
        }

        @Override
        public void repack(KernelProvider kernels, PackedConvWeights into) {
            kernels.conv().repack(into.params(), weight.data(), 0, into);
        }

        @Override
        public String variant(PackedConvWeights p) {
            return p.variant();
        }
    });

    /** Square kernel, stride 1, no padding. */
    public Conv2d(int in, int out, int kernel) {
        this(in, out, kernel, 1, 0);
    }

    /** Square kernel, symmetric padding, with bias. */
    public Conv2d(int in, int out, int kernel, int stride, int padding) {
        this(in, out, kernel, kernel, stride, stride, padding, padding, padding, padding, 1, 1, 1, true);
    }

    /** Every option: asymmetric padding (top, left, bottom, right), dilation, groups, bias on/off. */
    public Conv2d(int in, int out, int kh, int kw, int strideH, int strideW, int padTop, int padLeft, int padBottom, int padRight,
                  int dilationH, int dilationW, int groups, boolean bias) {
        // Validates every size through the kernel's own parameter record (batch and image size are placeholders).
        new ConvParams(1, in, Math.max(1, dilationH * (kh - 1) + 1), Math.max(1, dilationW * (kw - 1) + 1), out, kh, kw,
                strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW, groups);
        this.inChannels = in;
        this.outChannels = out;
        this.kh = kh;
        this.kw = kw;
        this.strideH = strideH;
        this.strideW = strideW;
        this.padTop = padTop;
        this.padLeft = padLeft;
        this.padBottom = padBottom;
        this.padRight = padRight;
        this.dilationH = dilationH;
        this.dilationW = dilationW;
        this.groups = groups;
        this.weight = new Parameter(this, "weight", new int[]{out, in / groups, kh, kw}, false);
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

    @Override
    public String type() {
        return "Conv2d";
    }

    @Override
    public List<Parameter> parameters() {
        return parameters;
    }

    ConvParams params(int batch, int h, int w) {
        return new ConvParams(batch, inChannels, h, w, outChannels, kh, kw, strideH, strideW, padTop, padLeft, padBottom, padRight,
                dilationH, dilationW, groups);
    }

    @Override
    public int[] outputShape(int[] in) {
        if (in.length != 3 || in[0] != inChannels) throw shapeError(in, "[" + inChannels + ", H, W]");
        ConvParams p;
        try {
            p = params(1, in[1], in[2]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(describe() + " cannot take input " + java.util.Arrays.toString(in) + ": " + e.getMessage(), e);
        }
        return new int[]{outChannels, p.outH(), p.outW()};
    }

    @Override
    boolean acceptsEpilogue() {
        return true;
    }

    @Override
    void initialize(SplittableRandom random, Layer next) {
        int fanIn = (inChannels / groups) * kh * kw;
        int fanOut = (outChannels / groups) * kh * kw;
        initWeights(weight.data(), fanIn, fanOut, random, next);
        if (bias != null) java.util.Arrays.fill(bias.data(), 0f);
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

    /**
     * The shape the weights are packed for: the largest step planned so far (batch x output pixels), else a
     * kernel-sized image. Any packing serves every batch and image size (the kernels check the fit), but which algorithm
     * it is packed for (direct, Winograd, pointwise) is chosen for this shape: packing for the placeholder image, as
     * before, sent LeNet's 5x5 conv to the direct kernel in training although Winograd is faster at its real shape.
     */
    private ConvParams packingParams() {
        ConvParams p = packShape;
        return p != null ? p : params(1, Math.max(1, dilationH * (kh - 1) + 1), Math.max(1, dilationW * (kw - 1) + 1));
    }

    /** The algorithm of the current packing ({@code PackedConvWeights.algorithm()}), null before the first; for tests. */
    String packedAlgorithm() {
        PackedConvWeights w = packed.get();
        return w == null ? null : w.algorithm();
    }

    /** See {@link #packingParams()}; set when a step is planned (once per batch size), never per call. */
    private volatile ConvParams packShape;

    private void plannedShape(ConvParams p) {
        ConvParams cur = packShape;
        if (cur == null || (long) p.n() * p.outH() * p.outW() > (long) cur.n() * cur.outH() * cur.outW()) {
            packShape = p;
            packed.relayout();
        }
    }

    @Override
    Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("type", type());
        c.put("in_channels", inChannels);
        c.put("out_channels", outChannels);
        c.put("kernel_size", List.of(kh, kw));
        c.put("stride", List.of(strideH, strideW));
        c.put("padding", List.of(padTop, padLeft, padBottom, padRight));
        c.put("dilation", List.of(dilationH, dilationW));
        c.put("groups", groups);
        c.put("bias", bias != null);
        return c;
    }

    @Override
    String describe() {
        StringBuilder b = new StringBuilder("Conv2d(").append(inChannels).append("->").append(outChannels).append(", ")
                .append(kh).append('x').append(kw);
        if (strideH != 1 || strideW != 1) b.append(", stride ").append(strideH == strideW ? "" + strideH : strideH + "x" + strideW);
        if (padTop != 0 || padLeft != 0 || padBottom != 0 || padRight != 0) {
            b.append(", pad ").append(padTop == padLeft && padTop == padBottom && padTop == padRight ? "" + padTop
                    : padTop + "," + padLeft + "," + padBottom + "," + padRight);
        }
        if (dilationH != 1 || dilationW != 1) b.append(", dilation ").append(dilationH).append('x').append(dilationW);
        if (groups != 1) b.append(", groups ").append(groups);
        if (bias == null) b.append(", no bias");
        return b.append(')').toString();
    }

    @Override
    Step step(KernelProvider kernels, int[] in, int batch, Epilogue fused, int layerIndex, long seed) {
        ConvParams p = params(batch, in[1], in[2]);
        plannedShape(p);
        return new ConvStep(kernels, p, fused);
    }

    private final class ConvStep extends Step {
        private final KernelProvider k;
        private final ConvParams p;
        private final Epilogue act;
        private final float[] y;   // [N][K][outH][outW]
        private final float[] dx;  // [N][C][H][W]
        private float[] x;
        private int xOff;

        ConvStep(KernelProvider k, ConvParams p, Epilogue act) {
            this.k = k;
            this.p = p;
            this.act = act;
            this.y = new float[p.outputSize()];
            this.dx = new float[p.inputSize()];
            this.out = y;
        }

        @Override
        void forward(float[] x, int xOff, boolean training, long stepIndex, int sampleBase) {
            this.x = x;
            this.xOff = xOff;
            k.conv().fwd(p, x, xOff, packed.get(), bias == null ? null : bias.data(), 0, act, y, 0);
        }

        @Override
        float[] backward(float[] dy, boolean needDx, float[][] weightGrads) {
            // dz = dy * act'(z), in place over dy (the activation's backward reads the output y).
            if (!act.isIdentity()) k.activation().bwd(act, y, 0, dy, 0, dy, 0, y.length);
            if (weightGrads != null) {
                // every kernel sums the bias gradient in a fixed order, so training stays bit-reproducible
                k.conv().bwdWeights(p, x, xOff, dy, 0, weightGrads[0], 0, bias == null ? null : weightGrads[1], 0);
            }
            if (!needDx) return null;
            k.conv().bwdData(p, dy, 0, weight.data(), 0, dx, 0);
            return dx;
        }
    }
}
