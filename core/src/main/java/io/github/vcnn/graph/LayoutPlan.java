package io.github.vcnn.graph;

import io.github.vcnn.kernels.ConvKernels;
import io.github.vcnn.kernels.PackedConvWeights;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which values of a graph a compiled model keeps channel-blocked ({@code nChw{L}c}, L = {@link ConvKernels#blockLanes()})
 * instead of NCHW, decided once per plan.
 *
 * <p>Values joined by a layout-agnostic node (a unary activation, a same-shape Add or Mul, Identity, a channel Concat
 * of whole channel blocks) must share a layout: they form a class. A class can be blocked when each of its values is
 * a 4-D intermediate (not a graph input or output) with a multiple of L channels. It is blocked when that saves more
 * transpositions than it adds: each convolution writing into it or reading from it that computes in the blocked layout
 * natively ({@link ConvKernels#writesBlocked}, {@link ConvKernels#readsBlocked}) saves one (its own NCHW conversion);
 * each other producer costs one reorder into the class, and each value read by another kind of node costs one reorder
 * out of it (shared by all such readers). The reorders are steps of the plan, visible in the model's description.
 */
final class LayoutPlan {
    private final Set<String> blocked;
    /** Per blocked value read as NCHW by some node: the last such node (the NCHW copy lives until then). */
    private final Map<String, Integer> lastNchwRead;
    private final ConvKernels conv;
    private final Object[] prepared;
    private final PackedConvWeights[] blockedPacks;
    private final Shapes s;

    private LayoutPlan(Set<String> blocked, Map<String, Integer> lastNchwRead, ConvKernels conv, Object[] prepared,
                       PackedConvWeights[] blockedPacks, Shapes s) {
        this.blocked = blocked;
        this.lastNchwRead = lastNchwRead;
        this.conv = conv;
        this.prepared = prepared;
        this.blockedPacks = blockedPacks;
        this.s = s;
    }

    /** No value blocked. */
    static LayoutPlan nchw() {
        return new LayoutPlan(Set.of(), Map.of(), null, new Object[0], new PackedConvWeights[0], null);
    }

    /** Conv node {@code at} has weights for an algorithm that computes blocked: as prepared, or packed for it anew. */
    private boolean nativeConv(int at, Node n) {
        if (!(n.op() instanceof Op.Conv)) return false;
        return (prepared[at] instanceof PackedConvWeights w && conv.readsBlocked(w)) || blockedPacks[at] != null;
    }

    /** The lanes of the blocked layout (0 when nothing is blocked). */
    int lanes() {
        return conv == null ? 0 : conv.blockLanes();
    }

    boolean blocked(String value) {
        return blocked.contains(value);
    }

    int lastNchwRead(String value) {
        return lastNchwRead.getOrDefault(value, -1);
    }

    /** Whether node {@code at} reads its input {@code i} in the layout of that value's class (else it needs NCHW). */
    boolean readsInPlace(int at, Node n, int i) {
        return agnostic(n) || ((i == 0 || i == 3) && nativeConv(at, n));
    }

    /** Whether node {@code at} writes its output in the layout of its class (else a reorder follows it). */
    boolean writesInPlace(int at, Node n) {
        return agnostic(n) || nativeConv(at, n);
    }

    /**
     * @param prepared     per node, what {@link Lowering} prepared (a {@link PackedConvWeights} for a conv with constant weights)
     * @param blockedPacks per conv node whose prepared algorithm works on NCHW: weights for one that computes blocked, or null
     */
    static LayoutPlan of(Graph g, Shapes s, Object[] prepared, PackedConvWeights[] blockedPacks, ConvKernels conv) {
        int lanes = conv.blockLanes();
        if (lanes <= 0) return nchw();
        List<Node> nodes = g.nodes();
        Set<String> fixed = new HashSet<>(g.outputs());   // values that stay NCHW whatever their class
        for (Graph.Input in : g.inputs()) fixed.add(in.name());
        fixed.addAll(g.constants().keySet());
        Classes classes = new Classes();
        for (Node n : nodes) {
            for (String v : n.outputs()) classes.add(v, candidate(v, s, lanes, fixed));
        }
        for (Node n : nodes) {
            // a residual input is added into the output where it is written: the two share a layout
            if (n.op() instanceof Op.Conv c && c.residual()) {
                classes.add(n.input(3), candidate(n.input(3), s, lanes, fixed));
                classes.union(n.input(3), n.output());
            }
            if (!agnostic(n, s)) continue;
            for (String in : n.inputs()) {
                if (in.isEmpty()) continue;
                classes.add(in, candidate(in, s, lanes, fixed));
                classes.union(in, n.output());
            }
        }
        LayoutPlan probe = new LayoutPlan(Set.of(), Map.of(), conv, prepared, blockedPacks, s);
        Map<Integer, Integer> score = new HashMap<>();
        for (int at = 0; at < nodes.size(); at++) {
            Node n = nodes.get(at);
            if (agnostic(n, s) || !classes.has(n.output())) continue;
            // a native producer saves its own transposition; any other needs a reorder into the class
            score.merge(classes.find(n.output()), probe.writesInPlace(at, n) ? 1 : -1, Integer::sum);
        }
        Set<String> readAsNchw = new HashSet<>();
        for (int at = 0; at < nodes.size(); at++) {
            Node n = nodes.get(at);
            if (agnostic(n, s)) continue;
            for (int i = 0; i < n.inputs().size(); i++) {
                String in = n.input(i);
                if (in.isEmpty() || !classes.has(in)) continue;
                boolean residual = i == 3 && n.op() instanceof Op.Conv c && c.residual();
                if (residual && probe.readsInPlace(at, n, i)) continue;   // in the output's class: no conversion either way
                if (probe.readsInPlace(at, n, i)) score.merge(classes.find(in), 1, Integer::sum);
                else if (readAsNchw.add(in)) score.merge(classes.find(in), -1, Integer::sum);
            }
        }
        Set<String> blocked = new HashSet<>();
        for (String v : classes.values()) {
            int c = classes.find(v);
            if (classes.possible(c) && score.getOrDefault(c, 0) > 0) blocked.add(v);
        }
        Map<String, Integer> last = new HashMap<>();
        for (int at = 0; at < nodes.size(); at++) {
            Node n = nodes.get(at);
            for (int i = 0; i < n.inputs().size(); i++) {
                String in = n.input(i);
                if (blocked.contains(in) && !probe.readsInPlace(at, n, i)) last.put(in, at);
            }
        }
        return new LayoutPlan(blocked, last, conv, prepared, blockedPacks, s);
    }

    /** A 4-D float intermediate whose channels fill whole blocks. */
    private static boolean candidate(String v, Shapes s, int lanes, Set<String> fixed) {
        if (v.isEmpty() || fixed.contains(v) || !s.has(v)) return false;
        int[] d = s.raw(v);
        return d.length == 4 && d[1] % lanes == 0 && d[1] > 0;
    }

    /**
     * Nodes whose data inputs and output share one layout, computed the same in either: elementwise on same-shape
     * operands, views of the whole tensor, and a Concat of channels (with whole blocks per input, which the class's
     * candidates ensure, a channel Concat moves the same contiguous runs in both layouts).
     */
    private boolean agnostic(Node n) {
        return agnostic(n, s);
    }

    private static boolean agnostic(Node n, Shapes s) {
        return switch (n.op()) {
            case Op.Unary u -> true;
            case Op.Identity i -> true;
            case Op.Binary b -> sameShapes(n, s);
            case Op.Concat c -> s.has(n.output()) && s.raw(n.output()).length == 4 && (c.axis() == 1 || c.axis() == -3);
            default -> false;
        };
    }

    private static boolean sameShapes(Node n, Shapes s) {
        if (!s.has(n.output())) return false;
        int[] y = s.raw(n.output());
        for (String in : n.inputs()) if (in.isEmpty() || !s.has(in) || !Arrays.equals(s.raw(in), y)) return false;
        return true;
    }

    /** Union-find over value names; a class is possible while every member is a candidate. */
    private static final class Classes {
        private final Map<String, Integer> index = new HashMap<>();
        private int[] parent = new int[16];
        private boolean[] ok = new boolean[16];

        void add(String v, boolean candidate) {
            Integer i = index.get(v);
            if (i == null) {
                i = index.size();
                index.put(v, i);
                if (i == parent.length) {
                    parent = Arrays.copyOf(parent, 2 * i);
                    ok = Arrays.copyOf(ok, 2 * i);
                }
                parent[i] = i;
                ok[i] = candidate;
            } else if (!candidate) {
                ok[find(i)] = false;
            }
        }

        boolean has(String v) {
            return index.containsKey(v);
        }

        Set<String> values() {
            return index.keySet();
        }

        int find(String v) {
            return find(index.get(v));
        }

        private int find(int i) {
            while (parent[i] != i) i = parent[i] = parent[parent[i]];
            return i;
        }

        void union(String a, String b) {
            int ra = find(a), rb = find(b);
            if (ra == rb) return;
            parent[ra] = rb;
            ok[rb] &= ok[ra];
        }

        boolean possible(int root) {
            return ok[root];
        }
    }
}
