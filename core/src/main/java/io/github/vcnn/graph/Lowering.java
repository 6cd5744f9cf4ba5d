package io.github.vcnn.graph;

import io.github.vcnn.exec.WorkerPool;
import io.github.vcnn.kernels.ConvParams;
import io.github.vcnn.kernels.DenseParams;
import io.github.vcnn.kernels.KernelProvider;
import io.github.vcnn.kernels.Layout;
import io.github.vcnn.kernels.PackedConvWeights;
import io.github.vcnn.kernels.PackedDenseWeights;
import io.github.vcnn.kernels.PoolParams;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Lowering: the one place that maps graph operators to kernel calls and decides the memory layout of every value.
 * Every value is a dense {@code float[]} region of the size of its shape, NCHW unless {@link LayoutPlan} keeps it
 * channel-blocked ({@code nChw{L}c}, same size), so the views (Flatten, Reshape, Identity) cost nothing and are aliases
 * of their input. The reorders at the edges of the blocked parts are steps of the plan.
 *
 * <p>Construction prepares what does not depend on the batch, once: convolution and dense weights packed for the
 * kernels (shared by every plan and thread), Gemm alpha/beta and constant batch-norm parameters folded. {@link #plan}
 * then builds the steps and the arena layout for one batch size.
 */
final class Lowering {
    private final Graph g;
    private final KernelProvider k;
    /** Per node: a PackedConvWeights, a DenseInfo, a BnInfo, or null. */
    private final Object[] prepared;
    /** Keep activations channel-blocked where the kernels compute in that layout ({@link LayoutPlan}). */
    private final boolean blockedLayout;
    /** Per conv node whose packed algorithm works on NCHW only: its weights packed for one that computes blocked, or null. */
    private final PackedConvWeights[] blockedPacks;

    private record DenseInfo(PackedDenseWeights w, float[] bias, int in, int out) {
    }

    private record BnInfo(float[] scale, float[] shift) {
    }

    Lowering(Graph g, Shapes declared, KernelProvider k) {
        this(g, declared, k, false);
    }

    Lowering(Graph g, Shapes declared, KernelProvider k, boolean blockedLayout) {
        this.g = g;
        this.k = k;
        this.blockedLayout = blockedLayout;
        this.prepared = new Object[g.nodes().size()];
        // Packing is most of compile time (ResNet-18: tens of MB of weights) and each node's is independent; the pool
        // makes the writes visible to this thread when run returns. Results do not depend on which thread packed.
        WorkerPool.shared().run(prepared.length, i -> prepared[i] = prepare(g.nodes().get(i), declared));
        this.blockedPacks = new PackedConvWeights[prepared.length];
        if (blockedLayout && k.conv().blockLanes() > 0) {
            for (int i = 0; i < prepared.length; i++) {
                Node n = g.nodes().get(i);
                if (n.op() instanceof Op.Conv c && prepared[i] instanceof PackedConvWeights pw && !k.conv().readsBlocked(pw)) {
                    Tensor w = floatConst(n.input(1));
                    blockedPacks[i] = k.conv().packBlocked(pw.params(), w.floatsView(), 0);
                }
            }
        }
    }

    private Tensor floatConst(String v) {
        Tensor t = v.isEmpty() ? null : g.constant(v);
        return t != null && t.type() == Tensor.Type.FLOAT ? t : null;
    }

    /** The convolution of node op {@code c} on an input of shape {@code x} with weights of shape {@code w} (1-D or 2-D). */
    private static ConvParams convParams(Op.Conv c, int[] x, int[] w) {
        int[] hw = Geometry.spatial(x);
        int r = w.length == 3 ? 1 : w[2], sw = w[w.length - 1];
        int[] p = Geometry.pads(c.autoPad(), c.pads(), hw[0], hw[1], new int[]{r, sw}, c.strides(), c.dilations());
        return new ConvParams(x[0], x[1], hw[0], hw[1], w[0], r, sw, c.strides()[0], c.strides()[1],
                p[0], p[1], p[2], p[3], c.dilations()[0], c.dilations()[1], c.groups());
    }

    private Object prepare(Node n, Shapes s) {
        switch (n.op()) {
            case Op.Conv c -> {
                Tensor w = floatConst(n.input(1));
                if (w == null) return null;
                // The layout and the algorithm (direct, pointwise, Winograd) are chosen for the declared shape: the
                // choice depends on the image size and padding, not only on the weights. Every batch size uses them.
                return k.conv().pack(convParams(c, s.raw(n.input(0)), w.shape()), w.floatsView(), 0);
            }
            case Op.Gemm gm -> {
                Tensor b = floatConst(n.input(1));
                if (b == null || gm.transA()) return null;
                int[] cs = n.input(2).isEmpty() ? null : s.raw(n.input(2));
                Tensor c = floatConst(n.input(2));
                int kk = gm.transB() ? b.dim(1) : b.dim(0), out = gm.transB() ? b.dim(0) : b.dim(1);
                boolean vectorBias = cs == null || (c != null && (c.size() == 1 || (c.size() == out && (cs.length == 1 || cs[0] == 1))));
                if (!vectorBias) return null;
                float[] w = weightsOutIn(b.floatsView(), kk, out, gm.transB(), gm.alpha());
                float[] bias = null;
                if (c != null && gm.beta() != 0f) {
                    bias = new float[out];
                    for (int j = 0; j < out; j++) bias[j] = gm.beta() * c.floatsView()[c.size() == 1 ? 0 : j];
                }
                return new DenseInfo(k.dense().pack(new DenseParams(1, kk, out), w, 0), bias, kk, out);
            }
            case Op.MatMul mm -> {
                Tensor b = floatConst(n.input(1));
                int[] a = s.raw(n.input(0));
                if (b == null || b.rank() != 2 || a.length < 2) return null;
                int kk = b.dim(0), out = b.dim(1);
                float[] w = weightsOutIn(b.floatsView(), kk, out, false, 1f);
                return new DenseInfo(k.dense().pack(new DenseParams(1, kk, out), w, 0), null, kk, out);
            }
            case Op.BatchNorm bn -> {
                Tensor[] p = new Tensor[4];
                for (int i = 0; i < 4; i++) {
                    p[i] = floatConst(n.input(i + 1));
                    if (p[i] == null) return null;
                }
                int c = p[0].size();
                float[] scale = new float[c], shift = new float[c];
                for (int ch = 0; ch < c; ch++) {
                    double f = p[0].floatsView()[ch] / Math.sqrt((double) p[3].floatsView()[ch] + bn.epsilon());
                    scale[ch] = (float) f;
                    shift[ch] = (float) (p[1].floatsView()[ch] - p[2].floatsView()[ch] * f);
                }
                return new BnInfo(scale, shift);
            }
            default -> {
                return null;
            }
        }
    }

    /** {@code W[out][in]} from B ({@code [out][in]} when transB, else {@code [in][out]}), times alpha. */
    private static float[] weightsOutIn(float[] b, int in, int out, boolean transB, float alpha) {
        float[] w = new float[in * out];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) w[o * in + i] = alpha * (transB ? b[o * in + i] : b[i * out + o]);
        }
        return w;
    }

    /** Whether any conv or dense step uses weights packed once (for the summary). */
    int packedCount() {
        int c = 0;
        for (Object o : prepared) if (o != null) c++;
        return c;
    }

    // ---- plan ---------------------------------------------------------------------------------------------------

    /** Builds the steps and arena layout for the batch of {@code s}. */
    Plan plan(Shapes s) {
        return new Builder(s).build();
    }

    private final class Builder {
        final Shapes s;
        final Map<String, Integer> ids = new HashMap<>();
        final List<Byte> kind = new ArrayList<>();
        final List<Integer> index = new ArrayList<>();
        /** For arena values: the id of the buffer (base) they live in; -1 otherwise. */
        final List<Integer> base = new ArrayList<>();
        final List<float[]> consts = new ArrayList<>();
        final Map<String, Integer> lastUse = new HashMap<>();
        // per base buffer
        final List<Integer> bufSize = new ArrayList<>(), bufFirst = new ArrayList<>(), bufLast = new ArrayList<>();
        final List<Step> steps = new ArrayList<>();
        final int end;
        final LayoutPlan layout;
        /** Per blocked value read as NCHW by some node: the id of its NCHW copy (made before its first such reader). */
        final Map<String, Integer> nchwCopies = new HashMap<>();

        Builder(Shapes s) {
            this.s = s;
            this.layout = blockedLayout ? LayoutPlan.of(g, s, prepared, blockedPacks, k.conv()) : LayoutPlan.nchw();
            List<Node> nodes = g.nodes();
            this.end = nodes.size();
            for (int i = 0; i < nodes.size(); i++) {
                for (String in : nodes.get(i).inputs()) if (!in.isEmpty()) lastUse.merge(in, i, Math::max);
            }
            for (String o : g.outputs()) lastUse.put(o, end);
        }

        int value(String name, byte kd, int idx, int baseId) {
            int id = kind.size();
            ids.put(name, id);
            kind.add(kd);
            index.add(idx);
            base.add(baseId);
            return id;
        }

        int id(String name) {
            if (name.isEmpty()) return -1;
            Integer id = ids.get(name);
            if (id == null) throw new IllegalStateException("value '" + name + "' not lowered");
            return id;
        }

        /** A fresh arena buffer for {@code name}, written at node {@code at}. */
        int fresh(String name, int at) {
            return fresh(name, s.size(name), at);
        }

        int fresh(String name, int size, int at) {
            int buf = bufSize.size();
            bufSize.add(size);
            bufFirst.add(at);
            bufLast.add(Math.max(at, lastUse.getOrDefault(name, at)));
            return value(name, Frame.ARENA, buf, buf);
        }

        /** {@code name} shares the storage of value {@code of} (a view, or an in-place result). */
        int alias(String name, int of, int at) {
            int b = base.get(of);
            if (b >= 0) bufLast.set(b, Math.max(bufLast.get(b), lastUse.getOrDefault(name, at)));
            return value(name, kind.get(of), index.get(of), b);
        }

        /** True when value {@code v} is an arena buffer nobody reads after node {@code at}: it may be overwritten in place. */
        boolean dies(int v, int at) {
            int b = base.get(v);
            return b >= 0 && bufLast.get(b) <= at;
        }

        /** The output of an elementwise node: in place over one of {@code candidates} (same size) when it dies here. */
        int elementwiseOut(Node n, int at, int... candidates) {
            for (int c : candidates) {
                if (c >= 0 && dies(c, at) && bufSize.get(base.get(c)) == s.size(n.output())) return alias(n.output(), c, at);
            }
            return fresh(n.output(), at);
        }

        Plan build() {
            List<Graph.Input> ins = g.inputs();
            for (int i = 0; i < ins.size(); i++) value(ins.get(i).name(), Frame.INPUT, i, -1);
            for (Map.Entry<String, Tensor> c : g.constants().entrySet()) {
                consts.add(c.getValue().type() == Tensor.Type.FLOAT ? c.getValue().floatsView() : null);
                value(c.getKey(), Frame.CONST, consts.size() - 1, -1);
            }
            List<Node> nodes = g.nodes();
            for (int i = 0; i < nodes.size(); i++) lowerInLayout(i, nodes.get(i));

            int nb = bufSize.size();
            int[] size = new int[nb], first = new int[nb], last = new int[nb];
            long unplanned = 0;
            for (int b = 0; b < nb; b++) {
                size[b] = bufSize.get(b);
                first[b] = bufFirst.get(b);
                last[b] = bufLast.get(b);
                unplanned += size[b];
            }
            int[] bufOff = BufferPlanner.plan(size, first, last);
            int nv = kind.size();
            byte[] kd = new byte[nv];
            int[] idx = new int[nv], off = new int[nv];
            for (int v = 0; v < nv; v++) {
                kd[v] = kind.get(v);
                idx[v] = index.get(v);
                off[v] = kd[v] == Frame.ARENA ? bufOff[base.get(v)] : 0;
            }
            int[] inIds = new int[ins.size()], inSizes = new int[ins.size()];
            for (int i = 0; i < ins.size(); i++) {
                inIds[i] = id(ins.get(i).name());
                inSizes[i] = s.size(ins.get(i).name());
            }
            List<String> outs = g.outputs();
            int[] outIds = new int[outs.size()], outSizes = new int[outs.size()];
            for (int i = 0; i < outs.size(); i++) {
                outIds[i] = id(outs.get(i));
                outSizes[i] = s.size(outs.get(i));
            }
            return new Plan(s.batch(), steps.toArray(new Step[0]), kd, idx, off, consts.toArray(new float[0][]), bufOff[nb],
                    inIds, outIds, inSizes, outSizes, unplanned);
        }

        /**
         * {@link #lower} with the layouts of {@link LayoutPlan}: a blocked input this node cannot read as it is is read
         * from its NCHW copy (one reorder, before the first such reader), and a blocked output this node cannot write
         * is written as NCHW and reordered.
         */
        void lowerInLayout(int at, Node n) {
            if (layout.lanes() == 0) {
                lower(at, n);
                return;
            }
            String what = n.describe();
            Map<String, Integer> saved = null;
            for (int i = 0; i < n.inputs().size(); i++) {
                String in = n.input(i);
                if (in.isEmpty() || !layout.blocked(in) || layout.readsInPlace(at, n, i)) continue;
                Integer copy = nchwCopies.get(in);
                if (copy == null) {
                    String name = in + " (nchw copy)";
                    lastUse.put(name, layout.lastNchwRead(in));
                    copy = fresh(name, s.size(in), at);
                    steps.add(new Steps.Reorder(what, k, false, s.raw(in), layout.lanes(), id(in), copy));
                    nchwCopies.put(in, copy);
                }
                if (saved == null) saved = new HashMap<>();
                saved.putIfAbsent(in, ids.get(in));
                ids.put(in, copy);
            }
            lower(at, n);
            if (saved != null) ids.putAll(saved);
            String out = n.output();
            if (layout.blocked(out) && !layout.writesInPlace(at, n)) {
                int nchw = id(out), b = base.get(nchw);
                if (b >= 0 && bufFirst.get(b) == at) bufLast.set(b, at);   // the NCHW result dies at its reorder
                steps.add(new Steps.Reorder(what, k, true, s.raw(out), layout.lanes(), nchw, fresh(out, at)));
            }
        }

        void lower(int at, Node n) {
            String what = n.describe();
            switch (n.op()) {
                case Op.Conv c -> {
                    ConvParams cp = convParams(c, s.raw(n.input(0)), s.raw(n.input(1)));
                    Tensor bias = floatConst(n.input(2));
                    int xId = id(n.input(0)), res = c.residual() ? id(n.input(3)) : -1;
                    int y = fresh(n.output(), at);   // never in place over the residual: a kernel may write y before reading it
                    Layout xl = layout.blocked(n.input(0)) && layout.readsInPlace(at, n, 0) ? Layout.BLOCKED : Layout.NCHW;
                    Layout yl = layout.blocked(n.output()) && layout.writesInPlace(at, n) ? Layout.BLOCKED : Layout.NCHW;
                    PackedConvWeights pw = (PackedConvWeights) prepared[at];
                    if ((xl == Layout.BLOCKED || yl == Layout.BLOCKED) && !k.conv().readsBlocked(pw)) pw = blockedPacks[at];
                    steps.add(new Steps.Conv(what, k, cp, pw, xId, id(n.input(1)),
                            bias == null ? null : bias.floatsView(), bias == null ? id(n.input(2)) : -1, res, c.act(), y, xl, yl));
                }
                case Op.Pool pl -> pool(at, n, pl, what);
                case Op.GlobalPool gp -> {
                    int[] x = s.raw(n.input(0));
                    int hw = (int) (Tensor.elements(x) / ((long) x[0] * x[1]));
                    int xId = id(n.input(0));
                    steps.add(new Steps.GlobalPool(what, k, gp.max(), x[0], x[1], hw, xId, fresh(n.output(), at)));
                }
                case Op.Gemm gm -> {
                    int[] a = s.raw(n.input(0));
                    int xId = id(n.input(0));
                    if (prepared[at] instanceof DenseInfo d) {
                        steps.add(new Steps.Dense(what, k, new DenseParams(a[0], d.in(), d.out()), d.w(), d.bias(), gm.act(), xId, fresh(n.output(), at)));
                    } else {
                        int[] b = s.raw(n.input(1));
                        int m = gm.transA() ? a[1] : a[0], kk = gm.transA() ? a[0] : a[1], nn = gm.transB() ? b[0] : b[1];
                        int[] cs = n.input(2).isEmpty() ? null : s.raw(n.input(2));
                        steps.add(new Steps.Gemm(what, k, m, nn, kk, gm.transA(), gm.transB(), gm.alpha(), gm.beta(), xId, id(n.input(1)),
                                id(n.input(2)), cs, gm.act(), fresh(n.output(), at)));
                    }
                }
                case Op.MatMul mm -> matmul(at, n, what);
                case Op.Binary b -> {
                    int[] as = s.raw(n.input(0)), bs = s.raw(n.input(1)), ys = s.raw(n.output());
                    int a = id(n.input(0)), bb = id(n.input(1));
                    if (Arrays.equals(as, ys) && Arrays.equals(bs, ys)) {
                        int y = elementwiseOut(n, at, a, bb);
                        steps.add(new Steps.Elementwise(what, k, b.add(), b.act(), s.size(n.output()), a, bb, y));
                    } else {
                        int y = elementwiseOut(n, at, Arrays.equals(as, ys) ? a : -1, Arrays.equals(bs, ys) ? bb : -1);
                        steps.add(new Steps.Broadcast(what, b.add(), b.act(), ys, as, bs, a, bb, y));
                    }
                }
                case Op.Unary u -> {
                    int x = id(n.input(0));
                    steps.add(new Steps.Unary(what, k, u.act(), s.size(n.output()), x, elementwiseOut(n, at, x)));
                }
                case Op.Clip c -> {
                    int x = id(n.input(0));
                    steps.add(new Steps.Clip(what, s.size(n.output()), x, id(n.input(1)), id(n.input(2)), elementwiseOut(n, at, x)));
                }
                case Op.Flatten f -> alias(n.output(), id(n.input(0)), at);
                case Op.Reshape r -> alias(n.output(), id(n.input(0)), at);
                case Op.Identity i -> alias(n.output(), id(n.input(0)), at);
                case Op.Transpose t -> {
                    int[] x = s.raw(n.input(0));
                    int[] perm = ShapeInference.perm(n, t, x.length);
                    int[] st = new int[x.length];
                    int stride = 1;
                    for (int d = x.length - 1; d >= 0; d--) {
                        st[d] = stride;
                        stride *= x[d];
                    }
                    int[] inStrides = new int[x.length];
                    for (int d = 0; d < x.length; d++) inStrides[d] = st[perm[d]];
                    int xId = id(n.input(0));
                    steps.add(new Steps.Transpose(what, s.raw(n.output()), inStrides, xId, fresh(n.output(), at)));
                }
                case Op.Softmax sm -> {
                    int[] x = s.raw(n.input(0));
                    int rank = x.length;
                    int axis = sm.axis() < 0 ? sm.axis() + rank : sm.axis();
                    int xId = id(n.input(0));
                    int y = fresh(n.output(), at);
                    long outer = 1, inner = 1;
                    for (int d = 0; d < axis; d++) outer *= x[d];
                    for (int d = axis + 1; d < rank; d++) inner *= x[d];
                    if (sm.coerce2d() || axis == rank - 1 || inner == 1) {
                        int cols = (int) (Tensor.elements(x) / outer);
                        steps.add(new Steps.Softmax(what, k, sm.log(), (int) outer, cols, xId, y));
                    } else {
                        steps.add(new Steps.StridedSoftmax(what, sm.log(), (int) outer, x[axis], (int) inner, xId, y));
                    }
                }
                case Op.BatchNorm bn -> {
                    int[] x = s.raw(n.input(0));
                    int inner = (int) (Tensor.elements(x) / ((long) x[0] * x[1]));
                    int xId = id(n.input(0));
                    int y = elementwiseOut(n, at, xId);
                    BnInfo info = (BnInfo) prepared[at];
                    steps.add(new Steps.BatchNorm(what, x[0], x[1], inner, info == null ? null : info.scale(), info == null ? null : info.shift(),
                            id(n.input(1)), id(n.input(2)), id(n.input(3)), id(n.input(4)), bn.epsilon(), xId, y));
                }
                case Op.Concat c -> {
                    int[] first = s.raw(n.input(0));
                    int axis = c.axis() < 0 ? c.axis() + first.length : c.axis();
                    long outer = 1;
                    for (int d = 0; d < axis; d++) outer *= first[d];
                    int[] chunk = new int[n.inputs().size()], xs = new int[chunk.length];
                    for (int i = 0; i < chunk.length; i++) {
                        chunk[i] = (int) (s.size(n.input(i)) / outer);
                        xs[i] = id(n.input(i));
                    }
                    steps.add(new Steps.Concat(what, (int) outer, chunk, xs, fresh(n.output(), at)));
                }
            }
        }

        void pool(int at, Node n, Op.Pool pl, String what) {
            int[] x = s.raw(n.input(0)), ys = s.raw(n.output());
            int[] hw = Geometry.spatial(x), ohw = Geometry.spatial(ys);
            int[] p = Geometry.pads(pl.autoPad(), pl.pads(), hw[0], hw[1], pl.kernel(), pl.strides(), pl.dilations());
            int xId = id(n.input(0));
            int y = fresh(n.output(), at);
            if (pl.dilations()[0] == 1 && pl.dilations()[1] == 1) {
                try {
                    PoolParams pp = new PoolParams(x[0], x[1], hw[0], hw[1], pl.kernel()[0], pl.kernel()[1], pl.strides()[0], pl.strides()[1],
                            p[0], p[1], p[2], p[3], pl.ceilMode(), pl.countIncludePad());
                    if (pp.outH() == ohw[0] && pp.outW() == ohw[1]) {
                        steps.add(new Steps.Pool(what, k, pp, pl.max(), xId, y));
                        return;
                    }
                } catch (IllegalArgumentException e) {
                    // outside what the kernels take (padding as large as the window): the reference loop below
                }
            }
            steps.add(new Steps.RefPool(what, pl.max(), pl.countIncludePad(), x[0] * x[1], hw[0], hw[1], ohw[0], ohw[1], pl.kernel(),
                    pl.strides(), p, pl.dilations(), xId, y));
        }

        void matmul(int at, Node n, String what) {
            int[] a = s.raw(n.input(0)), b = s.raw(n.input(1));
            int aId = id(n.input(0)), bId = id(n.input(1));
            if (prepared[at] instanceof DenseInfo d) {
                int rows = (int) (Tensor.elements(a) / d.in());
                steps.add(new Steps.Dense(what, k, new DenseParams(rows, d.in(), d.out()), d.w(), null, Act.NONE, aId, fresh(n.output(), at)));
                return;
            }
            int[] a2 = a.length == 1 ? new int[]{1, a[0]} : a;
            int[] b2 = b.length == 1 ? new int[]{b[0], 1} : b;
            int m = a2[a2.length - 2], kk = a2[a2.length - 1], nn = b2[b2.length - 1];
            int[] ab = Arrays.copyOf(a2, a2.length - 2), bb = Arrays.copyOf(b2, b2.length - 2);
            int[] ob = ShapeInference.broadcast(ab, bb);
            int[] as = matrixStrides(ab, ob), bs = matrixStrides(bb, ob);
            steps.add(new Steps.MatMul(what, k, m, nn, kk, ob, as, bs, aId, bId, fresh(n.output(), at)));
        }

        /** Stride (in matrices) of each output batch dimension in an operand with batch dims {@code dims}; 0 where broadcast. */
        int[] matrixStrides(int[] dims, int[] out) {
            int[] st = new int[out.length];
            int stride = 1;
            for (int i = out.length - 1; i >= 0; i--) {
                int di = i - (out.length - dims.length);
                int d = di >= 0 ? dims[di] : 1;
                st[i] = d == 1 ? 0 : stride;
                stride *= d;
            }
            return st;
        }
    }
}
