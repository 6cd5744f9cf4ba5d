package io.github.vcnn.graph;

import io.github.vcnn.io.internal.Json;
import io.github.vcnn.kernels.Activation;
import io.github.vcnn.nn.AvgPool2d;
import io.github.vcnn.nn.Conv2d;
import io.github.vcnn.nn.Flatten;
import io.github.vcnn.nn.Layer;
import io.github.vcnn.nn.LeakyReLU;
import io.github.vcnn.nn.Linear;
import io.github.vcnn.nn.MaxPool2d;
import io.github.vcnn.nn.Model;
import io.github.vcnn.nn.Parameter;
import io.github.vcnn.nn.ReLU;
import io.github.vcnn.nn.Sequential;
import io.github.vcnn.nn.Sigmoid;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Between the layer API and the graph IR: a {@link Sequential} becomes an inference graph ({@link #fromSequential}), and
 * a graph that is a chain of layer-shaped operators (Conv, activations, pooling, Flatten, Gemm/MatMul, folded batch
 * norms) becomes a trainable {@link Sequential} ({@link #toSequential}), e.g. to fine-tune an imported ONNX model.
 */
public final class LayerGraphs {
    private LayerGraphs() {
    }

    /**
     * The inference graph of {@code model} (dropout as identity). Input {@code "input"} of shape {@code [N, ...]} with a
     * symbolic batch, output {@code "output"}; weights copied under their state_dict names ({@code "0.weight"}).
     */
    public static Graph fromSequential(Sequential model) {
        if (model == null) throw new IllegalArgumentException("model is null");
        Map<String, Object> arch = Json.parseObject(Model.architecture(model));
        List<?> layers = (List<?>) arch.get("layers");
        Map<String, Parameter> dict = model.stateDict();
        Map<String, Tensor> constants = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : dict.entrySet()) {
            constants.put(e.getKey(), Tensor.of(e.getValue().shape(), e.getValue().data()));
        }
        int[] in = model.inputShape();
        int[] shape = new int[in.length + 1];
        shape[0] = 1;
        System.arraycopy(in, 0, shape, 1, in.length);
        List<Node> nodes = new ArrayList<>();
        String x = "input";
        for (int i = 0; i < layers.size(); i++) {
            Map<?, ?> c = (Map<?, ?>) layers.get(i);
            String type = String.valueOf(c.get("type"));
            String y = i == layers.size() - 1 ? "output" : i + ".out";
            String name = i + "." + type;
            String w = i + ".weight", b = constants.containsKey(i + ".bias") ? i + ".bias" : "";
            Op op = switch (type) {
                case "Conv2d" -> {
                    int[] k = ints(c, "kernel_size"), s = ints(c, "stride"), p = ints(c, "padding"), d = ints(c, "dilation");
                    yield new Op.Conv(k, s, p, d, ((Number) c.get("groups")).intValue(), Op.AutoPad.NOTSET, Act.NONE);
                }
                case "Linear" -> new Op.Gemm(1f, 1f, false, true, Act.NONE);
                case "MaxPool2d", "AvgPool2d" -> {
                    int[] k = ints(c, "kernel_size"), s = ints(c, "stride"), p = ints(c, "padding");
                    boolean max = type.equals("MaxPool2d");
                    yield new Op.Pool(max, k, s, new int[]{p[0], p[1], p[0], p[1]}, new int[]{1, 1}, Boolean.TRUE.equals(c.get("ceil_mode")),
                            !max && Boolean.TRUE.equals(c.get("count_include_pad")), Op.AutoPad.NOTSET);
                }
                case "ReLU" -> new Op.Unary(Act.RELU, "Relu");
                case "Sigmoid" -> new Op.Unary(Act.SIGMOID, "Sigmoid");
                case "LeakyReLU" -> new Op.Unary(Act.leakyRelu(((Number) c.get("negative_slope")).floatValue()), "LeakyRelu");
                case "Flatten" -> new Op.Flatten(1);
                case "Dropout" -> new Op.Identity("Dropout");
                default -> throw new IllegalArgumentException("layer " + i + " (" + type + ") has no graph operator");
            };
            List<String> ins = switch (type) {
                case "Conv2d", "Linear" -> List.of(x, w, b);
                default -> List.of(x);
            };
            nodes.add(new Node(name, op, ins, List.of(y)));
            x = y;
        }
        return new Graph(List.of(new Graph.Input("input", shape, true, Tensor.Type.FLOAT)), nodes, constants, List.of(x));
    }

    private static int[] ints(Map<?, ?> c, String key) {
        List<?> l = (List<?>) c.get(key);
        int[] r = new int[l.size()];
        for (int i = 0; i < r.length; i++) r[i] = ((Number) l.get(i)).intValue();
        return r;
    }

    /**
     * A trainable {@link Sequential} computing the same function as {@code graph}, which must be a chain (one input, one
     * output, each node reading the previous node's output and constants) of: Conv (2-D), Relu, LeakyRelu (slope &gt; 0),
     * Sigmoid, MaxPool/AveragePool (symmetric padding), GlobalAveragePool/GlobalMaxPool, Flatten (axis 1), a Reshape to
     * {@code [N, features]}, Gemm (B constant, no transA) or MatMul with a constant matrix (plus an Add of a constant
     * vector), Identity/Dropout, and BatchNormalization right after a Conv (folded). Anything else gives an
     * IllegalArgumentException naming the node.
     */
    public static Sequential toSequential(Graph graph) {
        if (graph == null) throw new IllegalArgumentException("graph is null");
        Graph g = Passes.foldBatchNorm(Passes.simplify(graph));
        if (g.inputs().size() != 1 || g.outputs().size() != 1) {
            throw new IllegalArgumentException("only a graph with one input and one output converts to a Sequential, this one has inputs "
                    + g.inputs() + " and outputs " + g.outputs());
        }
        Shapes s = ShapeInference.infer(g);
        Graph.Input input = g.inputs().get(0);
        if (input.shape().length < 2) throw new IllegalArgumentException("input '" + input.name() + "' " + Arrays.toString(input.shape()) + " has no per-sample dimensions");
        if (s.batchBreak() != null) throw new IllegalArgumentException("the graph mixes the samples of a batch (" + s.batchBreak() + "): no Sequential equivalent");
        String x = input.name();
        List<Layer> layers = new ArrayList<>();
        List<float[][]> weights = new ArrayList<>(); // per layer: {weight, bias} or null
        List<Node> nodes = g.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (!n.input(0).equals(x)) throw new IllegalArgumentException(n.describe() + " does not read the previous node's output: the graph is not a chain");
            for (int j = 1; j < n.inputs().size(); j++) {
                if (!n.input(j).isEmpty() && !g.isConstant(n.input(j))) {
                    throw new IllegalArgumentException(n.describe() + ": input '" + n.input(j) + "' is not a constant: the graph is not a chain of layers");
                }
            }
            int[] in = s.raw(x);
            Layer layer;
            float[][] wb = null;
            switch (n.op()) {
                case Op.Conv c -> {
                    if (in.length != 4) throw unsupported(n, "only 2-D convolution has a layer (Conv2d)");
                    Tensor w = g.constant(n.input(1));
                    Tensor b = n.input(2).isEmpty() ? null : g.constant(n.input(2));
                    int[] ws = w.shape();
                    int[] p = Geometry.pads(c.autoPad(), c.pads(), in[2], in[3], new int[]{ws[2], ws[3]}, c.strides(), c.dilations());
                    layer = new Conv2d(in[1], ws[0], ws[2], ws[3], c.strides()[0], c.strides()[1], p[0], p[1], p[2], p[3],
                            c.dilations()[0], c.dilations()[1], c.groups(), b != null);
                    wb = new float[][]{w.floatsView(), b == null ? null : b.floatsView()};
                    if (!c.act().isNone()) throw unsupported(n, "fused activation");
                    if (c.residual()) throw unsupported(n, "fused residual input");
                }
                case Op.Unary u -> layer = switch (u.act().kind()) {
                    case RELU -> new ReLU();
                    case SIGMOID -> new Sigmoid();
                    case LEAKY_RELU -> {
                        if (!(u.act().alpha() > 0f)) throw unsupported(n, "LeakyReLU needs a slope > 0, got " + u.act().alpha());
                        yield new LeakyReLU(u.act().alpha());
                    }
                    default -> throw unsupported(n, u.act() + " has no layer");
                };
                case Op.Pool pl -> {
                    if (in.length != 4) throw unsupported(n, "only 2-D pooling has a layer");
                    if (pl.dilations()[0] != 1 || pl.dilations()[1] != 1) throw unsupported(n, "dilated pooling has no layer");
                    int[] p = Geometry.pads(pl.autoPad(), pl.pads(), in[2], in[3], pl.kernel(), pl.strides(), pl.dilations());
                    if (p[0] != p[2] || p[1] != p[3]) throw unsupported(n, "asymmetric padding " + Arrays.toString(p) + " has no pooling layer");
                    int[] k = pl.kernel(), st = pl.strides();
                    layer = pl.max() ? new MaxPool2d(k[0], k[1], st[0], st[1], p[0], p[1], pl.ceilMode())
                            : new AvgPool2d(k[0], k[1], st[0], st[1], p[0], p[1], pl.ceilMode(), pl.countIncludePad());
                }
                case Op.GlobalPool gp -> {
                    if (in.length != 4) throw unsupported(n, "only 2-D global pooling has a layer");
                    layer = gp.max() ? new MaxPool2d(in[2], in[3], in[2], in[3], 0, 0, false)
                            : new AvgPool2d(in[2], in[3], in[2], in[3], 0, 0, false, true);
                }
                case Op.Flatten f -> {
                    if (f.axis() != 1 && f.axis() != 1 - in.length) throw unsupported(n, "only Flatten with axis 1 has a layer");
                    layer = new Flatten();
                }
                case Op.Reshape r -> {
                    int[] out = s.raw(n.output());
                    if (out.length != 2 || !s.batched(n.output())) throw unsupported(n, "only a reshape to [N, features] has a layer (Flatten)");
                    layer = new Flatten();
                }
                case Op.Identity id -> {
                    x = n.output();
                    continue;
                }
                case Op.Gemm gm -> {
                    if (gm.transA() || !gm.act().isNone()) throw unsupported(n, "transA=1 has no layer");
                    Tensor b = g.constant(n.input(1));
                    int kk = gm.transB() ? b.dim(1) : b.dim(0), out = gm.transB() ? b.dim(0) : b.dim(1);
                    Tensor c = n.input(2).isEmpty() ? null : g.constant(n.input(2));
                    if (c != null && c.size() != out && c.size() != 1) throw unsupported(n, "C " + c + " is not a bias vector");
                    float[] w = new float[kk * out];
                    for (int o = 0; o < out; o++) {
                        for (int j = 0; j < kk; j++) w[o * kk + j] = gm.alpha() * b.floatsView()[gm.transB() ? o * kk + j : j * out + o];
                    }
                    float[] bias = null;
                    if (c != null) {
                        bias = new float[out];
                        for (int o = 0; o < out; o++) bias[o] = gm.beta() * c.floatsView()[c.size() == 1 ? 0 : o];
                    }
                    layer = new Linear(kk, out, bias != null);
                    wb = new float[][]{w, bias};
                }
                case Op.MatMul mm -> {
                    Tensor b = g.constant(n.input(1));
                    if (in.length != 2 || b.rank() != 2) throw unsupported(n, "only [N, in] x [in, out] has a layer (Linear)");
                    int kk = b.dim(0), out = b.dim(1);
                    float[] w = new float[kk * out];
                    for (int o = 0; o < out; o++) for (int j = 0; j < kk; j++) w[o * kk + j] = b.floatsView()[j * out + o];
                    float[] bias = null;
                    // MatMul + Add(constant vector) is a Linear with bias.
                    if (i + 1 < nodes.size() && nodes.get(i + 1).op() instanceof Op.Binary bin && bin.add() && bin.act().isNone()) {
                        Node add = nodes.get(i + 1);
                        String other = add.input(0).equals(n.output()) ? add.input(1) : add.input(1).equals(n.output()) ? add.input(0) : null;
                        Tensor c = other == null ? null : g.constant(other);
                        if (c != null && c.size() == out && (c.rank() == 1 || (c.rank() == 2 && c.dim(0) == 1))) {
                            bias = c.floatsView().clone();
                            i++;
                            n = add;
                        }
                    }
                    layer = new Linear(kk, out, bias != null);
                    wb = new float[][]{w, bias};
                }
                case Op.BatchNorm bn -> throw unsupported(n, "only a batch norm right after a convolution (folded into it) has a layer");
                default -> throw unsupported(n, "no layer of the layer API computes it");
            }
            layers.add(layer);
            weights.add(wb);
            x = n.output();
        }
        if (!x.equals(g.outputs().get(0))) throw new IllegalArgumentException("the chain ends at '" + x + "', not at the graph output '" + g.outputs().get(0) + "'");
        if (layers.isEmpty()) throw new IllegalArgumentException("the graph has no layers");
        int[] inShape = input.shape();
        Sequential seq = new Sequential(Arrays.copyOfRange(inShape, 1, inShape.length), layers);
        for (int i = 0; i < layers.size(); i++) {
            float[][] wb = weights.get(i);
            if (wb == null) continue;
            List<Parameter> ps = layers.get(i).parameters();
            System.arraycopy(wb[0], 0, ps.get(0).data(), 0, ps.get(0).size());
            if (wb[1] != null) System.arraycopy(wb[1], 0, ps.get(1).data(), 0, ps.get(1).size());
            ps.get(0).changed();
        }
        int[] out = s.raw(g.outputs().get(0));
        if (Tensor.elements(seq.outputShape()) * out[0] != Tensor.elements(out)) {
            throw new IllegalStateException("converted model computes " + Arrays.toString(seq.outputShape()) + " per sample, the graph " + Arrays.toString(out));
        }
        return seq;
    }

    private static IllegalArgumentException unsupported(Node n, String why) {
        return new IllegalArgumentException(n.describe() + " cannot become a layer: " + why);
    }

    /** For messages: the activation kinds a layer exists for. */
    static boolean hasLayer(Activation a) {
        return a == Activation.RELU || a == Activation.SIGMOID || a == Activation.LEAKY_RELU;
    }
}
