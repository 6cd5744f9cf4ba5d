package io.github.vcnn.graph;

import io.github.vcnn.kernels.Activation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Graph-to-graph rewrites, each returning a new graph with the same outputs:
 * <ul>
 * <li>{@link #simplify}: Identity nodes removed (or folded into constants), Clip with constant bounds turned into an
 *     activation, dead nodes and unused constants dropped;</li>
 * <li>{@link #foldBatchNorm}: an inference BatchNormalization after a convolution with constant weights becomes
 *     part of those weights and bias;</li>
 * <li>{@link #fuseActivations}: an activation that is the only reader of a Conv, Gemm or Add output is fused into
 *     that node (kernel epilogue; Add + Relu is the residual kernel);</li>
 * <li>{@link #fuseResidualAdds}: a residual Add (+ Relu) of a Conv's output goes into that Conv's epilogue.</li>
 * </ul>
 */
public final class Passes {
    private Passes() {
    }

    /** simplify, then fold batch norms, then fuse activations, then residual Adds: what the compiler runs. */
    public static Graph optimize(Graph g) {
        return fuseResidualAdds(fuseActivations(foldBatchNorm(simplify(g))));
    }

    /**
     * A same-shape Add (with its fused Relu, if any) of a Conv output and another value, where that Conv has no
     * activation and the Add is the only reader of its output, becomes that Conv with the other value as a residual
     * input: {@code y = act(conv(x) + b + r)} in the kernel's epilogue, one pass over the output instead of two. The
     * fused node takes the Add's place in the order (the residual may be computed after the Conv, e.g. a shortcut).
     */
    public static Graph fuseResidualAdds(Graph g) {
        Shapes shapes;
        try {
            shapes = ShapeInference.infer(g);
        } catch (IllegalArgumentException e) {
            return g;   // compiling reports it, naming the node
        }
        Map<String, List<Integer>> consumers = g.consumers();
        Map<String, Integer> producer = new HashMap<>();
        List<Node> nodes = new ArrayList<>(g.nodes());
        for (int i = 0; i < nodes.size(); i++) for (String o : nodes.get(i).outputs()) producer.put(o, i);
        boolean changed = false;
        for (int j = 0; j < nodes.size(); j++) {
            Node add = nodes.get(j);
            if (add == null || !(add.op() instanceof Op.Binary b) || !b.add() || add.inputs().size() != 2 || add.outputs().size() != 1) continue;
            for (int side = 0; side < 2; side++) {
                String z = add.input(side), r = add.input(1 - side);
                Integer i = producer.get(z);
                if (i == null || z.equals(r) || nodes.get(i) == null || soleConsumer(g, consumers, z) != j) continue;
                Node conv = nodes.get(i);
                if (!(conv.op() instanceof Op.Conv c) || c.residual() || !c.act().isNone() || conv.outputs().size() != 1) continue;
                // the same shape at every batch size: no broadcasting, no constant residual
                if (g.constants().containsKey(r) || !shapes.has(z) || !shapes.has(r) || !Arrays.equals(shapes.raw(z), shapes.raw(r))
                        || shapes.batched(z) != shapes.batched(r)) continue;
                List<String> ins = new ArrayList<>(conv.inputs());
                while (ins.size() < 3) ins.add("");
                ins.add(r);
                nodes.set(j, new Node(conv.name(), c.withResidual(b.act()), ins, add.outputs()));
                nodes.set(i, null);
                changed = true;
                break;
            }
        }
        if (!changed) return g;
        nodes.removeIf(n -> n == null);
        return new Graph(g.inputs(), nodes, g.constants(), g.outputs());
    }

    public static Graph simplify(Graph g) {
        Map<String, Tensor> constants = new LinkedHashMap<>(g.constants());
        Map<String, String> rename = new HashMap<>();
        Set<String> outputs = new HashSet<>(g.outputs());
        List<Node> nodes = new ArrayList<>();
        for (Node n0 : g.nodes()) {
            Node n = renamed(n0, rename);
            if (n.op() instanceof Op.Identity && n.outputs().size() == 1) {
                String in = n.input(0);
                if (constants.containsKey(in)) {
                    constants.put(n.output(), constants.get(in));
                    continue;
                }
                if (!outputs.contains(n.output())) {
                    rename.put(n.output(), in);
                    continue;
                }
            }
            if (n.op() instanceof Op.Clip && boundConstant(n.input(1), constants) && boundConstant(n.input(2), constants)) {
                float lo = n.input(1).isEmpty() ? Float.NEGATIVE_INFINITY : constants.get(n.input(1)).floatAt(0);
                float hi = n.input(2).isEmpty() ? Float.POSITIVE_INFINITY : constants.get(n.input(2)).floatAt(0);
                if (!Float.isNaN(lo) && !Float.isNaN(hi)) {
                    n = new Node(n.name(), new Op.Unary(Act.clip(lo, hi), "Clip"), List.of(n.input(0)), n.outputs());
                }
            }
            nodes.add(n);
        }
        return deadCode(new Graph(g.inputs(), nodes, constants, g.outputs()));
    }

    private static boolean boundConstant(String v, Map<String, Tensor> constants) {
        return v.isEmpty() || (constants.containsKey(v) && constants.get(v).size() == 1);
    }

    private static Node renamed(Node n, Map<String, String> rename) {
        if (rename.isEmpty()) return n;
        List<String> in = new ArrayList<>(n.inputs().size());
        boolean changed = false;
        for (String s : n.inputs()) {
            String r = rename.getOrDefault(s, s);
            changed |= !r.equals(s);
            in.add(r);
        }
        return changed ? n.withInputs(in) : n;
    }

    /** Drops nodes none of whose outputs is used, and constants no node reads. */
    public static Graph deadCode(Graph g) {
        Set<String> live = new HashSet<>(g.outputs());
        List<Node> kept = new ArrayList<>();
        List<Node> nodes = g.nodes();
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            boolean used = false;
            for (String o : n.outputs()) used |= live.contains(o);
            if (!used) continue;
            kept.add(0, n);
            live.addAll(n.inputs());
        }
        Map<String, Tensor> constants = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : g.constants().entrySet()) {
            if (live.contains(e.getKey())) constants.put(e.getKey(), e.getValue());
        }
        return new Graph(g.inputs(), kept, constants, g.outputs());
    }

    /** The single node reading {@code value}, or -1 when there are none or several, or it is a graph output. */
    private static int soleConsumer(Graph g, Map<String, List<Integer>> consumers, String value) {
        if (g.outputs().contains(value)) return -1;
        List<Integer> c = consumers.get(value);
        return c != null && c.size() == 1 ? c.get(0) : -1;
    }

    public static Graph foldBatchNorm(Graph g) {
        Map<String, List<Integer>> consumers = g.consumers();
        List<Node> nodes = new ArrayList<>(g.nodes());
        Map<String, Tensor> constants = new LinkedHashMap<>(g.constants());
        boolean changed = false;
        for (int i = 0; i < nodes.size(); i++) {
            Node conv = nodes.get(i);
            if (conv == null || !(conv.op() instanceof Op.Conv c) || !c.act().isNone()) continue;
            int j = soleConsumer(g, consumers, conv.output());
            if (j < 0 || !(nodes.get(j).op() instanceof Op.BatchNorm bn)) continue;
            Node norm = nodes.get(j);
            if (!norm.input(0).equals(conv.output()) || norm.outputs().size() != 1) continue;
            Tensor w = constants.get(conv.input(1));
            Tensor b = conv.input(2).isEmpty() ? null : constants.get(conv.input(2));
            if (w == null || w.type() != Tensor.Type.FLOAT || (!conv.input(2).isEmpty() && b == null)) continue;
            Tensor[] p = new Tensor[4];
            boolean allConst = true;
            for (int k = 0; k < 4; k++) {
                p[k] = constants.get(norm.input(k + 1));
                allConst &= p[k] != null && p[k].type() == Tensor.Type.FLOAT;
            }
            if (!allConst) continue;
            int kOut = w.dim(0);
            int per = w.size() / kOut;
            float[] wv = w.floatsView();
            float[] nw = new float[wv.length];
            float[] nb = new float[kOut];
            float[] scale = p[0].floatsView(), shift = p[1].floatsView(), mean = p[2].floatsView(), var = p[3].floatsView();
            for (int k = 0; k < kOut; k++) {
                double f = scale[k] / Math.sqrt((double) var[k] + bn.epsilon());
                for (int e = 0; e < per; e++) nw[k * per + e] = (float) (wv[k * per + e] * f);
                double bias = b == null ? 0.0 : b.floatsView()[k];
                nb[k] = (float) ((bias - mean[k]) * f + shift[k]);
            }
            String wName = unique(constants, norm.output() + "#folded_weight");
            constants.put(wName, Tensor.wrap(w.shape(), nw));
            String bName = unique(constants, norm.output() + "#folded_bias");
            constants.put(bName, Tensor.wrap(new int[]{kOut}, nb));
            nodes.set(i, new Node(conv.name(), c, List.of(conv.input(0), wName, bName), norm.outputs()));
            nodes.set(j, null);
            changed = true;
        }
        if (!changed) return g;
        nodes.removeIf(n -> n == null);
        return deadCode(new Graph(g.inputs(), nodes, constants, g.outputs()));
    }

    private static String unique(Map<String, Tensor> constants, String base) {
        String s = base;
        for (int k = 2; constants.containsKey(s); k++) s = base + k;
        return s;
    }

    public static Graph fuseActivations(Graph g) {
        Map<String, List<Integer>> consumers = g.consumers();
        List<Node> nodes = new ArrayList<>(g.nodes());
        boolean changed = false;
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (n == null || n.outputs().size() != 1) continue;
            boolean fusable = switch (n.op()) {
                case Op.Conv c -> c.act().isNone();
                case Op.Gemm gm -> gm.act().isNone();
                case Op.Binary b -> b.add() && b.act().isNone();
                default -> false;
            };
            if (!fusable) continue;
            int j = soleConsumer(g, consumers, n.output());
            if (j < 0 || !(nodes.get(j).op() instanceof Op.Unary u)) continue;
            Act act = u.act();
            // Add fuses ReLU only (the residual kernel); the others fuse whatever the epilogue computes.
            if (n.op() instanceof Op.Binary && act.kind() != Activation.RELU) continue;
            if (!(n.op() instanceof Op.Binary) && act.epilogue() == null) continue;
            Op fused = switch (n.op()) {
                case Op.Conv c -> c.withAct(act);
                case Op.Gemm gm -> gm.withAct(act);
                case Op.Binary b -> b.withAct(act);
                default -> throw new IllegalStateException();
            };
            nodes.set(i, new Node(n.name(), fused, n.inputs(), nodes.get(j).outputs()));
            nodes.set(j, null);
            changed = true;
        }
        if (!changed) return g;
        nodes.removeIf(n -> n == null);
        return new Graph(g.inputs(), nodes, g.constants(), g.outputs());
    }
}
